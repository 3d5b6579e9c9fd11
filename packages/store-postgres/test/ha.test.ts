/**
 * Several managers on one PostgreSQL (issue 19): two `tunasync-manager`
 * processes (the built bin) on one database. A worker reports to A while B
 * serves `/jobs` and forwards `/cmd`; A is killed with SIGKILL during a
 * burst of reports from 50 concurrent clients, and every acknowledged report
 * is in the database and answered by B.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { builtBin, freePort, request, serve, startTestPostgres, until, type Served, type TestPostgres } from '@tunasync/testkit';

let pg: TestPostgres;
const children: ChildProcess[] = [];
beforeAll(async () => {
  pg = await startTestPostgres();
}, 60_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await pg?.stop();
});

interface Proc {
  child: ChildProcess;
  base: string;
  output(): string;
}

/** Starts the manager bin on `dbUrl` (given through TUNASYNC_DB_URL, with a password that must never be printed). */
async function startManagerProcess(dbUrl: string): Promise<Proc> {
  const port = await freePort();
  const withPassword = dbUrl.replace('tunasync@', 'tunasync:pw-s3cret@');
  const child = spawn(
    process.execPath,
    [builtBin('manager'), '--addr', '127.0.0.1', '--port', String(port), '--db-type', 'postgres', '--db-file', 'postgres://placeholder/none', '-v'],
    { env: { ...process.env, TUNASYNC_DB_URL: withPassword }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const base = `http://127.0.0.1:${port}`;
  await until(async () => ((await request(base, 'GET', '/workers')).status === 200 ? true : undefined), `manager on ${port} answers (${out})`, 30_000);
  return { child, base, output: () => out };
}

const report = (name: string, size: string) => ({ name, worker: 'w1', is_master: true, status: 'success', upstream: `rsync://up/${name}/`, size, error_msg: '' });

describe('two managers on one PostgreSQL', () => {
  let a: Proc;
  let b: Proc;
  let fakeWorker: Served;
  const commands: unknown[] = [];

  beforeAll(async () => {
    const url = await pg.createDatabase();
    [a, b] = await Promise.all([startManagerProcess(url), startManagerProcess(url)]);
    fakeWorker = await serve((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        commands.push(JSON.parse(body || 'null'));
        res.setHeader('content-type', 'application/json');
        res.end('{"msg":"OK"}');
      });
    });
  }, 90_000);
  afterAll(async () => {
    await fakeWorker?.close();
  });

  it('a worker reports to A; B serves /jobs and forwards /cmd to the worker', async () => {
    expect((await request(a.base, 'POST', '/workers', { body: { id: 'w1', url: `${fakeWorker.url}/` } })).status).toBe(200);
    expect((await request(a.base, 'POST', '/workers/w1/jobs/debian', { body: report('debian', '1.5G') })).status).toBe(200);
    const jobs = JSON.parse((await request(b.base, 'GET', '/jobs')).text) as { name: string; size: string }[];
    expect(jobs).toEqual([expect.objectContaining({ name: 'debian', size: '1.5G', status: 'success' })]);
    // B's /jobs answer is cached per store generation: A's next report must show through it.
    expect((await request(a.base, 'POST', '/workers/w1/jobs/debian', { body: report('debian', '2G') })).status).toBe(200);
    expect(JSON.parse((await request(b.base, 'GET', '/jobs')).text)[0].size).toBe('2G');
    const cmd = await request(b.base, 'POST', '/cmd', { body: { cmd: 'start', worker_id: 'w1', mirror_id: 'debian', args: [], options: {} } });
    expect(cmd.status).toBe(200);
    expect(commands).toContainEqual(expect.objectContaining({ cmd: 'start', mirror_id: 'debian' }));
    expect(a.output() + b.output()).not.toContain('pw-s3cret');
  }, 60_000);

  it('kill -9 of A during a burst from 50 clients: every acknowledged report is in the database and B answers for it', async () => {
    const acked = new Map<string, number>();
    let stop = false;
    const client = async (i: number): Promise<void> => {
      const name = `job${String(i).padStart(2, '0')}`;
      for (let n = 1; !stop; n++) {
        const r = await request(a.base, 'POST', `/workers/w1/jobs/${name}`, { body: report(name, String(n)) }).catch(() => undefined);
        if (!r) return; // A is gone
        if (r.status === 200) acked.set(name, n);
      }
    };
    const clients = Array.from({ length: 50 }, (_, i) => client(i));
    await until(() => (acked.size === 50 && [...acked.values()].every((n) => n >= 3) ? true : undefined), 'every client has acknowledged reports', 30_000);
    a.child.kill('SIGKILL');
    await Promise.all(clients);
    stop = true;
    expect(acked.size).toBe(50);
    const jobs = JSON.parse((await request(b.base, 'GET', '/workers/w1/jobs')).text) as { name: string; size: string }[];
    const stored = new Map(jobs.map((j) => [j.name, Number(j.size)]));
    for (const [name, n] of acked) {
      // The stored report is the last acknowledged one, or one A wrote but could not acknowledge before it died.
      expect(stored.get(name)).toBeGreaterThanOrEqual(n);
    }
    const web = JSON.parse((await request(b.base, 'GET', '/jobs')).text) as { name: string }[];
    expect(web.map((j) => j.name).filter((n) => n.startsWith('job'))).toHaveLength(50);
  }, 90_000);
});
