/**
 * The store when the disk is full or the file is damaged, on real SQLite
 * files: `PRAGMA max_page_count` makes SQLite answer SQLITE_FULL exactly as a
 * full disk does, which must become StorageFullError (HTTP 507) while reads
 * keep working; a file with pages overwritten in the middle must be refused
 * at open (openJobStore, startManager and the built bin), naming the file and
 * how to recover.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { StorageFullError, emptyMirrorStatus, type ManagerConfig, type MirrorStatus } from '@tunasync/core';
import { SqliteJobStore, StoreOpenError, openJobStore, startManager } from '@tunasync/manager';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let dir: string;
/** Pages a fresh database with the schema takes (measured, so a new migration needs no change here), plus room for a handful of rows. */
let SMALL_CAP: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tunasync-store-health-'));
  const probe = new SqliteJobStore(join(dir, 'probe.db'));
  await probe.init();
  await probe.close();
  SMALL_CAP = statSync(join(dir, 'probe.db')).size / PAGE + 3;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PAGE = 4096;

function bigStatus(worker: string, name: string): MirrorStatus {
  return { ...emptyMirrorStatus(name, worker), status: 'success', upstream: `rsync://up.example/${name}/`, errorMsg: 'e'.repeat(1500) };
}

function managerConfig(dbFile: string): ManagerConfig {
  return {
    debug: false,
    server: { addr: '127.0.0.1', port: 0, sslCert: '', sslKey: '', clientCa: '' },
    files: { dbType: 'sqlite', dbFile, caCert: '' },
    auth: { workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true },
  };
}

async function post(url: string, body: unknown): Promise<{ status: number; body: { error?: string } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { error?: string } };
}

describe('a full database (SQLITE_FULL)', () => {
  it('writes reject with StorageFullError naming the file; reads and smaller writes keep working', async () => {
    const file = join(dir, 'full.db');
    const store = new SqliteJobStore(file, { maxPageCount: SMALL_CAP });
    await store.init();
    try {
      let stored = 0;
      let error: unknown;
      for (let i = 0; i < 200 && error === undefined; i++) {
        try {
          await store.updateMirrorStatus('w', `m${String(i).padStart(3, '0')}`, () => bigStatus('w', `m${i}`));
          stored++;
        } catch (err) {
          error = err;
        }
      }
      expect(stored).toBeGreaterThan(0);
      expect(error).toBeInstanceOf(StorageFullError);
      const full = error as StorageFullError;
      expect(full.code).toBe('STORAGE_FULL');
      expect(full.httpStatus).toBe(507);
      expect(full.message).toMatch(/^storage full: the manager's database cannot grow \(.*full\.db: database or disk is full\)/);
      // Reads keep working and see every acknowledged write, and nothing else.
      expect((await store.listAllMirrorStatus()).length).toBe(stored);
      await expect(store.healthCheck()).resolves.toBeUndefined();
      // A write that needs no new page still succeeds.
      const updated = await store.updateMirrorStatus('w', 'm000', (prev) => ({ ...prev!, status: 'failed' }));
      expect(updated.status).toBe('failed');
      expect(statSync(file).size).toBeLessThanOrEqual(SMALL_CAP * PAGE);
    } finally {
      await store.close();
    }
  });

  it('in one group commit, each write still succeeds or fails on its own, and a rejected one is not stored', async () => {
    const store = new SqliteJobStore(join(dir, 'full-group.db'), { maxPageCount: SMALL_CAP });
    await store.init();
    try {
      await store.updateMirrorStatus('w', 'small', () => emptyMirrorStatus('small', 'w'));
      // Issued together: they share one transaction, and the big ones overflow the cap.
      const names = Array.from({ length: 40 }, (_, i) => `big${String(i).padStart(2, '0')}`);
      const results = await Promise.allSettled([
        ...names.map((name) => store.updateMirrorStatus('w', name, () => bigStatus('w', name))),
        store.updateMirrorStatus('w', 'small', (prev) => ({ ...prev!, size: '1G' })),
      ]);
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected.length).toBeGreaterThan(0);
      for (const r of rejected) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StorageFullError);
      expect(results.at(-1)!.status).toBe('fulfilled');
      const storedNames = (await store.listMirrorStatus('w')).map((s) => s.name);
      const fulfilled = names.filter((_, i) => results[i]!.status === 'fulfilled');
      expect(fulfilled.length).toBeGreaterThan(0);
      expect(storedNames).toEqual([...fulfilled, 'small']);
      expect((await store.getMirrorStatus('w', 'small'))?.size).toBe('1G');
    } finally {
      await store.close();
    }
  });

  it('a status report to a real manager answers 507 with a message; GET /jobs still answers 200', async () => {
    const store = new SqliteJobStore(join(dir, 'full-http.db'), { maxPageCount: SMALL_CAP });
    const m = await startManager(managerConfig(join(dir, 'unused.db')), { store });
    try {
      expect((await post(`${m.url}/workers`, { id: 'w', url: 'http://127.0.0.1:1/' })).status).toBe(200);
      let answer: { status: number; body: { error?: string } } | undefined;
      let accepted = 0;
      for (let i = 0; i < 200; i++) {
        const name = `m${String(i).padStart(3, '0')}`;
        const res = await post(`${m.url}/workers/w/jobs/${name}`, {
          name,
          worker: 'w',
          is_master: true,
          status: 'success',
          upstream: `rsync://up.example/${name}/`,
          size: 'unknown',
          error_msg: 'e'.repeat(1500),
        });
        if (res.status !== 200) {
          answer = res;
          break;
        }
        accepted++;
      }
      expect(accepted).toBeGreaterThan(0);
      expect(answer?.status).toBe(507);
      expect(answer?.body.error).toMatch(/^storage full: the manager's database cannot grow \(.*full-http\.db/);
      const jobs = await fetch(`${m.url}/jobs`);
      expect(jobs.status).toBe(200);
      expect(((await jobs.json()) as unknown[]).length).toBe(accepted);
    } finally {
      await m.close();
    }
  });
});

/** Makes a real database of about 40 pages, then overwrites pages in its middle. */
async function corruptDatabase(file: string): Promise<void> {
  const store = new SqliteJobStore(file);
  await store.init();
  await store.createWorker({ id: 'w', url: 'http://w/', token: '', lastOnline: new Date(0), lastRegister: new Date(0) });
  for (let i = 0; i < 100; i++) await store.updateMirrorStatus('w', `m${String(i).padStart(3, '0')}`, () => bigStatus('w', `m${i}`));
  await store.close(); // checkpoints: everything is in the main file now
  const pages = statSync(file).size / PAGE;
  expect(pages).toBeGreaterThan(20);
  const fd = openSync(file, 'r+');
  try {
    const garbage = Buffer.alloc(3 * PAGE, 0xa5);
    writeSync(fd, garbage, 0, garbage.length, Math.floor(pages / 2) * PAGE);
  } finally {
    closeSync(fd);
  }
}

describe('a corrupt database file', () => {
  let file: string;
  beforeAll(async () => {
    file = join(dir, 'corrupt.db');
    await corruptDatabase(file);
  });

  it('init() and openJobStore refuse it, naming the file and how to recover', async () => {
    const recovery = new RegExp(
      `db_file ${file.replace(/[.]/g, '\\.')} is corrupt \\(.*\\); the manager refuses to start on it\\. ` +
        `Restore the file from a backup, or recover .*: sqlite3 .*corrupt\\.db "\\.recover" \\| sqlite3 .*corrupt\\.db\\.recovered`,
    );
    await expect(new SqliteJobStore(file).init()).rejects.toThrow(StoreOpenError);
    await expect(new SqliteJobStore(file).init()).rejects.toThrow(recovery);
    await expect(openJobStore({ dbType: 'sqlite', dbFile: file, caCert: '' })).rejects.toThrow(recovery);
  });

  it('startManager refuses to start on it', async () => {
    const outcome = await startManager(managerConfig(file)).then(
      async (m) => {
        await m.close();
        return 'started';
      },
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/corrupt\.db is corrupt .*the manager refuses to start on it/);
  });

  it('the tunasync-manager bin exits 1 saying so', async () => {
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/manager'], { cwd: root });
    const conf = join(dir, 'manager.conf');
    writeFileSync(conf, `[server]\naddr = "127.0.0.1"\nport = 0\n[files]\ndb_type = "sqlite"\ndb_file = "${file}"\n`);
    const r = await run(process.execPath, [join(root, 'packages/manager/dist/cli.js'), '-c', conf], { timeout: 20_000 }).then(
      () => ({ code: 0, output: '' }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, output: err.stdout + err.stderr }),
    );
    expect(r.code).toBe(1);
    expect(r.output).toContain(`cannot start: db_file ${file} is corrupt`);
    expect(r.output).toContain('".recover"');
  }, 120_000);
});

describe('the tunasync-manager bin and store packages', () => {
  const runBin = (args: string[]) =>
    run(process.execPath, [join(root, 'packages/manager/dist/cli.js'), '--port', '0', ...args], { timeout: 20_000 }).then(
      () => ({ code: 0, output: '' }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, output: err.stdout + err.stderr }),
    );

  it('a db_type whose package is not installed exits 1 naming the package and the install command', async () => {
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/manager'], { cwd: root });
    const r = await runBin(['--db-type', 'mongodb', '--db-file', 'mongodb://u:pw@127.0.0.1:1/x']);
    expect(r.code).toBe(1);
    expect(r.output).toContain('needs the package @tunasync/store-mongodb, which is not installed: run `npm install @tunasync/store-mongodb`');
  }, 120_000);

  it('db_type postgres (its package installed) on an unreachable server exits 1 without printing the password', async () => {
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b'], { cwd: root });
    const r = await runBin(['--db-type', 'postgres', '--db-file', 'postgres://u:pw-s3cret@127.0.0.1:1/x']);
    expect(r.code).toBe(1);
    expect(r.output).toContain('cannot open the postgres store (postgres://u:***@127.0.0.1:1/x)');
    expect(r.output).not.toContain('pw-s3cret');
  }, 120_000);
});
