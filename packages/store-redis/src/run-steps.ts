/**
 * The run history rules (core's RunHistoryStep) applied to one mirror's rows
 * in memory: the Redis store reads the rows, computes what changes here, and
 * writes the changes with one Lua script that checks nothing changed
 * meanwhile. Same rules, case for case, as the SQL stores.
 */
import type { JobStats, RunHistoryStep, RunRecord, RunTrigger } from '@tunasync/core';

/** A stored run: its sequence number (insertion order; 0 = not yet stored) and record. */
export interface RunRow {
  seq: number;
  rec: RunRecord;
}

/** What applying a step changes: rows to write (new ones have seq 0) and the job's new stats, when any run closed. */
export interface StepEffect {
  writes: RunRow[];
  stats?: JobStats;
}

const newest = (a: RunRow, b: RunRow) => b.rec.startedAt.getTime() - a.rec.startedAt.getTime() || b.seq - a.seq;

/** Zero stats of a job. */
export function zeroStats(worker: string, mirror: string): JobStats {
  return { worker, mirror, runsTotal: 0, failuresTotal: 0, consecutiveFailures: 0, transferredBytesTotal: 0 };
}

function count(stats: JobStats, rec: RunRecord): JobStats {
  const s = { ...stats };
  const counted = rec.result === 'success' || rec.result === 'failed';
  if (counted) {
    s.runsTotal++;
    if (rec.result === 'failed') {
      s.failuresTotal++;
      s.consecutiveFailures++;
    } else s.consecutiveFailures = 0;
    s.transferredBytesTotal += rec.transferredBytes ?? 0;
  }
  if (rec.result) s.lastResult = rec.result;
  if (rec.durationS !== undefined) s.lastDurationS = rec.durationS;
  else delete s.lastDurationS;
  if (counted && rec.transferredBytes !== undefined) s.lastTransferredBytes = rec.transferredBytes;
  else delete s.lastTransferredBytes;
  return s;
}

/** Applies `step` of job (worker, mirror) to the mirror's rows (not modified); returns the changes. */
export function applyStep(rows: readonly RunRow[], stats: JobStats, worker: string, mirror: string, step: RunHistoryStep): StepEffect {
  const at = step.at.getTime();
  const writes: RunRow[] = [];
  let st = stats;
  let closedAny = false;
  const job = rows.filter((r) => r.rec.worker === worker).map((r) => ({ seq: r.seq, rec: { ...r.rec } }));
  const put = (r: RunRow) => {
    if (!writes.includes(r)) writes.push(r);
  };
  const close = (r: RunRow) => {
    st = count(st, r.rec);
    closedAny = true;
    put(r);
  };
  const abortOpen = (keep?: string) => {
    for (const r of job) {
      if (r.rec.result !== undefined || r.rec.runId === keep) continue;
      r.rec.result = 'aborted';
      r.rec.endedAt = new Date(at);
      r.rec.durationS = Math.max(0, (at - r.rec.startedAt.getTime()) / 1000);
      close(r);
    }
  };
  const done = (): StepEffect => (closedAny ? { writes, stats: st } : { writes });
  const insert = (rec: RunRecord) => {
    const r = { seq: 0, rec };
    job.push(r);
    put(r);
    return r;
  };
  const empty = (runId: string, trigger: RunTrigger, startedAt: number): RunRecord => ({
    runId, worker, mirror, trigger, startedAt: new Date(startedAt), attempts: 1, errorMsg: '', size: '',
  });
  if (step.kind === 'abort') {
    abortOpen();
    return done();
  }
  const open = job.filter((r) => r.rec.result === undefined).sort(newest)[0];
  const byRunId = () => job.filter((r) => r.seq !== 0 && r.rec.runId === step.runId).sort((a, b) => a.seq - b.seq)[0];
  const raise = (r: RunRow, attempt: number) => {
    if (r.rec.attempts < attempt) {
      r.rec.attempts = attempt;
      put(r);
    }
  };
  if (step.kind === 'open') {
    if (open && step.onlyIfNoneOpen) return done();
    if (open && open.rec.runId === step.runId) {
      raise(open, step.attempt);
      return done();
    }
    if (open) abortOpen(step.runId);
    const existing = step.isNew ? undefined : byRunId();
    if (existing) raise(existing, step.attempt);
    else insert({ ...empty(step.runId, step.trigger, at), attempts: step.attempt });
    return done();
  }
  let target: RunRow | undefined;
  if (open && (step.matchOpen || open.rec.runId === step.runId)) target = open;
  else if (!step.matchOpen) {
    if (open) abortOpen(step.runId);
    target = byRunId();
  }
  const details = (rec: RunRecord, fill: boolean) => {
    const set = <K extends 'exitCode' | 'transferredBytes' | 'filesTransferred' | 'logFile'>(k: K, v: RunRecord[K] | undefined) => {
      if (fill) {
        if (rec[k] === undefined && v !== undefined) rec[k] = v;
      } else if (v === undefined) delete rec[k];
      else rec[k] = v;
    };
    set('exitCode', step.exitCode);
    set('transferredBytes', step.transferredBytes);
    set('filesTransferred', step.filesTransferred);
    set('logFile', step.logFile);
    if (step.attempt !== undefined) rec.attempts = Math.max(rec.attempts, step.attempt);
  };
  if (target && target.rec.result === undefined) {
    const rec = target.rec;
    rec.endedAt = new Date(at);
    rec.result = step.result;
    rec.durationS = step.durationS ?? Math.max(0, (at - rec.startedAt.getTime()) / 1000);
    rec.errorMsg = step.errorMsg;
    rec.size = step.size;
    details(rec, false);
    close(target);
    return done();
  }
  if (target) {
    const before = JSON.stringify(target.rec);
    details(target.rec, true);
    if (JSON.stringify(target.rec) !== before) put(target);
    return done();
  }
  const started = step.durationS !== undefined && !step.matchOpen ? at - Math.round(step.durationS * 1000) : at;
  const rec: RunRecord = {
    ...empty(step.runId, step.trigger, started),
    attempts: step.attempt ?? 1,
    endedAt: new Date(at),
    durationS: step.durationS ?? (at - started) / 1000,
    result: step.result,
    errorMsg: step.errorMsg,
    size: step.size,
  };
  details(rec, false);
  close(insert(rec));
  return done();
}
