/**
 * Talks to the managers: registers with each (retrying with a jittered,
 * capped backoff for as long as it takes; tunasync gave up after 10 s,
 * #125), and delivers status and schedule reports to each in order (see
 * manager-link.ts for what each failure means). Reports wait in a durable
 * outbox per manager (a journal in the worker's state directory) while it
 * is unreachable, and are replayed in order when it is back, also by the
 * next worker process after a restart. The state directory is locked
 * first (state-lock.ts), so a second worker on it refuses to start before
 * touching a journal. Emits `sent`, `refused`, `depth` and `dead-letter`
 * (reporter-events.ts).
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Got } from 'got';
import { errorMessage, serializeMirrorStatus, serializeRunFields, type Logger, type MirrorSchedule, type MirrorStatus, type RunFields, type WorkerStatus } from '@tunasync/core';
import { ManagerLink } from './manager-link.js';
import { Outbox } from './outbox.js';
import type { ReporterEmit, ReporterEvents } from './reporter-events.js';
import { lockStateDir, type StateLock } from './state-lock.js';

/** Skipped journal lines logged one by one; the rest are counted. */
const SKIPPED_LOGGED = 20;

/** Options of Reporter. */
export interface ReporterOptions {
  apiBaseList: string[];
  http: Got;
  /** The worker's registration (id and control URL). */
  self: () => WorkerStatus;
  logger: Logger;
  /** Longest wait between retries (default 30 s); each wait is a random part of it (full jitter). */
  maxBackoffMs?: number;
  /** Directory of the outbox journals; reports are kept in memory only when undefined. */
  stateDir?: string;
  /**
   * The lock on `stateDir`, when the caller took it already (lockStateDir);
   * otherwise the Reporter takes it, and releases it on close().
   */
  stateLock?: StateLock;
  /** Failed attempts after which a report is parked in the dead-letter file (default 50). */
  maxAttempts?: number;
  /** Random numbers in [0, 1) for the backoff's jitter (default Math.random). */
  random?: () => number;
}

/** The journal file of the outbox for manager `base` under `stateDir`. */
export function outboxFile(stateDir: string, base: string): string {
  const slug = base.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 60);
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return join(stateDir, 'outbox', `${slug}-${hash}.jsonl`);
}

/**
 * Reports to every manager of the worker. Construction locks the state
 * directory (throws StateDirLockedError, naming the holder's pid, when
 * another worker has it) and opens the journals.
 */
export class Reporter extends EventEmitter<ReporterEvents> {
  private readonly stop = new AbortController();
  private readonly links: ManagerLink[];
  private readonly schedules = new Map<string, MirrorSchedule>();
  private schedulesTimer: NodeJS.Immediate | undefined;
  /** The lock this Reporter took (and releases on close). */
  private readonly ownLock: StateLock | undefined;

  constructor(private readonly opts: ReporterOptions) {
    super();
    const { logger, stateDir } = opts;
    if (stateDir && opts.stateLock && resolve(opts.stateLock.dir) !== resolve(stateDir)) {
      throw new Error(`the state lock given is on ${opts.stateLock.dir}, not on the state directory ${stateDir}`);
    }
    // Locked before any journal is read or rewritten.
    this.ownLock = stateDir && !opts.stateLock ? lockStateDir(stateDir, { logger }) : undefined;
    const emit: ReporterEmit = (name, ...args) => {
      try {
        (this.emit as (n: keyof ReporterEvents, ...a: unknown[]) => boolean)(name, ...args);
      } catch (err) {
        logger.error(`a listener of the reporter's ${name} event failed: ${errorMessage(err)}`);
      }
    };
    const opened: Outbox[] = [];
    try {
      // The same manager twice would mean two journals on one file.
      this.links = [...new Set(opts.apiBaseList.map((b) => b.replace(/\/+$/, '')))].map((base) => {
        const journal = stateDir ? outboxFile(stateDir, base) : undefined;
        const outbox = new Outbox(journal, {
          workerId: opts.self().id,
          onError: (err) => logger.error(`outbox for ${base}: cannot write the journal: ${errorMessage(err)}`),
        });
        opened.push(outbox);
        const { replayed, skippedLines, skipped, rewriteError } = outbox.recovery;
        for (const s of skipped.slice(0, SKIPPED_LOGGED)) logger.warn(`outbox ${journal}:${s.line}: skipped a line (${s.why})`);
        if (skippedLines > Math.min(skipped.length, SKIPPED_LOGGED)) logger.warn(`outbox ${journal}: skipped ${skippedLines} line(s) in all`);
        if (rewriteError) logger.warn(`${rewriteError}; appending to the journal as it is`);
        if (replayed > 0) logger.info(`${replayed} report(s) to ${base} kept from before the restart will be sent first`);
        return new ManagerLink({
          base,
          outbox,
          journal,
          http: opts.http,
          self: opts.self,
          logger,
          signal: this.stop.signal,
          maxBackoffMs: opts.maxBackoffMs ?? 30_000,
          maxAttempts: Math.max(1, opts.maxAttempts ?? 50),
          random: opts.random ?? Math.random,
          emit,
        });
      });
    } catch (err) {
      // Nothing was pushed: closing writes nothing, it only lets go of the files.
      for (const o of opened) void o.close();
      this.ownLock?.release();
      throw err;
    }
  }

  /** Reports parked in dead-letter files since start, over all managers. */
  get deadLettered(): number {
    return this.links.reduce((n, l) => n + l.deadLettered, 0);
  }

  private get id(): string {
    return encodeURIComponent(this.opts.self().id);
  }

  /** Starts registering with every manager and delivering what is queued. */
  start(): void {
    for (const l of this.links) l.start();
  }

  /** Waits until registered with the first manager, at most `timeoutMs`; true if registered. */
  async waitRegistered(timeoutMs: number): Promise<boolean> {
    const first = this.links[0];
    const end = Date.now() + timeoutMs;
    while (first && !first.isRegistered && Date.now() < end) await sleep(20);
    return first?.isRegistered ?? false;
  }

  /** Queues a job status for every manager; `run`'s fields (wave2.md § Runs) are merged into the body after tunasync's. */
  reportStatus(status: MirrorStatus, run?: RunFields): void {
    const body = run ? { ...serializeMirrorStatus(status), ...serializeRunFields(run) } : serializeMirrorStatus(status);
    this.sendSchedules();
    for (const l of this.links) l.push({ path: `/workers/${this.id}/jobs/${encodeURIComponent(status.name)}`, body, what: `status of ${status.name}` });
  }

  /** Queues, for every manager, the removal of a job the worker no longer has (our manager's extension). */
  reportJobRemoved(name: string): void {
    this.sendSchedules();
    for (const l of this.links) l.push({ path: `/workers/${this.id}/jobs/${encodeURIComponent(name)}`, method: 'DELETE', body: null, what: `job ${name}` });
  }

  /** Queues schedules for every manager; changes made in the same tick go as one report. */
  reportSchedules(schedules: MirrorSchedule[]): void {
    for (const s of schedules) this.schedules.set(s.name, s);
    this.schedulesTimer ??= setImmediate(() => this.sendSchedules());
  }

  private sendSchedules(): void {
    if (this.schedulesTimer) clearImmediate(this.schedulesTimer);
    this.schedulesTimer = undefined;
    if (this.schedules.size === 0) return;
    const list = [...this.schedules.values()];
    this.schedules.clear();
    for (const l of this.links) l.pushSchedules(`/workers/${this.id}/schedules`, list);
  }

  /** Reads this worker's jobs from the first manager (empty when it cannot be reached). */
  async fetchJobs(): Promise<unknown[]> {
    const base = this.opts.apiBaseList[0];
    if (!base) return [];
    try {
      const r = await this.opts.http.get(`${base}/workers/${this.id}/jobs`, { retry: { limit: 1 } });
      return Array.isArray(r.body) ? (r.body as unknown[]) : [];
    } catch (err) {
      this.opts.logger.warn(`cannot read job status from ${base}: ${errorMessage(err)}`);
      return [];
    }
  }

  /** Waits (at most `timeoutMs`) for queued reports to be delivered. */
  async flush(timeoutMs: number): Promise<boolean> {
    this.sendSchedules();
    const results = await Promise.all(this.links.map((l) => l.flush(timeoutMs)));
    return results.every(Boolean);
  }

  /** Stops delivering and releases the state directory (if the Reporter locked it); what is still queued stays in the outbox for the next process. */
  async close(): Promise<void> {
    this.sendSchedules();
    this.stop.abort();
    try {
      await Promise.all(this.links.map((l) => l.done()));
    } finally {
      this.ownLock?.release();
    }
  }
}
