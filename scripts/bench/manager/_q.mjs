import Database from 'better-sqlite3';
import { performance } from 'node:perf_hooks';
import { SqliteJobStore } from '@tunasync/manager';
const file = process.argv[2];
const db = new Database(file, { readonly: true });
const q = db.prepare(`SELECT s.worker, s.name, s.status, s.last_update, s.last_started, s.last_ended, s.next_schedule, s.size,
  j.runs_total, j.failures_total, j.consecutive_failures, j.transferred_bytes_total, j.last_duration_s, j.last_transferred_bytes,
  m.stale_after_s, m.interval_s
  FROM mirror_status s LEFT JOIN job_stats j ON j.worker = s.worker AND j.mirror = s.name LEFT JOIN job_meta m ON m.worker = s.worker AND m.mirror = s.name
  ORDER BY s.worker, s.name`).raw();
const store = new SqliteJobStore(file); await store.init();
const q2 = db.prepare(`SELECT s.worker, s.name, s.status, s.last_update AS lastUpdateMs, s.last_started AS lastStartedMs, s.last_ended AS lastEndedMs, s.next_schedule AS nextScheduleMs, s.size,
  j.runs_total AS runsTotal, j.failures_total AS failuresTotal, j.consecutive_failures AS consecutiveFailures, j.transferred_bytes_total AS transferredBytesTotal, j.last_duration_s AS lastDurationS, j.last_transferred_bytes AS lastTransferredBytes,
  m.stale_after_s AS staleAfterS, m.interval_s AS intervalS
  FROM mirror_status s LEFT JOIN job_stats j ON j.worker = s.worker AND j.mirror = s.name LEFT JOIN job_meta m ON m.worker = s.worker AND m.mirror = s.name
  ORDER BY s.worker, s.name`);
const cpu = async (f) => { const c = process.cpuUsage(); for (let i = 0; i < 20; i++) await f(); const u = process.cpuUsage(c); return ((u.user + u.system) / 1000 / 20).toFixed(1); };
for (let i = 0; i < 3; i++) {
  console.log('raw', await cpu(() => q.all()), 'objects', await cpu(() => q2.all()), 'lists', await cpu(() => Promise.all([store.listAllMirrorStatus(), store.listJobStats(), store.listJobMeta(), store.listWorkers()])));
}
