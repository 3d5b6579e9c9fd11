/**
 * `tunasync-manager import --from URL`: copying workers and job statuses from
 * a running manager (ours, and a fake serving tunasync's exact shapes) into a
 * store, twice without changes, and refusing what is not a tunasync manager.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { ImportSourceError, SqliteJobStore, importFromManager } from '@tunasync/manager';
import { builtBin, runScript, serve, startTestManager, useTempDirs, type Served } from '@tunasync/testkit';

const dirs = useTempDirs('all');
const servers: Served[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});
const stores: SqliteJobStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function freshStore(): Promise<SqliteJobStore> {
  const s = new SqliteJobStore(dirs.make().path('new.db'));
  stores.push(s);
  await s.init();
  return s;
}

/** A fake tunasync manager: its Go JSON (zone offsets, nanoseconds, REDACTED tokens, `null` for empty lists). */
async function fakeTunasync(): Promise<Served> {
  const workers = [
    { id: 'old1', url: 'http://old1:6000/', token: 'REDACTED', last_online: '2026-03-01T18:00:00.123456789+08:00', last_register: '2026-02-01T08:00:00+08:00' },
    { id: 'idle', url: 'http://idle:6000/', token: 'REDACTED', last_online: '2026-03-01T18:00:00+08:00', last_register: '2026-02-01T08:00:00+08:00' },
  ];
  const jobs = [
    {
      name: 'debian', worker: 'old1', is_master: true, status: 'failed', last_update: '2026-03-01T17:00:00.5+08:00',
      last_started: '2026-03-01T17:30:00+08:00', last_ended: '2026-03-01T17:40:00+08:00', next_schedule: '2026-03-01T18:40:00+08:00',
      upstream: 'rsync://ftp.debian.org/debian/', size: '1.2T', error_msg: 'rsync error: some files could not be transferred (code 23)',
    },
    {
      name: 'alpine', worker: 'old1', is_master: false, status: 'success', last_update: '2026-03-01T17:00:00+08:00',
      last_started: '0001-01-01T00:00:00Z', last_ended: '2026-03-01T17:00:00+08:00', next_schedule: '0001-01-01T00:00:00Z',
      upstream: 'rsync://alpine/', size: '300G', error_msg: '',
    },
  ];
  const web = [...jobs.map((j) => ({ name: j.name, is_master: j.is_master, status: j.status, upstream: j.upstream, size: j.size })), { name: 'gone', status: 'success' }];
  const s = await serve((req, res) => {
    res.setHeader('content-type', 'application/json; charset=utf-8');
    if (req.url === '/workers') return res.end(JSON.stringify(workers));
    if (req.url === '/jobs') return res.end(JSON.stringify(web));
    if (req.url === '/workers/old1/jobs') return res.end(JSON.stringify(jobs));
    if (req.url === '/workers/idle/jobs') return res.end('null');
    res.statusCode = 404;
    res.end('404 page not found');
  });
  servers.push(s);
  return s;
}

describe('import from a tunasync manager', () => {
  it('copies every worker and job as it is, and a second run changes nothing', async () => {
    const old = await fakeTunasync();
    const store = await freshStore();
    const lines: string[] = [];
    const first = await importFromManager({ from: old.url, store, print: (l) => lines.push(l) });
    expect(first).toEqual({ workers: { copied: 2, unchanged: 0 }, jobs: { copied: 2, unchanged: 0 }, orphans: ['gone'] });
    expect(await store.listWorkers()).toEqual([
      { id: 'idle', url: 'http://idle:6000/', token: '', lastOnline: new Date('2026-03-01T10:00:00Z'), lastRegister: new Date('2026-02-01T00:00:00Z') },
      { id: 'old1', url: 'http://old1:6000/', token: '', lastOnline: new Date('2026-03-01T10:00:00.123Z'), lastRegister: new Date('2026-02-01T00:00:00Z') },
    ]);
    expect(await store.getMirrorStatus('old1', 'debian')).toEqual({
      name: 'debian', worker: 'old1', isMaster: true, status: 'failed', lastUpdate: new Date('2026-03-01T09:00:00.5Z'),
      lastStarted: new Date('2026-03-01T09:30:00Z'), lastEnded: new Date('2026-03-01T09:40:00Z'), nextSchedule: new Date('2026-03-01T10:40:00Z'),
      upstream: 'rsync://ftp.debian.org/debian/', size: '1.2T', errorMsg: 'rsync error: some files could not be transferred (code 23)',
    });
    expect((await store.getMirrorStatus('old1', 'alpine'))!.isMaster).toBe(false);
    expect(lines).toContain('job debian @ old1: failed, size 1.2T: copied');
    expect(lines).toContain('job gone: not copied (listed by GET /jobs under no registered worker)');
    const before = { workers: await store.listWorkers(), jobs: await store.listAllMirrorStatus() };
    const second = await importFromManager({ from: old.url, store });
    expect(second).toEqual({ workers: { copied: 0, unchanged: 2 }, jobs: { copied: 0, unchanged: 2 }, orphans: ['gone'] });
    expect({ workers: await store.listWorkers(), jobs: await store.listAllMirrorStatus() }).toEqual(before);
  });

  it('copies from our own manager (with its admin token)', async () => {
    const m = await startTestManager({ auth: { adminTokens: ['adm'], publicRead: false } });
    try {
      expect((await m.call('POST', '/workers', { id: 'w1', url: 'http://127.0.0.1:1/' }, 'adm')).status).toBe(200);
      const r = await m.call('POST', '/workers/w1/jobs/arch', { name: 'arch', worker: 'w1', status: 'success', upstream: 'rsync://a/', size: '90G', is_master: true }, 'adm');
      expect(r.status).toBe(200);
      const store = await freshStore();
      await expect(importFromManager({ from: m.base, store })).rejects.toThrow(/wants a token; give an admin token with --token/);
      const s = await importFromManager({ from: m.base, store, token: 'adm' });
      expect(s.jobs.copied).toBe(1);
      expect(await store.getMirrorStatus('w1', 'arch')).toMatchObject({ size: '90G', status: 'success', upstream: 'rsync://a/' });
    } finally {
      await m.close();
    }
  });

  it('refuses a target that is not a tunasync manager', async () => {
    const web = await serve((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<html>hello</html>');
    });
    servers.push(web);
    const store = await freshStore();
    const err = await importFromManager({ from: web.url, store }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportSourceError);
    expect((err as Error).message).toBe(`${web.url} is not a tunasync manager: GET /workers did not answer JSON ("<html>hello</html>")`);
    const other = await serve((_req, res) => res.end('{"ok":true}'));
    servers.push(other);
    await expect(importFromManager({ from: other.url, store })).rejects.toThrow(`${other.url} is not a tunasync manager: GET /workers did not answer a JSON list`);
    expect(await store.listWorkers()).toEqual([]);
  });

  it('the bin: `tunasync-manager import` prints what it copied, and exits 1 with the reason on a bad target', async () => {
    const old = await fakeTunasync();
    const dir = dirs.make();
    const conf = dir.write('manager.conf', `[files]\ndb_type = "sqlite"\ndb_file = "${dir.path('m.db')}"\n`);
    const ok = await runScript(builtBin('manager'), ['import', '--from', old.url, '-c', conf], { timeoutMs: 30_000 });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('worker old1 (http://old1:6000/): copied');
    expect(ok.stdout).toContain(`imported from ${old.url}: 2 worker(s) copied, 0 unchanged; 2 job(s) copied, 0 unchanged; 1 job(s) of no registered worker not copied`);
    const again = await runScript(builtBin('manager'), ['import', '--from', old.url, '-c', conf], { timeoutMs: 30_000 });
    expect(again.stdout).toContain('0 worker(s) copied, 2 unchanged; 0 job(s) copied, 2 unchanged');
    const bad = await runScript(builtBin('manager'), ['import', '--from', `${old.url}/nothing-here`, '-c', conf], { timeoutMs: 30_000 });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`tunasync-manager import: ${old.url}/nothing-here is not a tunasync manager: GET /workers answered HTTP 404`);
  }, 60_000);
});
