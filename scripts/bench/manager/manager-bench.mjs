// Benchmark of the manager (issue 3): durable status reports per second with
// 64 concurrent clients for 10 s against the real manager and its SQLite
// file, beside a bare express app answering the same request; then p50/p99
// of GET /jobs with 10,000 jobs stored; then p50/p99 of
// GET /jobs/:mirror/history?limit=100 with 1,000,000 runs stored (issue 14,
// see history-bench.mjs). Run: npm run bench:manager (after `npx tsc -b`).
// DURATION_S and CLIENTS may be set in the environment; ONLY=reports or
// ONLY=history runs one part; MANAGER_CLI runs another build of the manager
// (e.g. a copy of an older dist/, to compare before and after a change).
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteJobStore } from '@tunasync/manager';
import { emptyMirrorStatus } from '@tunasync/core';
import { benchHistory } from './history-bench.mjs';
import { cpuMs, startListening, stopProcess } from '../lib/processes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const CLIENTS = Number(process.env.CLIENTS ?? 64);
const ONLY = process.env.ONLY ?? '';
const dir = mkdtempSync(join(tmpdir(), 'tunasync-bench-'));

const start = startListening;
const stop = stopProcess;

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });

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

function report(worker, job, status) {
  return JSON.stringify({
    name: job, worker, is_master: true, status,
    last_update: '0001-01-01T00:00:00Z', last_started: '0001-01-01T00:00:00Z', last_ended: '0001-01-01T00:00:00Z',
    next_schedule: '0001-01-01T00:00:00Z', upstream: 'rsync://example/', size: '1G', error_msg: '',
  });
}

const STATUSES = ['pre-syncing', 'syncing', 'success', 'failed'];

async function load(base) {
  const deadline = Date.now() + DURATION_S * 1000;
  let ok = 0;
  let bad = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      let i = 0;
      while (Date.now() < deadline) {
        const job = `job${c}-${i % 50}`;
        const r = await request(`${base}/workers/w${c % 8}/jobs/${job}`, 'POST', report(`w${c % 8}`, job, STATUSES[i++ % 4]));
        if (r.status === 200) ok++;
        else bad++;
      }
    }),
  );
  return { perSecond: ok / DURATION_S, ok, bad };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** User + system CPU seconds of process `pid` (Linux /proc; NaN elsewhere): steadier than reports/s on a shared machine. */
/** CPU seconds `pid` used so far, or NaN once it is gone. */
function cpuSeconds(pid) {
  try {
    return cpuMs(pid) / 1000;
  } catch {
    return NaN;
  }
}

/** 1. Reports/s against the real manager (SQLite, synchronous = FULL); the stream
 * (pre-syncing, syncing, success, failed) records runs as a tunasync worker's reports do. */
async function benchReports(cli) {
  const manager = await start(cli, ['--port', '0', '--db-file', join(dir, 'bench.db')]);
  for (let w = 0; w < 8; w++) {
    await request(`${manager.url}/workers`, 'POST', JSON.stringify({ id: `w${w}`, url: 'http://127.0.0.1:1/' }));
  }
  const cpu0 = cpuSeconds(manager.child.pid);
  const real = await load(manager.url);
  const cpu = cpuSeconds(manager.child.pid) - cpu0;
  await stop(manager.child);
  console.log(`status reports, ${CLIENTS} clients, ${DURATION_S} s:`);
  const perReport = Number.isFinite(cpu) ? `, ${((cpu * 1e6) / real.ok).toFixed(0)} µs manager CPU per report` : '';
  console.log(`  manager (SQLite, durable): ${real.perSecond.toFixed(0)} reports/s (${real.bad} non-200)${perReport}`);
}

/** 2. The same load against a bare express app. */
async function benchBare() {
  const bare = await start(join(here, 'bare-server.mjs'), []);
  const ceiling = await load(bare.url);
  await stop(bare.child);
  console.log(`  bare express ceiling:      ${ceiling.perSecond.toFixed(0)} requests/s (${ceiling.bad} non-200)`);
}

/** 3. GET /jobs with 10,000 jobs. */
async function benchJobs(cli) {
  const jobsDb = join(dir, 'jobs.db');
  const store = new SqliteJobStore(jobsDb, { synchronous: 'normal' });
  await store.init();
  const now = new Date();
  for (let i = 0; i < 10_000; i++) {
    await store.updateMirrorStatus(`w${i % 20}`, `mirror-${i}`, () => ({
      ...emptyMirrorStatus(`mirror-${i}`, `w${i % 20}`),
      status: 'success', lastUpdate: now, lastEnded: now, size: '12.3G', upstream: `rsync://up/${i}/`,
    }));
  }
  await store.close();
  const m2 = await start(cli, ['--port', '0', '--db-file', jobsDb]);
  // Warm: nothing changes between requests, the manager reuses its answer.
  // Cold: a status report lands before each request, so each is built anew.
  await request(`${m2.url}/workers`, 'POST', JSON.stringify({ id: 'w0', url: 'http://127.0.0.1:1/' }));
  const times = { warm: [], cold: [] };
  let count = 0;
  for (const kind of ['warm', 'cold']) {
    for (let i = 0; i < 100; i++) {
      if (kind === 'cold') await request(`${m2.url}/workers/w0/jobs/mirror-0`, 'POST', report('w0', 'mirror-0', STATUSES[i % 4]));
      const t0 = process.hrtime.bigint();
      const r = await request(`${m2.url}/jobs`, 'GET');
      times[kind].push(Number(process.hrtime.bigint() - t0) / 1e6);
      count = JSON.parse(r.body.toString()).length;
    }
    times[kind].sort((a, b) => a - b);
  }
  await stop(m2.child);
  for (const kind of ['warm', 'cold']) {
    const t = times[kind];
    console.log(`GET /jobs with ${count} jobs, 100 requests, ${kind}: p50 ${percentile(t, 50).toFixed(1)} ms, p99 ${percentile(t, 99).toFixed(1)} ms`);
  }
}

try {
  const cli = process.env.MANAGER_CLI ?? join(here, '../../../packages/manager/dist/cli.js');
  if (ONLY === '' || ONLY === 'reports') await benchReports(cli);
  if (ONLY === '') {
    await benchBare();
    await benchJobs(cli);
  }
  // 4. GET /jobs/:mirror/history with 1,000,000 runs.
  if (ONLY === '' || ONLY === 'history') await benchHistory({ cli, dir, start, stop, request, percentile });
} finally {
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
}
