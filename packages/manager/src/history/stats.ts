/**
 * The `stats` object of `GET /jobs/:mirror`, over a job's kept runs:
 * `runs` (runs that ended, any result), `failures` (result `failed`),
 * `success_rate` (successes / (successes + failures), null when neither),
 * `median_duration_s` and `p95_duration_s` (over successful runs: how long a
 * sync takes; nearest rank for p95; null when none) and `last_success_at`
 * (RFC 3339 end of the newest success, or null).
 */
import { formatRfc3339, type RunRecord } from '@tunasync/core';

/** The JSON of a job's run statistics. */
export interface RunStatsJSON {
  runs: number;
  failures: number;
  success_rate: number | null;
  median_duration_s: number | null;
  p95_duration_s: number | null;
  last_success_at: string | null;
}

function median(sorted: number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function nearestRank(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

/** Statistics of `runs` (newest first, as listRuns answers). */
export function runStats(runs: readonly RunRecord[]): RunStatsJSON {
  let ended = 0;
  let failures = 0;
  let successes = 0;
  let lastSuccess: Date | undefined;
  const durations: number[] = [];
  for (const r of runs) {
    if (r.result === undefined) continue;
    ended++;
    if (r.result === 'failed') failures++;
    if (r.result === 'success') {
      successes++;
      if (r.endedAt && (lastSuccess === undefined || r.endedAt > lastSuccess)) lastSuccess = r.endedAt;
      if (r.durationS !== undefined) durations.push(r.durationS);
    }
  }
  durations.sort((a, b) => a - b);
  return {
    runs: ended,
    failures,
    success_rate: successes + failures > 0 ? successes / (successes + failures) : null,
    median_duration_s: median(durations),
    p95_duration_s: nearestRank(durations, 0.95),
    last_success_at: lastSuccess ? formatRfc3339(lastSuccess) : null,
  };
}
