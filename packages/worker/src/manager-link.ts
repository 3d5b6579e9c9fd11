/**
 * Delivery to one manager: registers (again whenever the manager says it
 * does not know this worker), then sends the outbox's reports in order.
 *
 * What a failure means:
 * - the manager does not know this worker (`code: "invalid_worker_id"` in
 *   our manager's error body; tunasync's Go manager answers 400
 *   `invalid workerID <id>`): register again, then resend;
 * - any other 4xx but 401, 403, 408 and 429: refused for good, the report
 *   is dropped with a warning naming it (a poison report must not block
 *   the queue: a name too long for a URL gets 431 from Node itself);
 * - anything else: retried after a backoff with full jitter (a random wait
 *   up to the capped exponential), so that workers do not retry at the same
 *   instants after a manager restart. Answers that are about this report
 *   (5xx but 502/503/504, and errors other than an unreachable manager)
 *   count as attempts; after `maxAttempts` the report is parked in the
 *   dead-letter file beside the journal and the queue moves on. An outage
 *   (no answer, 502/503/504, or 401/403/408/429) never parks a report.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Got } from 'got';
import { errorMessage, serializeMirrorSchedules, type Logger, type MirrorSchedule, type WorkerStatus } from '@tunasync/core';
import { deadLetterFile, writeDeadLetter } from './dead-letter.js';
import type { Outbox, OutboxMessage } from './outbox.js';
import type { ReporterEmit } from './reporter-events.js';

/** 4xx answers that may pass (a token being rolled out, a proxy's timeout or rate limit): retried, never dropped. */
const RETRIED_4XX = new Set([401, 403, 408, 429]);
/** Answers that say the manager (or the way to it) is unavailable, not that this report is bad. */
const OUTAGE_STATUS = new Set([...RETRIED_4XX, 502, 503, 504]);
/** Errors without an answer that mean the manager cannot be reached. */
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
]);

const BASE_BACKOFF_MS = 250;

/** How a request failed. */
interface Failure {
  status?: number;
  /** The `error` of the answer's body. */
  error: string;
  /** The `code` of the answer's body. */
  code?: string;
  /** Whether it counts as an attempt towards the dead-letter file. */
  countable: boolean;
  /** For logs: `answered 500 …` or `unreachable (…)`. */
  text: string;
}

/** What a thrown request error says; undefined when the manager in fact answered 2xx (an unparsable body). */
function classify(err: unknown): Failure | undefined {
  const res = (err as { response?: { statusCode?: number; body?: unknown } }).response;
  const status = res?.statusCode;
  if (status === undefined) {
    const code = (err as { code?: unknown }).code;
    return { error: '', countable: !(typeof code === 'string' && OUTAGE_CODES.has(code)), text: `unreachable (${errorMessage(err)})` };
  }
  if (status >= 200 && status < 300) return undefined;
  let body = res?.body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const raw = body.toString();
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      body = { error: raw.slice(0, 200) };
    }
  }
  const b = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; code?: unknown };
  const error = b.error === undefined ? '' : String(b.error);
  return {
    status,
    error,
    ...(typeof b.code === 'string' ? { code: b.code } : {}),
    countable: !OUTAGE_STATUS.has(status),
    text: `answered ${status} ${error}`.trim(),
  };
}

/** A path short enough for a log line. */
const short = (path: string): string => (path.length > 200 ? `${path.slice(0, 200)}…` : path);

/** How a ManagerLink is set up. */
export interface ManagerLinkOptions {
  base: string;
  outbox: Outbox;
  /** The outbox's journal; the dead-letter file goes beside it (kept nowhere when undefined). */
  journal: string | undefined;
  http: Got;
  self: () => WorkerStatus;
  logger: Logger;
  /** Stops everything: requests in flight, waits. */
  signal: AbortSignal;
  maxBackoffMs: number;
  /** Attempts after which a report is parked in the dead-letter file. */
  maxAttempts: number;
  /** A number in [0, 1) (Math.random). */
  random: () => number;
  emit: ReporterEmit;
}

/** Delivery to one manager. */
export class ManagerLink {
  readonly base: string;
  private registered = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();
  /** Consecutive failures, for the backoff. */
  private failures = 0;
  /** Counted failures of the report at the head of the queue. */
  private attempts = 0;
  private lastDepth = -1;
  /** Reports parked in the dead-letter file so far. */
  deadLettered = 0;

  constructor(private readonly o: ManagerLinkOptions) {
    this.base = o.base;
  }

  /** Starts registering and delivering. */
  start(): void {
    this.depthChanged();
    this.loop = this.run();
  }

  /** True once registered with this manager. */
  get isRegistered(): boolean {
    return this.registered;
  }

  /** Queues a report. */
  push(m: Omit<OutboxMessage, 'seq'>): void {
    this.o.outbox.push(m);
    this.depthChanged();
    this.wake?.();
  }

  /** Queues next-run times, merged with those still waiting (newest wins per job). */
  pushSchedules(path: string, schedules: MirrorSchedule[]): void {
    this.o.outbox.replaceQueued(
      (m) => m.what === 'schedules',
      (older) => {
        const byName = new Map<string, unknown>();
        for (const o of older) for (const e of (o.body as { schedules: { name: string }[] }).schedules) byName.set(e.name, e);
        for (const e of serializeMirrorSchedules(schedules).schedules) byName.set(e.name, e);
        return { path, body: { schedules: [...byName.values()] }, what: 'schedules' };
      },
    );
    this.depthChanged();
    this.wake?.();
  }

  /** Reports waiting, plus one while not registered. */
  get pending(): number {
    return this.o.outbox.size + (this.registered ? 0 : 1);
  }

  /** Resolves when everything queued was delivered, or after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.pending > 0 && Date.now() < end) await sleep(20);
    return this.pending === 0;
  }

  /** Waits for the loop to stop (after the signal) and closes the outbox. */
  async done(): Promise<void> {
    await this.loop;
    await this.o.outbox.close();
  }

  private depthChanged(): void {
    const depth = this.o.outbox.size;
    if (depth === this.lastDepth) return;
    this.lastDepth = depth;
    this.o.emit('depth', { manager: this.base, depth });
  }

  private async send(m: Pick<OutboxMessage, 'path' | 'body' | 'method'>): Promise<void> {
    const url = `${this.base}${m.path}`;
    // The stop signal cancels a request in flight, so close() never waits for a slow manager.
    const options = { retry: { limit: 0 }, signal: this.o.signal };
    if (m.method === 'DELETE') await this.o.http.delete(url, options);
    else await this.o.http.post(url, { ...options, json: m.body });
  }

  /** The next backoff: a random wait up to the capped exponential of the failures so far (full jitter). */
  private nextDelay(): number {
    const cap = Math.min(this.o.maxBackoffMs, BASE_BACKOFF_MS * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.floor(this.o.random() * cap);
  }

  /** Waits `ms`, or until stopped. */
  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.o.signal });
    } catch {
      // Stopped.
    }
  }

  /** Waits until something is queued, or until stopped. */
  private async idle(): Promise<void> {
    const signal = this.o.signal;
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
    this.wake = undefined;
  }

  private async run(): Promise<void> {
    while (!this.o.signal.aborted) {
      if (!this.registered) {
        await this.register();
        continue;
      }
      const next = this.o.outbox.peek();
      if (!next) {
        await this.idle();
        continue;
      }
      let failure: Failure | undefined;
      try {
        await this.send(next);
      } catch (err) {
        if (this.o.signal.aborted) break;
        failure = classify(err);
      }
      if (failure) await this.failed(next, failure);
      else this.leave(next, () => this.o.emit('sent', { manager: this.base, path: next.path }));
    }
  }

  private async register(): Promise<void> {
    const w = this.o.self();
    let failure: Failure | undefined;
    try {
      await this.send({ path: '/workers', body: { id: w.id, url: w.url } });
    } catch (err) {
      if (this.o.signal.aborted) return;
      failure = classify(err);
    }
    if (!failure) {
      this.registered = true;
      this.failures = 0;
      this.o.logger.info(`registered with manager ${this.base}`);
      return;
    }
    const ms = this.nextDelay();
    this.o.logger.warn(`manager ${this.base} ${failure.text}; retrying in ${ms} ms`);
    await this.pause(ms);
  }

  /** The head report `m` leaves the queue (delivered, dropped or parked). */
  private leave(m: OutboxMessage, then: () => void): void {
    if (this.o.outbox.peek() === m) this.o.outbox.ack();
    this.failures = 0;
    this.attempts = 0;
    this.depthChanged();
    then();
  }

  private async failed(m: OutboxMessage, f: Failure): Promise<void> {
    const method = m.method ?? 'POST';
    const name = `${method} ${short(m.path)} (${m.what})`;
    const emitRefused = (dropped: boolean): void => {
      if (f.status !== undefined) this.o.emit('refused', { manager: this.base, path: m.path, status: f.status, ...(f.code ? { code: f.code } : {}), dropped });
    };
    if (f.code === 'invalid_worker_id' || (f.status === 400 && /invalid workerID/.test(f.error))) {
      const ours = `/workers/${encodeURIComponent(this.o.self().id)}/`;
      if (!m.path.startsWith(ours)) {
        // A report kept from before a rename names another id: it is not ours to send.
        emitRefused(true);
        this.leave(m, () => this.o.logger.warn(`manager ${this.base}: dropped ${name}, reported under another worker id`));
        return;
      }
      // Registered, yet unknown: the manager lost its database. Register again,
      // after a backoff like any other failure, so two managers behind one address cannot make us spin.
      emitRefused(false);
      this.registered = false;
      if (this.count(m, f, name)) return;
      const ms = this.nextDelay();
      this.o.logger.warn(`manager ${this.base} does not know this worker; registering again in ${ms} ms`);
      await this.pause(ms);
      return;
    }
    if (f.status !== undefined && f.status >= 400 && f.status < 500 && !RETRIED_4XX.has(f.status)) {
      emitRefused(true);
      const why = `${f.status} ${f.error}`.trim();
      if (method === 'DELETE' && f.status === 404) this.leave(m, () => this.o.logger.info(`manager ${this.base} has no ${m.what} to delete (${why})`));
      else this.leave(m, () => this.o.logger.warn(`manager ${this.base}: dropped ${name}: refused for good with ${why}`));
      return;
    }
    emitRefused(false);
    if (f.countable && this.count(m, f, name)) return;
    const ms = this.nextDelay();
    this.o.logger.warn(`manager ${this.base} ${f.text} for ${name}; retrying in ${ms} ms`);
    await this.pause(ms);
  }

  /** Counts an attempt of the head report; parks it and returns true when it reached the limit. */
  private count(m: OutboxMessage, f: Failure, name: string): boolean {
    this.attempts++;
    if (this.attempts < this.o.maxAttempts) return false;
    const attempts = this.attempts;
    let where = 'not kept: no state directory';
    if (this.o.journal) {
      const file = deadLetterFile(this.o.journal);
      where = `in ${file}`;
      try {
        writeDeadLetter(file, {
          time: new Date().toISOString(),
          manager: this.base,
          method: m.method ?? 'POST',
          path: m.path,
          what: m.what,
          body: m.body,
          attempts,
          reason: f.text,
        });
      } catch (err) {
        this.o.logger.error(`${errorMessage(err)}; the report is dropped`);
        where = 'not kept';
      }
    }
    this.deadLettered++;
    this.leave(m, () => {
      this.o.logger.warn(`manager ${this.base}: dead-lettered ${name} after ${attempts} attempts (last: ${f.text}), ${where}`);
      this.o.emit('dead-letter', { manager: this.base, path: m.path, attempts, reason: f.text });
    });
    return true;
  }
}
