/** worker.conf: tunasync's defaults, our extensions' defaults, and include_mirrors. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_API_BASE, loadWorkerConfig, parseWorkerConfig } from '@tunasync/core';
import { makeTempDir, type TempDir } from './helpers.js';

describe('worker.conf defaults and includes', () => {
  let tmp: TempDir;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.remove());

  const minimal = (extra = ''): string => `
[global]
name = "w"
log_dir = "/log/{{.Name}}"
mirror_dir = "/m"
${extra}
[[mirrors]]
name = "one"
upstream = "rsync://x.example/one/"
`;

  it('applies tunasync defaults', () => {
    const { config, warnings } = parseWorkerConfig(minimal());
    expect(warnings).toEqual([]);
    expect(config.global).toMatchObject({ concurrent: 10, interval: 120, retry: 2, timeout: 0, rsyncOptions: [], execOnSuccess: [], successExitCodes: [] });
    expect(config.manager).toEqual({ apiBaseList: [DEFAULT_API_BASE], caCert: '', token: '', clientCert: '', clientKey: '' });
    expect(DEFAULT_API_BASE).toBe('http://127.0.0.1:14242');
    expect(config.server).toEqual({ hostname: 'localhost', listenAddr: '127.0.0.1', listenPort: 6000, sslCert: '', sslKey: '' });
    expect(config.cgroup).toEqual({ enable: false, basePath: '/sys/fs/cgroup', group: '', subsystem: 'cpu' });
    expect(config.docker).toEqual({ enable: false, volumes: [], options: [] });
    expect(config.zfs).toEqual({ enable: false, zpool: '' });
    expect(config.btrfsSnapshot).toEqual({ enable: false, snapshotPath: '' });
    expect(config.include).toEqual({ includeMirrors: '', files: [] });
    expect(config.mirrors[0]).toMatchObject({
      provider: 'rsync',
      interval: 120,
      retry: 2,
      timeout: 0,
      mirrorDir: '/m/one',
      logDir: '/log/one',
      role: 'master',
      rsyncTimeout: 0,
      rsyncNoTimeout: false,
      env: {},
    });
  });

  it('keeps worker state in [global] state_dir, else under the log root (the part of log_dir before {{.Name}})', () => {
    expect(parseWorkerConfig(minimal()).config.global.stateDir).toBe('/log/.tunasync-state/w');
    expect(parseWorkerConfig(minimal('state_dir = "/var/lib/tunasync"')).config.global.stateDir).toBe('/var/lib/tunasync');
    const plain = parseWorkerConfig(minimal().replace('log_dir = "/log/{{.Name}}"', 'log_dir = "/srv/log"')).config;
    expect(plain.global.stateDir).toBe('/srv/log/.tunasync-state/w');
    const perMirror = parseWorkerConfig(minimal().replace('log_dir = "/log/{{.Name}}"', '') + 'log_dir = "/var/log/one"\n').config;
    expect(perMirror.global.stateDir).toBe('/var/log/.tunasync-state/w');
    const bad = () => parseWorkerConfig(minimal('state_dir = 3'));
    expect(bad).toThrow(/global\.state_dir: must be string/);
  });

  it('wants [server] ssl_cert and ssl_key together', () => {
    expect(() => parseWorkerConfig(minimal('[server]\nssl_cert = "/pki/w.crt"'))).toThrow(/server\.ssl_key: is required when ssl_cert is set/);
    expect(() => parseWorkerConfig(minimal('[server]\nssl_key = "/pki/w.key"'))).toThrow(/server\.ssl_cert: is required when ssl_key is set/);
  });

  it('uses api_base when there is no api_base_list', () => {
    const { config } = parseWorkerConfig(minimal('[manager]\napi_base = "https://manager.example:14242/"'));
    expect(config.manager.apiBaseList).toEqual(['https://manager.example:14242']);
  });

  it('takes a client certificate for the managers only with its key ([manager] client_cert, client_key)', () => {
    const both = parseWorkerConfig(minimal('[manager]\nclient_cert = "/pki/w.crt"\nclient_key = "/pki/w.key"'));
    expect(both.warnings).toEqual([]);
    expect(both.config.manager).toMatchObject({ clientCert: '/pki/w.crt', clientKey: '/pki/w.key' });
    expect(() => parseWorkerConfig(minimal('[manager]\nclient_cert = "/pki/w.crt"'), '/etc/w.conf')).toThrow(
      '/etc/w.conf: manager.client_key: is required when client_cert is set (a client certificate needs its key)',
    );
    expect(() => parseWorkerConfig(minimal('[manager]\nclient_key = "/pki/w.key"'), '/etc/w.conf')).toThrow(
      '/etc/w.conf: manager.client_cert: is required when client_key is set (a client certificate needs its key)',
    );
    expect(() => parseWorkerConfig(minimal('[manager]\nclient_cert = 1\nclient_key = "/k"'), '/etc/w.conf')).toThrow(/manager\.client_cert: must be string/);
  });

  it('finds include_mirrors relative to the config file, and absolute globs', () => {
    tmp.write('conf/sub/x.conf', '[[mirrors]]\nname = "x"\nupstream = "rsync://x/x/"\n');
    tmp.write('conf/sub/y.conf', '[[mirrors]]\nname = "y"\nupstream = "rsync://y/y/"\n');
    tmp.write('other/z.conf', '[[mirrors]]\nname = "z"\nupstream = "rsync://z/z/"\n');
    const rel = loadWorkerConfig(tmp.write('conf/rel.conf', minimal('[include]\ninclude_mirrors = "sub/*.conf"')));
    expect(rel.config.mirrors.map((m) => m.name)).toEqual(['one', 'x', 'y']);
    const abs = loadWorkerConfig(tmp.write('conf/abs.conf', minimal(`[include]\ninclude_mirrors = "${tmp.path('other')}/*.conf"`)));
    expect(abs.config.mirrors.map((m) => m.name)).toEqual(['one', 'z']);
    expect(abs.config.include.files).toEqual([tmp.path('other', 'z.conf')]);
    const none = loadWorkerConfig(tmp.write('conf/none.conf', minimal('[include]\ninclude_mirrors = "nothing-here/*.conf"')));
    expect(none.config.mirrors.map((m) => m.name)).toEqual(['one']);
  });

  it('warns about keys other than mirrors in an included file', () => {
    tmp.write('warn/inc.conf', '[global]\nname = "sneaky"\n[[mirrors]]\nname = "i"\nupstream = "rsync://i/i/"\n');
    const { config, warnings } = loadWorkerConfig(tmp.write('warn/main.toml', minimal('[include]\ninclude_mirrors = "*.conf"')));
    expect(config.global.name).toBe('w');
    expect(warnings).toEqual([`${tmp.path('warn/inc.conf')}: global: ignored: an included file only holds [[mirrors]]`]);
  });
});
