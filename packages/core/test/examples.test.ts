/**
 * examples/*.conf through core's loaders: each loads with no warning, and the
 * annotated files show every option the schemas know.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ctlConfigSchema,
  loadCtlConfig,
  loadManagerConfig,
  loadWorkerConfig,
  managerConfigSchema,
  mirrorConfigSchema,
  parseManagerConfig,
  parseWorkerConfig,
  readTomlFile,
  workerConfigSchema,
  type TomlTable,
} from '@tunasync/core';
import { makeTempDir, repoRoot } from './helpers.js';

const examples = join(repoRoot(), 'examples');
const tmp = makeTempDir('tunasync-examples-');
afterAll(() => tmp.remove());
const nowhere = tmp.path('absent.conf');

type Schema = { properties?: Record<string, Schema>; type?: unknown };

/** Every option a schema defines, as dotted paths (`server.port`); `[[mirrors]]` keys are listed separately. */
function schemaKeys(schema: Schema, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (key === 'mirrors') continue;
    if (sub.type === 'object' && sub.properties) out.push(...schemaKeys(sub, `${prefix}${key}.`));
    else out.push(`${prefix}${key}`);
  }
  return out;
}

/** Dotted paths of the options a TOML document sets (tables descended, `mirrors` left out). */
function docKeys(doc: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'mirrors') continue;
    const isTable = value !== null && typeof value === 'object' && !Array.isArray(value);
    if (isTable && !(prefix === 'auth.' && key === 'worker_tokens') && !(key === 'env')) out.push(...docKeys(value as Record<string, unknown>, `${prefix}${key}.`));
    else out.push(`${prefix}${key}`);
  }
  return out;
}

/** Every key set in any `[[mirrors]]` entry, nested ones included. */
function mirrorKeys(list: unknown): Set<string> {
  const out = new Set<string>();
  for (const m of Array.isArray(list) ? (list as Record<string, unknown>[]) : []) {
    for (const k of Object.keys(m)) out.add(k);
    for (const k of mirrorKeys(m.mirrors)) out.add(k);
  }
  return out;
}

/** Keys shown only in comments: lines like `# key = value` right after a `[section]` context. */
function commentedKeys(file: string): string[] {
  const out: string[] = [];
  let section = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const header = /^\s*\[+([a-z_.]+)\]+/.exec(line);
    if (header) section = `${header[1]}.`;
    const m = /^#\s*([a-z_]+) = /.exec(line);
    if (m) out.push(`${section}${m[1]}`);
  }
  return out;
}

describe('examples/manager.conf', () => {
  const file = join(examples, 'manager.conf');

  it('loads with no warning', () => {
    const { config, warnings } = loadManagerConfig(file);
    expect(warnings).toEqual([]);
    expect(config.server).toMatchObject({ addr: '127.0.0.1', port: 14242 });
    expect(config.files).toMatchObject({ dbType: 'sqlite', dbFile: '/var/lib/tunasync/manager.db' });
    expect(config.auth).toEqual({ workerToken: '', workerTokens: { worker1: 'worker1-token-change-me' }, adminTokens: ['admin-token-change-me'], publicRead: true, logTokens: [], publicLogs: false });
  });

  it('sets every option of the schema', () => {
    expect(docKeys(readTomlFile(file)).sort()).toEqual(schemaKeys(managerConfigSchema as Schema).sort());
  });
});

describe('examples/ctl.conf', () => {
  const file = join(examples, 'ctl.conf');

  it('loads with no warning and sets every option', () => {
    const { config, warnings } = loadCtlConfig({ systemFile: nowhere, userFile: nowhere, explicitFile: file });
    expect(warnings).toEqual([]);
    expect(config).toEqual({ managerAddr: '127.0.0.1', managerPort: 14242, caCert: '', token: 'admin-token-change-me', output: 'auto', files: [file] });
    expect(docKeys(readTomlFile(file)).sort()).toEqual(schemaKeys(ctlConfigSchema as Schema).sort());
  });

  it('holds an admin token of examples/manager.conf', () => {
    const manager = loadManagerConfig(join(examples, 'manager.conf')).config;
    const ctl = loadCtlConfig({ systemFile: nowhere, userFile: nowhere, explicitFile: file }).config;
    expect(manager.auth.adminTokens).toContain(ctl.token);
  });
});

describe('examples/worker.conf', () => {
  const file = join(examples, 'worker.conf');

  it('loads with no warning, its worker token matching examples/manager.conf', () => {
    const { config, warnings } = loadWorkerConfig(file);
    expect(warnings).toEqual([]);
    expect(config.mirrors).toHaveLength(8);
    expect(config.global.stateDir).toBe('/var/lib/tunasync/worker1');
    const manager = loadManagerConfig(join(examples, 'manager.conf')).config;
    expect(manager.auth.workerTokens[config.global.name]).toBe(config.manager.token);
    // Nested mirrors inherit from their parent.
    const ctan = config.mirrors.find((m) => m.name === 'texlive-historic')!;
    expect(ctan).toMatchObject({ interval: 10080, mirrorDir: '/srv/tunasync/ctan-family/texlive-historic', env: { RSYNC_PROXY: 'proxy.example:3128' } });
  });

  it('shows every option of the schema, all but alternatives set for real', () => {
    const doc: TomlTable = readTomlFile(file);
    const set = docKeys(doc);
    const commented = commentedKeys(file);
    const missing = schemaKeys(workerConfigSchema as Schema).filter((k) => !set.includes(k));
    // api_base_list is the alternative to api_base, shown commented out.
    expect(missing).toEqual(['manager.api_base_list']);
    expect(commented).toEqual(expect.arrayContaining(missing));
    const mirrorOptions = Object.keys(mirrorConfigSchema.properties);
    expect(mirrorOptions.filter((k) => !mirrorKeys(doc.mirrors).has(k))).toEqual([]);
  });
});

describe('examples/demo/worker.conf', () => {
  it('loads as committed with no warning', () => {
    const { config, warnings } = loadWorkerConfig(join(examples, 'demo', 'worker.conf'));
    expect(warnings).toEqual([]);
    expect(config.global.name).toBe('demo-worker');
  });
});

describe('examples/tls/README.md', () => {
  const blocks = [...readFileSync(join(examples, 'tls', 'README.md'), 'utf8').matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('has config snippets that load with no warning through the loader of the file they name', () => {
    expect(blocks.map((b) => /^# (\S+)/.exec(b)?.[1])).toEqual(['manager.conf:', 'worker.conf:', 'ctl.conf:', 'manager.conf', 'worker.conf']);
    for (const b of blocks) {
      if (b.startsWith('# manager.conf')) {
        // A snippet is added to a manager.conf that already has ssl_cert and ssl_key (step 2).
        expect(parseManagerConfig(b, '<manager.conf>', { sslCert: '/c.pem', sslKey: '/k.pem' }).warnings).toEqual([]);
      } else if (b.startsWith('# worker.conf')) {
        const { config, warnings } = parseWorkerConfig(`[global]\nname = "worker1"\nlog_dir = "/tmp/l"\nmirror_dir = "/tmp/m"\n${b}`);
        expect(warnings).toEqual([]);
        expect(config.manager.caCert || config.manager.clientCert).toMatch(/^\/etc\/tunasync\/pki\//);
      } else {
        const f = tmp.write('tls-ctl.conf', b);
        expect(loadCtlConfig({ systemFile: nowhere, userFile: nowhere, explicitFile: f }).warnings).toEqual([]);
      }
    }
  });
});
