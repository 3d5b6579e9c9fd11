/**
 * Talks to the managers: registers with each (retrying with capped backoff
 * for as long as it takes; tunasync gave up after 10 s, #125), and delivers
 * status and schedule reports to each in order. Reports wait in a queue per
 * manager while it is unreachable and are replayed in order when it is back;
 * a manager answering `invalid workerID` is registered with again.
 * (The queue lives in memory: results survive a manager outage, not a worker
 * restart.)
 */
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

type Message = { path: string; body: unknown; what: string };

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

/** Delivery to one manager. */
class ManagerLink {
  private readonly queue: Message[] = [];
  private registered = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    readonly base: string,
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

  push(m: Message): void {
    this.queue.push(m);
    this.wake?.();
  }

  get pending(): number {
    return this.queue.length + (this.registered ? 0 : 1);
  }

  private async post(path: string, body: unknown): Promise<void> {
    await this.http.post(`${this.base}${path}`, { json: body, retry: { limit: 0 } });
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (!this.signal.aborted) {
      try {
        if (!this.registered) {
          const w = this.self();
          await this.post('/workers', { id: w.id, url: w.url });
          this.registered = true;
          this.logger.info(`registered with manager ${this.base}`);
        }
        const next = this.queue[0];
        if (!next) {
          await new Promise<void>((r) => { this.wake = r; this.signal.addEventListener('abort', () => r(), { once: true }); });
          this.wake = undefined;
          continue;
        }
        await this.post(next.path, next.body);
        this.queue.shift();
        backoff = 250;
      } catch (err) {
        const body = (err as { response?: { statusCode?: number; body?: { error?: string } } }).response;
        if (body?.statusCode === 400 && /invalid workerID/.test(String(body.body?.error))) {
          this.registered = false;
          continue;
        }
        if (body?.statusCode !== undefined && body.statusCode >= 400 && body.statusCode < 500 && this.registered) {
          // The manager refused this message for good (bad request, auth): drop it, say why.
          const dropped = this.queue.shift();
          this.logger.error(`manager ${this.base} refused ${dropped?.what}: ${body.statusCode} ${String(body.body?.error ?? '')}`);
          continue;
        }
        this.logger.warn(`manager ${this.base} unreachable (${errorMessage(err)}); retrying in ${backoff} ms`);
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

  done(): Promise<void> {
    return this.loop;
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
}

/** Reports to every manager of the worker. */
export class Reporter {
  private readonly stop = new AbortController();
  private readonly links: ManagerLink[];

  constructor(private readonly opts: ReporterOptions) {
    this.links = opts.apiBaseList.map(
      (base) => new ManagerLink(base, opts.http, opts.self, opts.logger, this.stop.signal, opts.maxBackoffMs ?? 30_000),
    );
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
    for (const l of this.links) l.push({ path: `/workers/${this.id}/jobs/${encodeURIComponent(status.name)}`, body, what: `status of ${status.name}` });
  }

  /** Queues schedules for every manager. */
  reportSchedules(schedules: MirrorSchedule[]): void {
    if (schedules.length === 0) return;
    const body = serializeMirrorSchedules(schedules);
    for (const l of this.links) l.push({ path: `/workers/${this.id}/schedules`, body, what: 'schedules' });
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
    const results = await Promise.all(this.links.map((l) => l.flush(timeoutMs)));
    return results.every(Boolean);
  }

  /** Stops delivering. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.links.map((l) => l.done()));
  }
}
