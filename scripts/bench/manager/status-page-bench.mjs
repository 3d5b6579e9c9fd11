#!/usr/bin/env node
// Benchmark of the status page (issue 17): time to first byte of GET / with
// 2,000 mirrors on 4 workers (statuses of every kind, sizes, upstreams),
// against the real manager over a SQLite file, after `npx tsc -b`. Target:
// first byte under 50 ms (p50 and p95 printed; run alone on a quiet
// machine). Also a filtered and sorted view, the bytes sent, the page's
// gzipped size, the assets' gzipped total, and the /events fan-out: the time
// from a status report's answer to the `job` event on 50 open streams.
//
//   node scripts/bench/manager/status-page-bench.mjs [--mirrors 2000] [--requests 200]
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ASSET_NAMES, SqliteJobStore, WEB_DIR, startManager } from '@tunasync/manager';

const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const MIRRORS = arg('mirrors', 2000);
const REQUESTS = arg('requests', 200);
const WORKERS = 4;
const STATUSES = ['success', 'success', 'success', 'success', 'syncing', 'failed', 'paused', 'disabled', 'none', 'pre-syncing'];

const dir = mkdtempSync(join(tmpdir(), 'status-page-bench-'));
const file = join(dir, 'manager.db');
const store = new SqliteJobStore(file, { synchronous: 'normal' });
await store.init();
const now = Date.now();
for (let w = 0; w < WORKERS; w++) {
  await store.createWorker({ id: `worker${w}`, url: `http://127.0.0.1:${6000 + w}/`, token: '', lastOnline: new Date(now), lastRegister: new Date(now) });
}
const writes = [];
for (let i = 0; i < MIRRORS; i++) {
  const worker = `worker${i % WORKERS}`;
  const name = `mirror-${String(i).padStart(5, '0')}`;
  writes.push(
    store.updateMirrorStatus(worker, name, () => ({
      name, worker, isMaster: true, status: STATUSES[i % STATUSES.length],
      lastUpdate: new Date(now - (i % 97) * 3_600_000), lastStarted: new Date(now - (i % 89) * 600_000), lastEnded: new Date(now - (i % 83) * 500_000),
      nextSchedule: new Date(now + (i % 61) * 60_000), upstream: `rsync://rsync.upstream-${i % 17}.example.org/${name}/`, size: `${(i % 900) + 1}.${i % 10}G`, errorMsg: '',
    })),
  );
}
await Promise.all(writes);
await store.close();

const manager = await startManager({
  debug: false,
  server: { addr: '127.0.0.1', port: 0, sslCert: '', sslKey: '', clientCa: '' },
  files: { dbType: 'sqlite', dbFile: file, caCert: '' },
  auth: { workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true },
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One GET: ms to the first byte of the body and to the last, and the bytes. */
function timed(path) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let first = 0;
    let bytes = 0;
    http
      .get(`${manager.url}${path}`, { agent }, (res) => {
        res.on('data', (c) => {
          if (!first) first = Number(process.hrtime.bigint() - t0) / 1e6;
          bytes += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode, first, total: Number(process.hrtime.bigint() - t0) / 1e6, bytes }));
      })
      .on('error', reject);
  });
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
async function measure(label, path) {
  for (let i = 0; i < 10; i++) await timed(path); // warm-up
  const firsts = [];
  const totals = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const r = await timed(path);
    if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
    firsts.push(r.first);
    totals.push(r.total);
    bytes = r.bytes;
  }
  console.log(
    `${label.padEnd(34)} first byte p50 ${pct(firsts, 50).toFixed(1)} ms, p95 ${pct(firsts, 95).toFixed(1)} ms, max ${Math.max(...firsts).toFixed(1)} ms; ` +
      `whole page p50 ${pct(totals, 50).toFixed(1)} ms; ${(bytes / 1024).toFixed(0)} KiB`,
  );
  return pct(firsts, 95);
}

console.log(`status page bench: ${MIRRORS} mirrors on ${WORKERS} workers, ${REQUESTS} requests each, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const p95 = await measure('GET /', '/');
await measure('GET /?q=upstream-3&sort=-size', '/?q=upstream-3&sort=-size');
await measure('GET /jobs (for comparison)', '/jobs');

const html = await (await fetch(`${manager.url}/`)).text();
let assets = gzipSync(readFileSync(`${WEB_DIR}i18n.json`), { level: 9 }).length;
for (const name of ASSET_NAMES) assets += gzipSync(readFileSync(`${WEB_DIR}${name}`), { level: 9 }).length;
console.log(`page ${(html.length / 1024).toFixed(0)} KiB, ${(gzipSync(html).length / 1024).toFixed(0)} KiB gzipped; assets ${(assets / 1024).toFixed(1)} KiB gzipped (budget 60)`);

// /events fan-out: 50 streams, one report, time until every stream got it.
const STREAMS = 50;
const streams = [];
for (let i = 0; i < STREAMS; i++) {
  streams.push(
    await new Promise((resolve) => {
      const s = { got: null, req: null };
      s.req = http.get(`${manager.url}/events`, (res) => {
        res.on('data', (c) => {
          if (!s.got && String(c).includes('event: job')) s.got = process.hrtime.bigint();
        });
        resolve(s);
      });
    }),
  );
}
// One address may hold 8 streams by default: the bench runs from 127.0.0.1 only, so most were refused.
const open = streams.filter((s) => s.req.res?.statusCode === 200);
const t0 = process.hrtime.bigint();
await fetch(`${manager.url}/workers/worker0/jobs/mirror-00000`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'mirror-00000', worker: 'worker0', is_master: true, status: 'syncing', upstream: 'rsync://x/', size: '1G' }),
});
const deadline = Date.now() + 5000;
while (open.some((s) => !s.got) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
const lat = open.map((s) => (s.got ? Number(s.got - t0) / 1e6 : Infinity));
console.log(`/events: ${open.length} of ${STREAMS} streams accepted (cap 8 per address); report → event on all of them: max ${Math.max(...lat).toFixed(1)} ms`);
for (const s of streams) s.req.destroy();

agent.destroy();
await manager.close();
rmSync(dir, { recursive: true, force: true });
console.log(`target: first byte under 50 ms for 2,000 mirrors: ${p95 < 50 ? 'met' : 'NOT met'} (p95 ${p95.toFixed(1)} ms)`);
