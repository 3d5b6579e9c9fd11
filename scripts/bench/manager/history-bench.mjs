// Benchmark of the run history (issue 14): GET /jobs/:mirror/history?limit=100
// against the real manager with 1,000,000 runs stored (1,000 mirrors on 5
// workers, 200 runs each: a site at the default `[history] keep`), the table
// filled with SQL in one transaction. Target: p99 ≤ 20 ms. Also the worker
// filter, a rare-result filter (result=failed, 1 run in 50) and a `before`
// page. Run through manager-bench.mjs (ONLY=history for this part alone).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteJobStore } from '@tunasync/manager';

const MIRRORS = 1000;
const WORKERS = 5;
const PER_JOB = 200;
const REQUESTS = 500;

/** Fills a new manager database with MIRRORS × WORKERS × PER_JOB runs; returns the file. */
async function fill(dir) {
  const file = join(dir, 'history.db');
  const store = new SqliteJobStore(file, { synchronous: 'normal' });
  await store.init(); // the schema, by the manager's own migrations
  await store.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    `INSERT INTO runs (run_id, worker, mirror, trigger, started_at, ended_at, duration_s, result, attempts,
                       exit_code, error_msg, size, transferred_bytes, files_transferred, log_file)
     VALUES (?, ?, ?, 'schedule', ?, ?, ?, ?, 1, ?, ?, '12.3G', ?, ?, ?)`,
  );
  const status = db.prepare(
    `INSERT INTO mirror_status (worker, name, is_master, status, last_update, last_started, last_ended, next_schedule, upstream, size, error_msg)
     VALUES (?, ?, 1, 'success', ?, ?, ?, ?, 'rsync://up/', '12.3G', '')`,
  );
  const start = Date.now() - PER_JOB * 3_600_000;
  db.transaction(() => {
    // Runs interleave across jobs in time, as on a real site.
    for (let i = 0; i < PER_JOB; i++) {
      for (let m = 0; m < MIRRORS; m++) {
        for (let w = 0; w < WORKERS; w++) {
          const t = start + i * 3_600_000 + m * 1000 + w * 100;
          const failed = (i + m) % 50 === 0;
          insert.run(
            `r-${m}-${w}-${i}`, `w${w}`, `mirror-${m}`, t, t + 600_000, 600, failed ? 'failed' : 'success',
            failed ? 23 : 0, failed ? 'rsync exited 23' : '', 123_456, 42, `mirror-${m}_x.log`,
          );
        }
      }
    }
    for (let m = 0; m < MIRRORS; m++) for (let w = 0; w < WORKERS; w++) status.run(`w${w}`, `mirror-${m}`, start, start, start, start);
    const worker = db.prepare("INSERT INTO workers (id, url, token, last_online, last_register) VALUES (?, 'http://127.0.0.1:1/', '', ?, ?)");
    for (let w = 0; w < WORKERS; w++) worker.run(`w${w}`, start, start);
  })();
  const n = db.prepare('SELECT count(*) AS n FROM runs').get().n;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { file, runs: n };
}

/** Runs the history benchmark and prints its figures. */
export async function benchHistory({ cli, dir, start, stop, request, percentile }) {
  const t0 = Date.now();
  const { file, runs } = await fill(dir);
  const fillS = (Date.now() - t0) / 1000;
  const m = await start(cli, ['--port', '0', '--db-file', file]);
  const queries = {
    'limit=100': (k) => `/jobs/mirror-${k % MIRRORS}/history?limit=100`,
    'limit=100&worker=W': (k) => `/jobs/mirror-${k % MIRRORS}/history?limit=100&worker=w${k % WORKERS}`,
    'limit=100&result=failed': (k) => `/jobs/mirror-${k % MIRRORS}/history?limit=100&result=failed`,
    'limit=100&before=RUN': (k) => `/jobs/mirror-${k % MIRRORS}/history?limit=100&before=r-${k % MIRRORS}-0-150`,
    'GET /jobs/:mirror': (k) => `/jobs/mirror-${k % MIRRORS}`,
  };
  const lines = [];
  for (const [name, path] of Object.entries(queries)) {
    const times = [];
    let rows = 0;
    for (let k = 0; k < REQUESTS + 20; k++) {
      const t = process.hrtime.bigint();
      const r = await request(`${m.url}${path(k * 7919)}`, 'GET');
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (r.status !== 200) throw new Error(`${path(k)} answered ${r.status}: ${r.body}`);
      if (k >= 20) times.push(ms); // the first 20 warm the caches
      rows = JSON.parse(r.body.toString()).length;
      if (rows === 0) throw new Error(`${path(k)} answered no rows`);
    }
    times.sort((a, b) => a - b);
    lines.push(`  ${name}: ${rows} rows, p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms`);
  }
  await stop(m.child);
  console.log(`GET /jobs/:mirror/history with ${runs} runs stored (filled in ${fillS.toFixed(1)} s), ${REQUESTS} requests each:`);
  for (const l of lines) console.log(l);
}
