// Benchmark of the manager's GET /metrics (issue 16): scrape time with 10,000
// mirrors (10 workers × 1,000 mirrors, every mirror with run stats and
// metadata), the database filled with SQL in one transaction, the real
// manager (startManager, built dist) on 127.0.0.1. Target: under 100 ms a
// scrape. Prints the HTTP scrape time (p50/p99/max over SCRAPES), the time
// of the per-mirror part alone (siteMetricsText, store read each time, with
// its CPU time) and the body size.
// Usage: npx tsc -b && node scripts/bench/manager/metrics-bench.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { SqliteJobStore, siteMetricsText, startManager } from '@tunasync/manager';

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

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (x) => `${x.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), 'tunasync-metrics-bench-'));
try {
  const file = join(dir, 'manager.db');
  await fill(file);
  const config = {
    debug: false,
    server: { addr: '127.0.0.1', port: 0, sslCert: '', sslKey: '', clientCa: '' },
    files: { dbType: 'sqlite', dbFile: file, caCert: '' },
    auth: { workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true },
  };
  const m = await startManager(config);
  const url = `${m.url}/metrics`;
  let bytes = 0;
  let lines = 0;
  for (let i = 0; i < 5; i++) {
    const text = await (await fetch(url)).text(); // warm-up
    bytes = Buffer.byteLength(text);
    lines = text.split('\n').length;
  }
  // A busy site: a worker wrote between two scrapes, so the store is read again.
  const http = [];
  const write = (i) =>
    fetch(`${m.url}/workers/worker-0/schedules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schedules: [{ name: 'mirror-0000', next_schedule: new Date(Date.now() + i * 1000).toISOString() }] }),
    }).then((r) => r.text());
  for (let i = 0; i < SCRAPES; i++) {
    await write(i);
    const t = performance.now();
    const r = await fetch(url);
    await r.text();
    http.push(performance.now() - t);
  }
  // A quiet store: the scrape reuses the last reads (generation unchanged).
  const quiet = [];
  for (let i = 0; i < SCRAPES; i++) {
    const t = performance.now();
    await (await fetch(url)).text();
    quiet.push(performance.now() - t);
  }
  const part = [];
  const cpu = [];
  for (let i = 0; i < SCRAPES; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    await siteMetricsText(m.store, new Date());
    const used = process.cpuUsage(c);
    part.push(performance.now() - t);
    cpu.push((used.user + used.system) / 1000);
  }
  await m.close();
  http.sort((a, b) => a - b);
  quiet.sort((a, b) => a - b);
  part.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  console.log(`metrics-bench: ${WORKERS * PER_WORKER} mirrors, ${lines} lines, ${(bytes / 1024 / 1024).toFixed(1)} MiB a scrape, ${SCRAPES} scrapes`);
  console.log(`  GET /metrics       p50 ${ms(pct(http, 50))}  p99 ${ms(pct(http, 99))}  max ${ms(http.at(-1))}  (a write before each scrape)`);
  console.log(`  GET /metrics       p50 ${ms(pct(quiet, 50))}  p99 ${ms(pct(quiet, 99))}  max ${ms(quiet.at(-1))}  (store unchanged)`);
  console.log(`  siteMetricsText    p50 ${ms(pct(part, 50))}  p99 ${ms(pct(part, 99))}  max ${ms(part.at(-1))}`);
  console.log(`  its CPU time       p50 ${ms(pct(cpu, 50))}  p99 ${ms(pct(cpu, 99))}  (wall time above includes waiting for a core)`);
  console.log(`  load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
} finally {
  if (process.env.KEEP_DB) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
