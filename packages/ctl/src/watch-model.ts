/**
 * What `tunasynctl watch` shows: every job (mirror on a worker) that passes
 * the filters, kept up to date from snapshots (the jobs of every worker)
 * and single job updates (`event: job` of `GET /events`, whose data is the
 * job's `/jobs` entry, with `worker` when the manager adds it). Each change
 * of status, or a new end of a run, is returned as a WatchChange.
 */
import { emptyMirrorStatus, isZeroTime, parseWebMirrorStatus, type MirrorStatus, type SyncStatus } from '@tunasync/core';
import { globToRegExp } from './glob.js';

/** A change the model saw. */
export interface WatchChange {
  job: MirrorStatus;
  /** The status before; undefined for a job that appeared. */
  from?: SyncStatus;
  /** True for a job that is gone. */
  removed?: boolean;
}

/** Which jobs are watched. */
export interface WatchFilter {
  /** Only these statuses (all when undefined). */
  statuses?: readonly SyncStatus[];
  /** Only mirrors matching one of these globs (all when empty). */
  globs?: readonly string[];
}

/** The order of statuses in the table: what needs attention first. */
export const STATUS_ORDER: readonly SyncStatus[] = ['failed', 'syncing', 'pre-syncing', 'success', 'paused', 'disabled', 'none'];

const keyOf = (j: Pick<MirrorStatus, 'name' | 'worker'>): string => `${j.name}\u0000${j.worker}`;

/** The fields of a `/jobs` entry (an event may carry more, such as `worker`). */
const WEB_KEYS = [
  'name', 'is_master', 'status', 'last_update', 'last_update_ts', 'last_started', 'last_started_ts',
  'last_ended', 'last_ended_ts', 'next_schedule', 'next_schedule_ts', 'upstream', 'size',
];

/** Reads the data of an `event: job`: the job and its worker (undefined when the manager does not say); undefined when it is not a job. */
export function parseJobEvent(data: string): { job: MirrorStatus; worker?: string } | undefined {
  let o: unknown;
  try {
    o = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const raw = o as Record<string, unknown>;
  const picked = Object.fromEntries(WEB_KEYS.filter((k) => k in raw).map((k) => [k, raw[k]]));
  try {
    const web = parseWebMirrorStatus(picked);
    const worker = typeof raw.worker === 'string' ? raw.worker : undefined;
    return { job: { ...emptyMirrorStatus(web.name, worker ?? ''), ...web, errorMsg: typeof raw.error_msg === 'string' ? raw.error_msg : '' }, ...(worker !== undefined ? { worker } : {}) };
  } catch {
    return undefined;
  }
}

/** Sorts jobs by status (STATUS_ORDER), then name, then worker. */
export function sortJobs(jobs: MirrorStatus[]): MirrorStatus[] {
  const rank = (s: SyncStatus): number => STATUS_ORDER.indexOf(s);
  return [...jobs].sort((a, b) => rank(a.status) - rank(b.status) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.worker < b.worker ? -1 : a.worker > b.worker ? 1 : 0));
}

/** The watched jobs. */
export class WatchModel {
  private readonly rows = new Map<string, MirrorStatus>();
  private readonly patterns: RegExp[];

  constructor(private readonly filter: WatchFilter = {}) {
    this.patterns = (filter.globs ?? []).map(globToRegExp);
  }

  /** Whether a job passes the filters. */
  wanted(job: MirrorStatus): boolean {
    if (this.filter.statuses && !this.filter.statuses.includes(job.status)) return false;
    return this.patterns.length === 0 || this.patterns.some((p) => p.test(job.name));
  }

  /** The jobs shown, sorted. */
  jobs(): MirrorStatus[] {
    return sortJobs([...this.rows.values()]);
  }

  /** How many jobs have each status (of the jobs shown). */
  counts(): Map<SyncStatus, number> {
    const out = new Map<SyncStatus, number>();
    for (const j of this.rows.values()) out.set(j.status, (out.get(j.status) ?? 0) + 1);
    return out;
  }

  /** Replaces everything with a snapshot; returns what changed (nothing the first time). */
  snapshot(all: MirrorStatus[], first = false): WatchChange[] {
    const next = new Map<string, MirrorStatus>();
    for (const j of all) if (this.wanted(j)) next.set(keyOf(j), j);
    const changes: WatchChange[] = [];
    if (!first) {
      for (const [k, j] of next) {
        const c = this.diff(this.rows.get(k), j);
        if (c) changes.push(c);
      }
      for (const [k, j] of this.rows) if (!next.has(k)) changes.push({ job: j, removed: true });
    }
    this.rows.clear();
    for (const [k, j] of next) this.rows.set(k, j);
    return changes;
  }

  /**
   * Applies one job update. Without a worker it is the row of that name when
   * there is exactly one; `'ambiguous'` says a snapshot is needed instead.
   */
  update(job: MirrorStatus, worker: string | undefined): WatchChange[] | 'ambiguous' {
    let key: string;
    if (worker !== undefined) key = keyOf({ name: job.name, worker });
    else {
      const same = [...this.rows.entries()].filter(([, j]) => j.name === job.name);
      if (same.length > 1) return 'ambiguous';
      key = same[0]?.[0] ?? keyOf(job);
      if (same[0]) job = { ...job, worker: same[0][1].worker };
    }
    const prev = this.rows.get(key);
    if (!this.wanted(job)) {
      if (!prev) return [];
      this.rows.delete(key);
      return [{ job, from: prev.status }];
    }
    this.rows.set(key, job);
    const c = this.diff(prev, job);
    return c ? [c] : [];
  }

  /** The change from `prev` to `next`: a new status, or a run that ended again with the same one. */
  private diff(prev: MirrorStatus | undefined, next: MirrorStatus): WatchChange | undefined {
    if (!prev) return { job: next };
    const ended = (d: Date): number => (isZeroTime(d) ? 0 : d.getTime());
    if (prev.status !== next.status || ended(prev.lastEnded) !== ended(next.lastEnded)) return { job: next, from: prev.status };
    return undefined;
  }
}

