/**
 * One Server-Sent Events response: the `retry:` line, events with `id:`,
 * `: keep-alive` comments on an injected ticker, and back-pressure: when the
 * socket is full (`write()` answered false) events wait in a bounded queue
 * until `drain`; a client that falls further behind is cut off (it comes
 * back with `Last-Event-ID` and resumes or resyncs).
 */
import type { Response } from 'express';

/** Starts a repeating timer; returns the function that stops it (injectable for tests). */
export type Ticker = (fn: () => void, ms: number) => () => void;

/** The real timer (unref'd: an open stream does not keep the process alive). */
export const intervalTicker: Ticker = (fn, ms) => {
  const t = setInterval(fn, ms);
  t.unref();
  return () => clearInterval(t);
};

/** Default keep-alive period (ms). */
export const KEEP_ALIVE_MS = 15_000;
/** `retry:` sent to clients (ms). */
export const RETRY_MS = 3_000;
/** Most bytes queued for a slow client before its stream is closed. */
export const MAX_QUEUED_BYTES = 1 << 20;

/** Formats one event (`data` may span lines; each becomes a `data:` line). */
export function formatEvent(event: string, data: string, id?: string): string {
  const lines = data.split(/\r\n|\r|\n/).map((l) => `data: ${l}\n`).join('');
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\n${lines}\n`;
}

/** Options of SseStream. */
export interface SseStreamOptions {
  ticker?: Ticker;
  keepAliveMs?: number;
  maxQueuedBytes?: number;
}

/** An open event stream on one response. */
export class SseStream {
  private queue: string[] = [];
  private queued = 0;
  private paused = false;
  private closed = false;
  private readonly stopTicker: () => void;
  private readonly maxQueued: number;
  private readonly closeHandlers: (() => void)[] = [];

  /** Sends the headers and `retry:` at once. */
  constructor(
    private readonly res: Response,
    options: SseStreamOptions = {},
  ) {
    this.maxQueued = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // Tells nginx not to buffer the stream.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    res.on('drain', () => this.flush());
    res.on('close', () => this.close());
    this.stopTicker = (options.ticker ?? intervalTicker)(() => this.write(': keep-alive\n\n'), options.keepAliveMs ?? KEEP_ALIVE_MS);
    this.write(`retry: ${RETRY_MS}\n\n`);
  }

  /** Whether the stream has ended. */
  get ended(): boolean {
    return this.closed;
  }

  /** Calls `fn` once when the stream ends (client gone, cut off, or closed by us). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeHandlers.push(fn);
  }

  /** Queues one event. */
  send(event: string, data: string, id?: string): void {
    this.write(formatEvent(event, data, id));
  }

  private write(text: string): void {
    if (this.closed) return;
    if (this.paused) {
      this.queue.push(text);
      this.queued += Buffer.byteLength(text);
      if (this.queued > this.maxQueued) this.close();
      return;
    }
    if (!this.res.write(text)) this.paused = true;
  }

  private flush(): void {
    this.paused = false;
    while (!this.closed && !this.paused && this.queue.length > 0) {
      const text = this.queue.shift()!;
      this.queued -= Buffer.byteLength(text);
      if (!this.res.write(text)) this.paused = true;
    }
  }

  /** Ends the stream (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTicker();
    this.queue = [];
    if (!this.res.writableEnded) this.res.end();
    for (const fn of this.closeHandlers.splice(0)) fn();
  }
}
