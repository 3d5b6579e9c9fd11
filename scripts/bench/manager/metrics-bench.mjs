// Benchmark of the manager's GET /metrics (issue 16): scrape time with 10,000
// mirrors (10 workers × 1,000 mirrors, every mirror with run stats and
// metadata), the database filled with SQL in one transaction, the manager
// daemon (the built bin) on 127.0.0.1 scraped from this process, as
// Prometheus would. Target: under 100 ms a scrape. Prints the scrape time
// (p50/p99/max over SCRAPES) with the daemon's CPU time per scrape, after a
// write (the store is read again) and with the store unchanged; then what
// the store reads alone take and a one-off full render, for comparison.
// Usage: npx tsc -b && node scripts/bench/manager/metrics-bench.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { SqliteJobStore, siteMetricsText } from '@tunasync/manager';
import { cpuMs, percentile, startListening, stopProcess } from '../lib/processes.mjs';

const WORKERS = 10;
const PER_WORKER = 1000;
const SCRAPES = Number(process.env.SCRAPES ?? 50);
const STATUSES = ['success', 'failed', 'syncing', 'pre-syncing', 'paused', 'disabled', 'none'];

async function fill(file) {
  const store = new SqliteJobStore(file);
  await store.init(); // the schema, by the manager's own migrations
  await store.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const now = Date.now();
  const status = db.prepare(
    `INSERT INTO mirror_status (worker, name, is_master, status, last_update, last_started, last_ended, next_schedule, upstream, size, error_msg)
     VALUES (?, ?, 1, ?, ?, ?, ?, ?, 'rsync://up.example/x/', ?, '')`,
  );
  const stats = db.prepare(
    `INSERT INTO job_stats (worker, mirror, runs_total, failures_total, consecutive_failures, transferred_bytes_total, last_result, last_duration_s, last_transferred_bytes)
     VALUES (?, ?, ?, ?, ?, ?, 'success', ?, ?)`,
  );
  const meta = db.prepare('INSERT INTO job_meta (worker, mirror, stale_after_s, interval_s) VALUES (?, ?, ?, ?)');
  const worker = db.prepare("INSERT INTO workers (id, url, token, last_online, last_register) VALUES (?, 'http://127.0.0.1:1/', '', ?, ?)");
  db.transaction(() => {
    for (let w = 0; w < WORKERS; w++) {
      worker.run(`worker-${w}`, now, now);
      for (let m = 0; m < PER_WORKER; m++) {
        const name = `mirror-${String(m).padStart(4, '0')}`;
        const last = now - (m % 97) * 3_600_000;
        status.run(`worker-${w}`, name, STATUSES[m % STATUSES.length], last, last - 600_000, last, last + 7_200_000, `${(m % 900) + 1}.${m % 10}G`);
        stats.run(`worker-${w}`, name, 100 + m, m % 7, m % 3, 123_456_789 * (m + 1), 600.5, 1_234_567);
        meta.run(`worker-${w}`, name, m % 2 === 0 ? 129_600 : null, 7200);
      }
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

const pct = percentile;
const ms = (x) => `${x.toFixed(1)} ms`;
const cli = fileURLToPath(new URL('../../../packages/manager/dist/cli.js', import.meta.url));

const agent = new Agent({ keepAlive: true });

/** GETs `url` with node:http (a light client: it only counts the bytes); resolves with their number. */
function getBytes(url) {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let n = 0;
      res.on('data', (b) => (n += b.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`GET ${url}: ${res.statusCode}`))));
    }).on('error', reject);
  });
}

/** Scrapes `n` times (`before(i)` first, untimed); wall times and the daemon's CPU time per scrape. */
async function scrapes(url, pid, n, before) {
  const wall = [];
  let cpu = 0;
  for (let i = 0; i < n; i++) {
    await before?.(i);
    const c = cpuMs(pid);
    const t = performance.now();
    await getBytes(url);
    wall.push(performance.now() - t);
    cpu += cpuMs(pid) - c;
  }
  return { wall: wall.sort((a, b) => a - b), cpuPerScrape: cpu / n };
}

const dir = mkdtempSync(join(tmpdir(), 'tunasync-metrics-bench-'));
let daemon;
try {
  const file = join(dir, 'manager.db');
  await fill(file);
  // The manager daemon (the built bin) on the database, as Prometheus scrapes it: another process.
  daemon = await startListening(cli, ['--addr', '127.0.0.1', '--port', '0', '--db-file', file]);
  const url = `${daemon.url}/metrics`;
  const pid = daemon.child.pid;
  let bytes = 0;
  let lines = 0;
  let firstMs = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const text = await (await fetch(url)).text(); // warm-up; the first one reads and renders everything
    if (i === 0) firstMs = performance.now() - t;
    bytes = Buffer.byteLength(text);
    lines = text.split('\n').length;
  }
  // A busy site: a worker wrote between two scrapes, so the store is read again.
  const write = (i) =>
    fetch(`${daemon.url}/workers/worker-0/schedules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schedules: [{ name: 'mirror-0000', next_schedule: new Date(Date.now() + i * 1000).toISOString() }] }),
    }).then((r) => r.text());
  const busy = await scrapes(url, pid, SCRAPES, write);
  // A quiet store: the scrape reuses the last reads (generation unchanged).
  const quiet = await scrapes(url, pid, SCRAPES);
  // What the store reads alone cost (the four lists a changed store needs), in this process.
  const store = new SqliteJobStore(file);
  await store.init();
  const reads = [];
  for (let i = 0; i < SCRAPES; i++) {
    const t = performance.now();
    await Promise.all([store.listAllMirrorStatus(), store.listJobStats(), store.listJobMeta(), store.listWorkers()]);
    reads.push(performance.now() - t);
  }
  reads.sort((a, b) => a - b);
  // A one-off render (every sample built), for comparison.
  const full = [];
  for (let i = 0; i < Math.min(SCRAPES, 10); i++) {
    const t = performance.now();
    await siteMetricsText(store, new Date());
    full.push(performance.now() - t);
  }
  full.sort((a, b) => a - b);
  await store.close();
  const os = await import('node:os');
  console.log(`metrics-bench: ${WORKERS * PER_WORKER} mirrors, ${lines} lines, ${(bytes / 1024 / 1024).toFixed(1)} MiB a scrape, ${SCRAPES} scrapes of the manager daemon`);
  const line = (what, r, note) =>
    console.log(`  GET /metrics  p50 ${ms(pct(r.wall, 50))}  p99 ${ms(pct(r.wall, 99))}  max ${ms(r.wall.at(-1))}  daemon CPU ${ms(r.cpuPerScrape)}/scrape  (${what}${note})`);
  console.log(`  GET /metrics  first scrape ${ms(firstMs)}  (the whole store read and every sample rendered, as after a restart or a resync)`);
  line('a write before each scrape', busy, '');
  line('store unchanged', quiet, '');
  console.log(`  store reads alone       p50 ${ms(pct(reads, 50))}  p99 ${ms(pct(reads, 99))}  (statuses, stats, meta, workers)`);
  console.log(`  one-off full render     p50 ${ms(pct(full, 50))}  (siteMetricsText: every sample built, as before the incremental render)`);
  console.log(`  load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
} finally {
  agent.destroy();
  if (daemon) await stopProcess(daemon.child);
  if (process.env.KEEP_DB) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
