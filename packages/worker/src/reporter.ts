/**
 * Talks to the managers: registers with each (retrying with capped backoff
 * for as long as it takes; tunasync gave up after 10 s, #125), and delivers
 * status and schedule reports to each in order. Reports wait in a durable
 * outbox per manager (a journal in the worker's state directory) while it
 * is unreachable, and are replayed in order when it is back, also by the
 * next worker process after a restart. A manager answering
 * `invalid workerID` is registered with again.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Got } from 'got';
import {
  errorMessage,
  serializeMirrorSchedules,
  serializeMirrorStatus,
  type Logger,
  type MirrorSchedule,
  type MirrorStatus,
  type WorkerStatus,
} from '@tunasync/core';
import { Outbox, type OutboxMessage } from './outbox.js';

/** Resolves after `ms`, or at once when `signal` aborts (removing its listener either way). */
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** Delivery to one manager. */
class ManagerLink {
  private registered = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    readonly base: string,
    private readonly outbox: Outbox,
    private readonly http: Got,
    private readonly self: () => WorkerStatus,
    private readonly logger: Logger,
    private readonly signal: AbortSignal,
    private readonly maxBackoffMs: number,
  ) {}

  /** Starts registering and delivering. */
  start(): void {
    this.loop = this.run();
  }

  /** True once registered with this manager. */
  get isRegistered(): boolean {
    return this.registered;
  }

  push(m: Omit<OutboxMessage, 'seq'>): void {
    this.outbox.push(m);
    this.wake?.();
  }

  /** Queues next-run times, merged with those still waiting (newest wins per job). */
  pushSchedules(path: string, schedules: MirrorSchedule[]): void {
    this.outbox.replaceQueued(
      (m) => m.what === 'schedules',
      (older) => {
        const byName = new Map<string, unknown>();
        for (const o of older) for (const e of (o.body as { schedules: { name: string }[] }).schedules) byName.set(e.name, e);
        for (const e of serializeMirrorSchedules(schedules).schedules) byName.set(e.name, e);
        return { path, body: { schedules: [...byName.values()] }, what: 'schedules' };
      },
    );
    this.wake?.();
  }

  get pending(): number {
    return this.outbox.size + (this.registered ? 0 : 1);
  }

  private async send(m: Pick<OutboxMessage, 'path' | 'body' | 'method'>): Promise<void> {
    const url = `${this.base}${m.path}`;
    // The stop signal cancels a request in flight, so close() never waits for a slow manager.
    if (m.method === 'DELETE') await this.http.delete(url, { retry: { limit: 0 }, signal: this.signal });
    else await this.http.post(url, { json: m.body, retry: { limit: 0 }, signal: this.signal });
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (!this.signal.aborted) {
      try {
        if (!this.registered) {
          const w = this.self();
          await this.send({ path: '/workers', body: { id: w.id, url: w.url } });
          this.registered = true;
          this.logger.info(`registered with manager ${this.base}`);
        }
        if (this.signal.aborted) break;
        const next = this.outbox.peek();
        if (!next) {
          await new Promise<void>((resolve) => {
            if (this.signal.aborted) {
              resolve();
              return;
            }
            const done = (): void => {
              this.signal.removeEventListener('abort', done);
              resolve();
            };
            this.wake = done;
            this.signal.addEventListener('abort', done, { once: true });
          });
          this.wake = undefined;
          continue;
        }
        await this.send(next);
        this.outbox.ack();
        backoff = 250;
      } catch (err) {
        if (this.signal.aborted) break;
        const body = (err as { response?: { statusCode?: number; body?: { error?: string } } }).response;
        const status = body?.statusCode;
        if (status === 400 && /invalid workerID/.test(String(body?.body?.error)) && this.registered) {
          // Registered, yet unknown: the manager lost its database, or a report
          // kept from before a rename names another id (dropped: it is not ours).
          const head = this.outbox.peek();
          if (head && !head.path.startsWith(`/workers/${encodeURIComponent(this.self().id)}/`)) {
            this.outbox.ack();
            this.logger.warn(`manager ${this.base}: dropped ${head.what}, reported under another worker id (${head.path})`);
            continue;
          }
          this.registered = false;
          // Back off like any other failure, so two managers behind one address cannot make us spin.
          this.logger.warn(`manager ${this.base} does not know this worker; registering again in ${backoff} ms`);
          await sleep(backoff, this.signal);
          backoff = Math.min(backoff * 2, this.maxBackoffMs);
          continue;
        }
        // Refused for good: a bad request or a missing route/job. Auth failures
        // (401/403), 408 and 429 may pass (a token being rolled out, a proxy), so they are retried.
        const final = status === 400 || status === 404 || status === 405 || status === 409 || status === 413 || status === 422;
        if (final && this.registered) {
          // The manager refused this message for good: drop it, say why.
          const dropped = this.outbox.peek();
          this.outbox.ack();
          const why = `${status} ${String(body?.body?.error ?? '')}`;
          if (dropped?.method === 'DELETE' && status === 404) this.logger.info(`manager ${this.base} has no ${dropped.what} to delete (${why})`);
          else this.logger.error(`manager ${this.base} refused ${dropped?.what}: ${why}`);
          continue;
        }
        const what = status !== undefined ? `answered ${status} ${String(body?.body?.error ?? '')}`.trim() : `unreachable (${errorMessage(err)})`;
        this.logger.warn(`manager ${this.base} ${what}; retrying in ${backoff} ms`);
        await sleep(backoff, this.signal);
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      }
    }
  }

  /** Resolves when everything queued was delivered, or after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.pending > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.pending === 0;
  }

  async done(): Promise<void> {
    await this.loop;
    await this.outbox.close();
  }
}

/** Options of Reporter. */
export interface ReporterOptions {
  apiBaseList: string[];
  http: Got;
  /** The worker's registration (id and control URL). */
  self: () => WorkerStatus;
  logger: Logger;
  /** Longest wait between retries (default 30 s). */
  maxBackoffMs?: number;
  /** Directory of the outbox journals; reports are kept in memory only when undefined. */
  stateDir?: string;
}

/** The journal file of the outbox for manager `base` under `stateDir`. */
export function outboxFile(stateDir: string, base: string): string {
  const slug = base.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 60);
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return join(stateDir, 'outbox', `${slug}-${hash}.jsonl`);
}

/** Reports to every manager of the worker. */
export class Reporter {
  private readonly stop = new AbortController();
  private readonly links: ManagerLink[];
  private readonly schedules = new Map<string, MirrorSchedule>();
  private schedulesTimer: NodeJS.Immediate | undefined;

  constructor(private readonly opts: ReporterOptions) {
    // The same manager twice would mean two journals on one file.
    this.links = [...new Set(opts.apiBaseList.map((b) => b.replace(/\/+$/, '')))].map((base) => {
      const outbox = new Outbox(opts.stateDir ? outboxFile(opts.stateDir, base) : undefined, (err) =>
        opts.logger.error(`outbox for ${base}: cannot write the journal: ${errorMessage(err)}`),
      );
      const { replayed, skippedLines } = outbox.recovery;
      if (replayed > 0) opts.logger.info(`${replayed} report(s) to ${base} kept from before the restart will be sent first`);
      if (skippedLines > 0) opts.logger.warn(`outbox for ${base}: skipped ${skippedLines} unreadable line(s)`);
      return new ManagerLink(base, outbox, opts.http, opts.self, opts.logger, this.stop.signal, opts.maxBackoffMs ?? 30_000);
    });
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
    while (first && !first.isRegistered && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return first?.isRegistered ?? false;
  }

  /** Queues a job status for every manager. */
  reportStatus(status: MirrorStatus): void {
    const body = serializeMirrorStatus(status);
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

  /** Stops delivering; what is still queued stays in the outbox for the next process. */
  async close(): Promise<void> {
    this.sendSchedules();
    this.stop.abort();
    await Promise.all(this.links.map((l) => l.done()));
  }
}
