#!/usr/bin/env node
// `npm run check-packages`: installs the seven packages the way a user would,
// from the tarballs `npm pack` makes, and runs them.
//
// Builds (tsc -b), packs every workspace into a temporary directory, checks
// what each tarball holds (dist with types, the bins, the README, no sources
// or tests), installs all seven tarballs into an empty project (third-party
// dependencies come from the registry; better-sqlite3's build script is
// allowed through `allowScripts`, as in the root package.json), then from the
// installed copies runs every bin with --help, `tunasync-worker --dry-run` on
// examples/worker.conf, and imports every package (opening a SQLite store, so
// the native addon must have been built). Prints one line per check and a
// summary; exits 1 if any check failed. --keep leaves the temporary directory.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// The private testkit is never published: only the public packages (five, plus the two store packages) are checked.
const dirs = rootPkg.workspaces.map((w) => w.replace(/^packages\//, '')).filter((d) => !JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')).private);
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'tunasync-check-packages-'));
const execFileP = promisify(execFile);
const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

const results = [];
/** Runs one named check; a thrown error fails it with its message. */
async function check(name, fn) {
  const started = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true });
    console.log(`PASS  ${name}${note ? `: ${note}` : ''} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL  ${name}\n      ${String(err?.message ?? err).trim().split('\n').join('\n      ')}`);
  }
}

/** Runs a program; rejects with its output when it exits non-zero. */
async function sh(cmd, args, cwd) {
  try {
    return await execFileP(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

const fail = (message) => {
  throw new Error(message);
};

console.log(`check-packages: node ${process.version}, work dir ${work}`);

await check('build (tsc -b)', async () => {
  await sh(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], root);
});

const manifests = Object.fromEntries(dirs.map((d) => [d, JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8'))]));
const tarballs = {};
mkdirSync(join(work, 'tarballs'));
for (const d of dirs) {
  const pkg = manifests[d];
  await check(`pack ${pkg.name}`, async () => {
    for (const key of ['files', 'exports', 'engines', 'repository', 'license']) if (!pkg[key]) fail(`package.json has no "${key}"`);
    if (pkg.license !== 'GPL-3.0') fail(`license is ${pkg.license}, not GPL-3.0`);
    if (!pkg.exports['.']?.types) fail('exports["."] has no "types"');
    const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', join(work, 'tarballs')], join(root, 'packages', d));
    const [packed] = JSON.parse(stdout);
    tarballs[d] = join(work, 'tarballs', packed.filename);
    const files = packed.files.map((f) => f.path);
    // The manager's status page files are read at run time from web/ beside dist/.
    const webFiles = pkg.files.includes('web') ? ['web/app.js', 'web/view.js', 'web/style.css', 'web/i18n.json'] : [];
    const needed = ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', ...webFiles, ...Object.values(pkg.bin ?? {}).map((b) => b.replace(/^\.\//, ''))];
    const missing = needed.filter((f) => !files.includes(f));
    if (missing.length) fail(`tarball lacks ${missing.join(', ')}`);
    const stray = files.filter(
      (f) => !(f.startsWith('dist/') || f.startsWith('bin/') || (webFiles.length > 0 && f.startsWith('web/')) || ['package.json', 'README.md', 'LICENSE'].includes(f)) || f.endsWith('.tsbuildinfo'),
    );
    if (stray.length) fail(`tarball holds files it should not: ${stray.join(', ')}`);
    return `${packed.filename}, ${files.length} files, ${(packed.size / 1024).toFixed(0)} KiB`;
  });
}

const app = join(work, 'app');
mkdirSync(app);
writeFileSync(
  join(app, 'package.json'),
  `${JSON.stringify({ name: 'tunasync-check-packages', version: '1.0.0', private: true, type: 'module', allowScripts: { 'better-sqlite3': true } }, null, 2)}\n`,
);
const installed = await (async () => {
  if (Object.keys(tarballs).length !== dirs.length) return false;
  await check('npm install of the seven tarballs into an empty project', async () => {
    await sh('npm', ['install', '--no-audit', '--no-fund', ...dirs.map((d) => tarballs[d])], app);
    for (const d of dirs) {
      const at = join(app, 'node_modules', '@tunasync', d);
      if (!existsSync(join(at, 'package.json'))) fail(`${manifests[d].name} is not in node_modules`);
      // Installed from the tarball, not linked to the repository or fetched from the registry.
      if (realpathSync(at) !== at) fail(`${manifests[d].name} is a link to ${realpathSync(at)}`);
      const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
      const resolved = lock.packages[`node_modules/@tunasync/${d}`]?.resolved ?? '';
      if (!resolved.startsWith('file:')) fail(`${manifests[d].name} resolved to ${resolved || 'nothing'}, not the tarball`);
    }
  });
  return results.at(-1).ok;
})();

if (installed) {
  const bin = (name) => join(app, 'node_modules', '.bin', name);
  for (const d of dirs) {
    for (const name of Object.keys(manifests[d].bin ?? {})) {
      await check(`${name} --help (${manifests[d].name})`, async () => {
        accessSync(realpathSync(bin(name)), constants.X_OK);
        const { stdout } = await sh(bin(name), ['--help'], app);
        if (!stdout.includes(name === 'tunasync' ? 'usage: tunasync' : name)) fail(`--help printed no usage:\n${stdout}`);
        return stdout.split('\n')[0];
      });
    }
  }

  // tunasync's own command line: `manager` finds @tunasync/manager installed beside the worker.
  for (const sub of ['manager', 'worker']) {
    await check(`tunasync ${sub} --help (@tunasync/worker)`, async () => {
      const { stdout } = await sh(bin('tunasync'), [sub, '--help'], app);
      if (!stdout.startsWith(`tunasync ${sub} `)) fail(`--help printed no usage:\n${stdout}`);
      return stdout.split('\n')[0];
    });
  }

  await check('tunasync-worker --dry-run -c examples/worker.conf', async () => {
    const { stdout, stderr } = await sh(bin('tunasync-worker'), ['--dry-run', '-c', join(root, 'examples', 'worker.conf')], app);
    if (stderr) fail(`warnings or errors:\n${stderr}`);
    return stdout.trim().split('\n').at(-1);
  });

  await check('import every package', async () => {
    writeFileSync(
      join(app, 'imports.mjs'),
      `import { parseSize, loadWorkerConfig } from '@tunasync/core';
import { SqliteJobStore, createManagerApp } from '@tunasync/manager';
import { createWorker, dryRun } from '@tunasync/worker';
import { createManagerClient } from '@tunasync/ctl';
import { createCa, createHostCertificate } from '@tunasync/certs';
import * as pgStore from '@tunasync/store-postgres';
import * as redisStore from '@tunasync/store-redis';
for (const f of [parseSize, loadWorkerConfig, createManagerApp, createWorker, dryRun, createManagerClient, createCa, createHostCertificate, pgStore.createJobStore, redisStore.createJobStore]) {
  if (typeof f !== 'function') throw new Error('an export is missing');
}
// The native SQLite addon was built: open, write, read, close.
const store = new SqliteJobStore(process.argv[2]);
await store.init();
await store.createWorker({ id: 'w1', url: 'http://127.0.0.1:6000/', token: '', lastOnline: new Date(), lastRegister: new Date() });
const ids = (await store.listWorkers()).map((w) => w.id);
await store.close();
if (ids.join() !== 'w1') throw new Error('the store did not keep the worker: ' + ids.join());
console.log('7 packages imported; SQLite store works');
`,
    );
    const { stdout } = await sh(process.execPath, ['imports.mjs', join(work, 'check.db')], app);
    return stdout.trim();
  });

  await check('status page from the installed manager (files found beside dist/)', async () => {
    writeFileSync(
      join(app, 'page.mjs'),
      `import { startManager } from '@tunasync/manager';
const m = await startManager({ debug: false, server: { addr: '127.0.0.1', port: 0, sslCert: '', sslKey: '', clientCa: '' },
  files: { dbType: 'sqlite', dbFile: process.argv[2], caCert: '' }, auth: { workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true } });
try {
  const page = await fetch(m.url + '/');
  const html = await page.text();
  if (page.status !== 200 || !html.includes('<table id="mirrors">')) throw new Error('GET / answered ' + page.status);
  for (const f of ['app.js', 'view.js', 'style.css']) {
    const r = await fetch(m.url + '/static/' + f);
    if (r.status !== 200) throw new Error('/static/' + f + ' answered ' + r.status);
  }
  console.log('GET / and its three files served');
} finally {
  await m.close();
}
`,
    );
    const { stdout } = await sh(process.execPath, ['page.mjs', join(work, 'page.db')], app);
    return stdout.trim();
  });
}

const failed = results.filter((r) => !r.ok);
console.log(`\ncheck-packages: ${results.length - failed.length} passed, ${failed.length} failed${failed.length ? ` (${failed.map((r) => r.name).join('; ')})` : ''}`);
if (keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
process.exit(failed.length ? 1 : 0);
