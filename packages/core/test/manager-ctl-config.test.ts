import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  DEFAULT_MANAGER_DB_FILE,
  SYSTEM_CTL_CONF,
  loadCtlConfig,
  loadManagerConfig,
  parseManagerConfig,
  userCtlConfPath,
} from '@tunasync/core';
import { makeTempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
beforeAll(() => {
  tmp = makeTempDir();
});
afterAll(() => tmp.remove());

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('manager.conf', () => {
  it('has tunasync defaults without a file', () => {
    expect(DEFAULT_MANAGER_DB_FILE).toBe('/var/lib/tunasync/manager.db');
    expect(loadManagerConfig(undefined)).toEqual({
      config: {
        file: '<defaults>',
        debug: false,
        server: { addr: '127.0.0.1', port: 14242, sslCert: '', sslKey: '', clientCa: '', allowWorkerUrls: [] },
        limits: { maxWorkers: 1000, maxJobsPerWorker: 10000 },
        history: { keep: 200, maxAgeS: 180 * 86_400 },
        files: { dbType: 'sqlite', dbFile: '/var/lib/tunasync/manager.db', caCert: '' },
        auth: { workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true },
      },
      warnings: [],
    });
  });

  it('reads every key from a file, including [auth]', () => {
    const file = tmp.write(
      'manager.conf',
      `debug = true
[server]
addr = "0.0.0.0"
port = 12345
ssl_cert = "/etc/tunasync/manager.crt"
ssl_key = "/etc/tunasync/manager.key"
client_ca = "/etc/tunasync/clients-ca.pem"
[history]
keep = 50
max_age = "36h"
[files]
db_type = "sqlite"
db_file = "/srv/manager.db"
ca_cert = "/etc/tunasync/ca.pem"
[auth]
worker_token = "shared"
admin_tokens = ["admin1", "admin2"]
public_read = false
[auth.worker_tokens]
w1 = "t1"
w2 = "t2"
`,
    );
    expect(loadManagerConfig(file)).toEqual({
      config: {
        file,
        debug: true,
        server: {
          addr: '0.0.0.0',
          port: 12345,
          sslCert: '/etc/tunasync/manager.crt',
          sslKey: '/etc/tunasync/manager.key',
          clientCa: '/etc/tunasync/clients-ca.pem',
          allowWorkerUrls: [],
        },
        limits: { maxWorkers: 1000, maxJobsPerWorker: 10000 },
        history: { keep: 50, maxAgeS: 36 * 3600 },
        files: { dbType: 'sqlite', dbFile: '/srv/manager.db', caCert: '/etc/tunasync/ca.pem' },
        auth: { workerToken: 'shared', workerTokens: { w1: 't1', w2: 't2' }, adminTokens: ['admin1', 'admin2'], publicRead: false },
      },
      warnings: [],
    });
  });

  it('lets command-line flags override the file', () => {
    const text = 'debug = true\n[server]\naddr = "0.0.0.0"\nport = 1\nssl_cert = "c"\nssl_key = "k"\n[files]\ndb_type = "sqlite"\ndb_file = "/a.db"\n';
    const { config } = parseManagerConfig(text, 'm.conf', {
      addr: '::1',
      port: 0,
      sslCert: '/x.crt',
      sslKey: '/x.key',
      dbFile: '/b.db',
      dbType: 'other',
      debug: false,
    });
    expect(config.debug).toBe(false);
    expect(config.server).toEqual({ addr: '::1', port: 0, sslCert: '/x.crt', sslKey: '/x.key', clientCa: '', allowWorkerUrls: [] });
    expect(config.files).toEqual({ dbType: 'other', dbFile: '/b.db', caCert: '' });
    expect(loadManagerConfig(undefined, { port: 9 }).config.server.port).toBe(9);
  });

  it('warns about unknown keys and rejects wrong types, naming file and key', () => {
    const { warnings } = parseManagerConfig('[server]\nadress = "x"\n', 'm.conf');
    expect(warnings).toEqual(['m.conf: server.adress: unknown key']);
    const e = thrown(() => parseManagerConfig('[server]\nport = "14242"\n[auth]\nadmin_tokens = [""]\npublic_read = "no"\n', 'm.conf'));
    expect(e.issues.map((i) => `${i.file}: ${i.path}: ${i.message}`).sort()).toEqual([
      'm.conf: auth.admin_tokens[0]: must NOT have fewer than 1 characters',
      'm.conf: auth.public_read: must be boolean',
      'm.conf: server.port: must be integer',
    ]);
    expect(thrown(() => parseManagerConfig('[server]\nport = 70000\n', 'm.conf')).message).toBe('m.conf: server.port: must be <= 65535');
  });

  it('names line and column of a syntax error and a missing file', () => {
    expect(thrown(() => parseManagerConfig('[server\n', 'm.conf')).message).toMatch(/^m\.conf:1:\d+: TOML syntax error: /);
    const missing = tmp.path('missing-manager.conf');
    expect(thrown(() => loadManagerConfig(missing)).message).toBe(`${missing}: cannot read config file: no such file`);
  });
});

describe('ctl.conf lookup', () => {
  const nowhere = (name: string): string => tmp.path('absent', name);

  it("looks in tunasync's places by default", () => {
    expect(SYSTEM_CTL_CONF).toBe('/etc/tunasync/ctl.conf');
    expect(userCtlConfPath('/home/alice')).toBe('/home/alice/.config/tunasync/ctl.conf');
    expect(userCtlConfPath()).toBe(join(homedir(), '.config', 'tunasync', 'ctl.conf'));
  });

  it('uses defaults when no file exists', () => {
    expect(loadCtlConfig({ systemFile: nowhere('s'), userFile: nowhere('u') })).toEqual({
      config: { managerAddr: 'localhost', managerPort: 14242, caCert: '', token: '', files: [] },
      warnings: [],
    });
  });

  it('reads system, then user, then the explicit file; later files win key by key', () => {
    const systemFile = tmp.write('etc/ctl.conf', 'manager_addr = "system.example"\nmanager_port = 1111\nca_cert = "/etc/ca.pem"\n');
    const userFile = tmp.write('home/ctl.conf', 'manager_port = 2222\ntoken = "user-token"\n');
    const explicitFile = tmp.write('explicit.conf', 'manager_addr = "explicit.example"\n');
    expect(loadCtlConfig({ systemFile, userFile, explicitFile }).config).toEqual({
      managerAddr: 'explicit.example',
      managerPort: 2222,
      caCert: '/etc/ca.pem',
      token: 'user-token',
      files: [systemFile, userFile, explicitFile],
    });
    expect(loadCtlConfig({ systemFile, userFile: nowhere('u') }).config).toMatchObject({ managerAddr: 'system.example', managerPort: 1111, token: '', files: [systemFile] });
    expect(loadCtlConfig({ systemFile: nowhere('s'), userFile }).config).toMatchObject({ managerAddr: 'localhost', managerPort: 2222, files: [userFile] });
  });

  it('lets flags win over every file', () => {
    const systemFile = tmp.write('etc2/ctl.conf', 'manager_addr = "system.example"\nmanager_port = 1111\nca_cert = "/etc/ca.pem"\ntoken = "t"\n');
    const { config } = loadCtlConfig({
      systemFile,
      userFile: nowhere('u'),
      overrides: { managerAddr: 'flag.example', managerPort: 3333, caCert: '/flag/ca.pem', token: 'flag-token' },
    });
    expect(config).toEqual({ managerAddr: 'flag.example', managerPort: 3333, caCert: '/flag/ca.pem', token: 'flag-token', files: [systemFile] });
    // An override left undefined does not erase a file's value.
    expect(loadCtlConfig({ systemFile, userFile: nowhere('u'), overrides: { managerPort: 1 } }).config.managerAddr).toBe('system.example');
  });

  it('fails when the explicit file is missing, but not when the others are', () => {
    const explicitFile = nowhere('ctl.conf');
    const e = thrown(() => loadCtlConfig({ systemFile: nowhere('s'), userFile: nowhere('u'), explicitFile }));
    expect(e.message).toBe(`${explicitFile}: cannot read config file: no such file`);
  });

  it('names the file and key of a bad value, and warns about unknown keys', () => {
    const userFile = tmp.write('bad/ctl.conf', 'manager_port = "14242"\n');
    expect(thrown(() => loadCtlConfig({ systemFile: nowhere('s'), userFile })).message).toBe(`${userFile}: manager_port: must be integer`);
    const typo = tmp.write('typo/ctl.conf', 'manager_adr = "x"\n');
    const { config, warnings } = loadCtlConfig({ systemFile: nowhere('s'), userFile: nowhere('u'), explicitFile: typo });
    expect(warnings).toEqual([`${typo}: manager_adr: unknown key`]);
    expect(config.managerAddr).toBe('localhost');
  });
});
