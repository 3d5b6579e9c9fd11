// Benchmark of the stores (issue 19), in one run: durable status reports per
// second (CLIENTS concurrent clients for DURATION_S s, the stream of
// manager-bench.mjs) and GET /jobs p50/p99 with 10,000 jobs, for
//   1. one manager on SQLite (synchronous = FULL),
//   2. one manager on PostgreSQL (fsync and synchronous_commit on),
//   3. two managers on that PostgreSQL behind a round-robin client (each
//      request goes to the next manager; a /jobs "cold" request follows a
//      report sent to the other manager).
// Needs PostgreSQL's binaries (PG_BIN, default /usr/lib/postgresql/15/bin);
// as root the cluster runs as the `postgres` user. Run after `npx tsc -b`:
//   node scripts/bench/manager/store-bench.mjs
import { execFile } from 'node:child_process';
import http from 'node:http';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { emptyMirrorStatus } from '@tunasync/core';
import { SqliteJobStore } from '@tunasync/manager';
import { PostgresJobStore } from '@tunasync/store-postgres';
import { cpuMs, startListening, stopProcess } from '../lib/processes.mjs';

const exec = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '../../../packages/manager/dist/cli.js');
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const CLIENTS = Number(process.env.CLIENTS ?? 64);
const JOBS = Number(process.env.JOBS ?? 10_000);
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const dir = mkdtempSync(join(tmpdir(), 'tunasync-store-bench-'));
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS * 2 });
const children = [];

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** A durable PostgreSQL cluster in `dir`/pg; returns its URL and a stop function. */
async function startPostgres() {
  const pgDir = join(dir, 'pg');
  const asUser = {};
  if (process.getuid?.() === 0) {
    asUser.uid = Number((await exec('id', ['-u', 'postgres'])).stdout);
    asUser.gid = Number((await exec('id', ['-g', 'postgres'])).stdout);
    chownSync(dir, asUser.uid, asUser.gid);
  }
  const run = (f, args) => exec(join(PG_BIN, f), args, { ...asUser, cwd: dir });
  const port = await freePort();
  await run('initdb', ['-D', pgDir, '-A', 'trust', '-U', 'tunasync', '--no-sync']);
  await run('pg_ctl', ['-D', pgDir, '-o', `-k ${dir} -c listen_addresses=127.0.0.1 -p ${port} -c max_connections=100`, '-l', join(dir, 'pg.log'), '-w', 'start']);
  return {
    url: (db) => `postgres://tunasync@127.0.0.1:${port}/${db}`,
    createDb: (db) => exec('psql', ['-X', '-q', '-d', `postgres://tunasync@127.0.0.1:${port}/postgres`, '-c', `CREATE DATABASE ${db}`]),
    stop: () => run('pg_ctl', ['-D', pgDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined),
  };
}

async function startManager(args, env = {}) {
  const started = await startListening(cli, ['--port', '0', ...args], { env });
  children.push(started.child);
  return started;
}

const stop = stopProcess;

function request(url, method, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const STATUSES = ['pre-syncing', 'syncing', 'success', 'failed'];
function report(worker, job, status) {
  return JSON.stringify({
    name: job, worker, is_master: true, status,
    last_update: '0001-01-01T00:00:00Z', last_started: '0001-01-01T00:00:00Z', last_ended: '0001-01-01T00:00:00Z',
    next_schedule: '0001-01-01T00:00:00Z', upstream: 'rsync://example/', size: '1G', error_msg: '',
  });
}

/** Reports from CLIENTS clients for DURATION_S s, request i of a client to bases[i % bases.length]. */
async function load(bases) {
  const deadline = Date.now() + DURATION_S * 1000;
  let ok = 0;
  let bad = 0;
  const reasons = new Map();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      let i = c;
      while (Date.now() < deadline) {
        const job = `job${c}-${i % 50}`;
        const base = bases[i % bases.length];
        // A reset (an idle keep-alive socket the manager closed) counts as not acknowledged.
        const r = await request(`${base}/workers/w${c % 8}/jobs/${job}`, 'POST', report(`w${c % 8}`, job, STATUSES[i++ % 4])).catch((err) => ({ status: err.code ?? 'error', body: '' }));
        if (r.status === 200) ok++;
        else {
          bad++;
          const why = `${r.status} ${String(r.body).slice(0, 120)}`.trim();
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
        }
      }
    }),
  );
  return { perSecond: ok / DURATION_S, bad, reasons: [...reasons].map(([why, n]) => `${n}× ${why}`).join('; ') };
}

/** CPU milliseconds the whole machine spent busy so far (all cores; /proc/stat, in USER_HZ ticks). */
function machineBusyMs() {
  const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) * 10;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function seed(store) {
  await store.init();
  const now = new Date();
  for (let i = 0; i < JOBS; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, JOBS - i) }, (_, k) =>
        store.updateMirrorStatus(`w${(i + k) % 20}`, `mirror-${i + k}`, () => ({
          ...emptyMirrorStatus(`mirror-${i + k}`, `w${(i + k) % 20}`),
          status: 'success', lastUpdate: now, lastEnded: now, size: '12.3G', upstream: `rsync://up/${i + k}/`,
        })),
      ),
    );
  }
  await store.close();
}

/** GET /jobs round robin over `bases`: warm (nothing changes) and cold (a report to another manager first). */
async function jobsLatency(bases) {
  await request(`${bases[0]}/workers`, 'POST', JSON.stringify({ id: 'w0', url: 'http://127.0.0.1:1/' }));
  const times = { warm: [], cold: [] };
  let count = 0;
  for (const kind of ['warm', 'cold']) {
    for (let i = 0; i < 100; i++) {
      const base = bases[i % bases.length];
      if (kind === 'cold') await request(`${bases[(i + 1) % bases.length]}/workers/w0/jobs/mirror-0`, 'POST', report('w0', 'mirror-0', STATUSES[i % 4]));
      const t0 = process.hrtime.bigint();
      const r = await request(`${base}/jobs`, 'GET');
      times[kind].push(Number(process.hrtime.bigint() - t0) / 1e6);
      count = JSON.parse(r.body.toString()).length;
    }
    times[kind].sort((a, b) => a - b);
  }
  return Object.fromEntries(Object.entries(times).map(([k, t]) => [k, `p50 ${percentile(t, 50).toFixed(1)} ms, p99 ${percentile(t, 99).toFixed(1)} ms`]).concat([['count', count]]));
}

async function scenario(name, startAll) {
  const reportsManagers = await startAll('reports');
  for (let w = 0; w < 8; w++) await request(`${reportsManagers[0].url}/workers`, 'POST', JSON.stringify({ id: `w${w}`, url: 'http://127.0.0.1:1/' }));
  // CPU time per acknowledged report: each manager's, this client's, and the rest of the machine's (the database).
  const managers0 = reportsManagers.map((m) => cpuMs(m.child.pid));
  const machine0 = machineBusyMs();
  const self0 = process.cpuUsage();
  const r = await load(reportsManagers.map((m) => m.url));
  const selfUsed = process.cpuUsage(self0);
  const selfMs = (selfUsed.user + selfUsed.system) / 1000;
  const managersMs = reportsManagers.map((m, i) => cpuMs(m.child.pid) - managers0[i]);
  const restMs = machineBusyMs() - machine0 - selfMs - managersMs.reduce((a, b) => a + b, 0);
  const n = Math.max(1, r.perSecond * DURATION_S);
  const per = (ms) => (ms / n).toFixed(2);
  for (const m of reportsManagers) await stop(m.child);
  const jobsManagers = await startAll('jobs');
  const j = await jobsLatency(jobsManagers.map((m) => m.url));
  for (const m of jobsManagers) await stop(m.child);
  console.log(`${name}:`);
  console.log(`  durable reports: ${r.perSecond.toFixed(0)}/s (${CLIENTS} clients, ${DURATION_S} s, ${r.bad} not acknowledged${r.reasons ? `: ${r.reasons}` : ''})`);
  console.log(`  CPU per report: manager${managersMs.length > 1 ? 's' : ''} ${managersMs.map(per).join(' + ')} ms, the rest of the machine (database) ${per(Math.max(0, restMs))} ms, bench client ${per(selfMs)} ms`);
  console.log(`  GET /jobs with ${j.count} jobs: warm ${j.warm}; cold ${j.cold}`);
}

let pg;
try {
  console.log(`store-bench: node ${process.version}, ${CLIENTS} clients, ${DURATION_S} s per load, ${JOBS} jobs for /jobs`);
  const sqliteJobs = join(dir, 'jobs.db');
  await seed(new SqliteJobStore(sqliteJobs, { synchronous: 'normal' }));
  await scenario('1. one manager, SQLite', async (part) => [
    await startManager(['--db-file', part === 'jobs' ? sqliteJobs : join(dir, 'reports.db')]),
  ]);
  pg = await startPostgres();
  for (const db of ['r1', 'r2', 'jobs']) await pg.createDb(db);
  await seed(new PostgresJobStore(pg.url('jobs')));
  const pgManager = (db) => startManager(['--db-type', 'postgres', '--db-file', 'postgres://set-by-env/'], { TUNASYNC_DB_URL: pg.url(db) });
  await scenario('2. one manager, PostgreSQL', async (part) => [await pgManager(part === 'jobs' ? 'jobs' : 'r1')]);
  await scenario('3. two managers, PostgreSQL, round-robin client', async (part) => {
    const db = part === 'jobs' ? 'jobs' : 'r2';
    return Promise.all([pgManager(db), pgManager(db)]);
  });
} finally {
  for (const c of children) {
    if (c.exitCode === null) c.kill('SIGKILL');
  }
  agent.destroy();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
}
