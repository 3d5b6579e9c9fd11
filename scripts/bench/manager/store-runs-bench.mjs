// The store's share of a status report with and without run recording
// (issue 14): SqliteJobStore.updateMirrorStatus from 64 concurrent callers
// (one job each per cycle, 50 jobs per caller), 20,000 updates cycling
// pre-syncing, syncing, success, failed, once with no history step and once
// with the manager's runStepOf (a tunasync-style stream), alternated twice.
// SYNC=normal sets synchronous = NORMAL (default FULL, as the manager).
// Run after `npx tsc -b`: node scripts/bench/manager/store-runs-bench.mjs
import { SqliteJobStore, runStepOf } from '@tunasync/manager';
import { emptyMirrorStatus } from '@tunasync/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const STATUSES = ['pre-syncing', 'syncing', 'success', 'failed'];
for (const mode of ['off', 'on', 'off', 'on']) {
  const dir = mkdtempSync(join(tmpdir(), 'tunasync-store-bench-'));
  const store = new SqliteJobStore(join(dir, 'x.db'), { synchronous: process.env.SYNC === 'normal' ? 'normal' : 'full' });
  await store.init();
  const t = performance.now();
  const N = 20000;
  for (let b = 0; b < N / 64; b++) {
    await Promise.all(Array.from({ length: 64 }, (_, c) => {
      const job = `job${c}-${Math.floor(b / 4) % 50}`;
      const now = new Date();
      const next = { ...emptyMirrorStatus(job, `w${c % 8}`), status: STATUSES[b % 4] };
      return store.updateMirrorStatus(`w${c % 8}`, job, () => next, mode === 'on' ? (p, n) => runStepOf(p, n, undefined, now) : undefined);
    }));
  }
  console.log(mode === 'on' ? 'with run history   ' : 'without run history', ((N / (performance.now() - t)) * 1000).toFixed(0), 'updates/s');
  await store.close();
  rmSync(dir, { recursive: true });
}
