/**
 * One upstream stream per followed log: clients that follow the same log of
 * the same worker the same way (same query, same `Last-Event-ID`) within
 * JOIN_WINDOW_MS of each other share one request to the worker, so the
 * mirror box sends a log once however many people watch it. The events the
 * shared stream brought before a client joined are kept (at most
 * JOIN_WINDOW_BYTES) and sent to it first: it gets what its own request
 * would have (from a moment earlier), with no gap and no duplicate. Later
 * clients open a new shared stream.
 *
 * The upstream is read as fast as the fastest client takes, until one has
 * its queue cap of bytes waiting: then it waits for that one, for at most
 * STALL_MS; one still that far behind gets `event: error` (`slow_client`)
 * and is dropped (it reconnects with its last event id), so a stuck client
 * neither stalls the others for long nor holds memory without bound (the
 * queued Buffers are the same for every client). The upstream request is
 * aborted when the last client goes.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { STALL_MS, dropSlowClient, realTimers, type TimerApi } from '@tunasync/core';
import type { Request, Response } from 'express';
import { openUpstream, passedHeaders, upstreamRefusal, upstreamRequest, type LogProxyOptions, type PassedRefusal } from './log-proxy.js';

/** How long after a shared stream was opened another client may still join it, in ms. */
export const JOIN_WINDOW_MS = 2_000;
/** How many bytes of a shared stream are kept for clients that join it late. */
export const JOIN_WINDOW_BYTES = 1024 * 1024;
/** Bytes a client may have queued before the upstream waits for it. */
export const DEFAULT_CLIENT_QUEUE_BYTES = 16 * 1024 * 1024;

/** Settings of a LogStreamHub. */
export interface LogStreamHubOptions {
  /** Bytes one client may have queued (default 16 MiB). */
  queueBytes?: number;
  /** Timers for the stall wait and the drop grace (the real ones by default). */
  timers?: TimerApi;
  /** Milliseconds now (Date.now by default), for the join window. */
  now?: () => number;
}

type Head = { kind: 'stream'; headers: [string, string | string[]][] } | { kind: 'refused'; refusal: PassedRefusal } | { kind: 'gone' };

interface Client {
  res: Response;
  /** Sent what the stream had and following it. */
  live: boolean;
  /** The last write did not fit: waiting for `drain`. */
  full: boolean;
  onDrain(): void;
  leave(): void;
}

/** One request to the worker, followed by every client that joined it. */
class SharedLogStream {
  private readonly clients = new Set<Client>();
  private readonly controller = new AbortController();
  private readonly openedAt: number;
  private readonly head: Promise<Head>;
  /** What the stream brought so far, while others may still join; undefined once no one can. */
  private kept: Buffer[] | undefined = [];
  private keptBytes = 0;
  private upstream: IncomingMessage | undefined;
  private ended = false;
  private paused = false;
  private stall: unknown;
  private joinTimer: unknown;

  constructor(
    private readonly o: LogProxyOptions,
    url: URL,
    headers: OutgoingHttpHeaders,
    private readonly hub: { queueBytes: number; timers: TimerApi; now: () => number; forget(s: SharedLogStream): void },
  ) {
    this.openedAt = hub.now();
    // The kept events are let go when the window ends, even if the log is idle by then.
    this.joinTimer = hub.timers.set(() => this.stopJoining(), JOIN_WINDOW_MS);
    this.head = this.open(url, headers);
    this.head.catch(() => undefined); // each client sees the error; none may be waiting any more
  }

  /** True while a client may join: within the window, with everything the stream brought still kept. */
  joinable(): boolean {
    return !this.ended && this.kept !== undefined && this.hub.now() - this.openedAt <= JOIN_WINDOW_MS;
  }

  /** Follows the stream for `res`: resolves when this client is done; rejects (before any byte) with what the worker's answer became. */
  async follow(res: Response): Promise<void> {
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const onClose = (): void => client.leave();
    const client: Client = {
      res,
      live: false,
      full: false,
      onDrain: () => {
        client.full = false;
        this.flow();
      },
      leave: () => {
        if (!this.clients.delete(client)) return;
        res.off('close', onClose);
        res.off('drain', client.onDrain);
        resolveDone();
        if (this.clients.size === 0) this.close();
        else this.flow();
      },
    };
    this.clients.add(client);
    res.on('close', onClose);
    if (res.destroyed || res.writableEnded) {
      // The client went away before it got here (while the route looked up the worker): its close was missed.
      client.leave();
      return;
    }
    let head: Head;
    try {
      head = await this.head;
    } catch (err) {
      client.leave();
      throw err;
    }
    if (!this.clients.has(client)) return; // the client went away meanwhile
    if (head.kind !== 'stream') {
      client.leave();
      if (head.kind === 'refused') res.status(head.refusal.status).json(head.refusal.body);
      return;
    }
    res.status(200);
    for (const [h, v] of head.headers) res.setHeader(h, v);
    res.flushHeaders();
    // Joining is synchronous: what the stream brought so far, then live.
    for (const b of this.kept ?? []) this.write(client, b);
    client.live = true;
    if (this.ended) {
      res.end();
      client.leave();
    }
    this.flow();
    return done;
  }

  private async open(url: URL, headers: OutgoingHttpHeaders): Promise<Head> {
    const upstream = await openUpstream(url, headers, this.o, this.controller.signal).catch((err: unknown) => {
      this.hub.forget(this);
      throw err;
    });
    if (!upstream) return { kind: 'gone' };
    if (upstream.statusCode !== 200) {
      this.hub.forget(this);
      this.ended = true;
      return { kind: 'refused', refusal: await upstreamRefusal(upstream, this.o.worker) };
    }
    this.upstream = upstream;
    upstream.on('data', (b: Buffer) => this.onData(b));
    upstream.on('end', () => this.onEnd());
    upstream.on('error', () => undefined); // followed by close
    upstream.on('close', () => {
      if (!this.ended) this.onBroken();
    });
    return { kind: 'stream', headers: passedHeaders(upstream, 'log/stream') };
  }

  private write(c: Client, b: Buffer): void {
    if (c.res.writableEnded || c.res.destroyed) {
      queueMicrotask(() => c.leave()); // gone without a close seen: it leaves (not while the clients are walked)
      return;
    }
    if (!c.res.write(b) && !c.full) {
      c.full = true;
      c.res.once('drain', c.onDrain);
    }
  }

  private onData(b: Buffer): void {
    if (this.kept) {
      if (this.keptBytes + b.length > JOIN_WINDOW_BYTES || this.hub.now() - this.openedAt > JOIN_WINDOW_MS) this.stopJoining();
      else {
        this.kept.push(b);
        this.keptBytes += b.length;
      }
    }
    for (const c of this.clients) if (c.live) this.write(c, b);
    this.flow();
  }

  /** The worker ended the stream (after `end`): every client's answer ends. */
  private onEnd(): void {
    this.endAll((res) => res.end());
  }

  /** The worker went away mid-stream: every client is cut off (they reconnect with their last event id). */
  private onBroken(): void {
    this.endAll((res) => res.destroy());
  }

  /** The stream is over: each live client's answer is ended by `how` (one still joining ends when it joins). */
  private endAll(how: (res: Response) => void): void {
    this.ended = true;
    this.stopJoining();
    this.endStall();
    for (const c of [...this.clients]) {
      if (!c.live) continue;
      how(c.res);
      c.leave();
    }
  }

  /** No client is left: the request to the worker is aborted. */
  private close(): void {
    this.stopJoining();
    this.endStall();
    this.controller.abort();
    this.upstream?.destroy();
  }

  private stopJoining(): void {
    if (this.joinTimer !== undefined) this.hub.timers.clear(this.joinTimer);
    this.joinTimer = undefined;
    this.kept = undefined;
    this.keptBytes = 0;
    this.hub.forget(this);
  }

  /** Pauses the upstream while every client is full or one is a whole queue behind (then for at most STALL_MS); resumes otherwise. */
  private flow(): void {
    const up = this.upstream;
    if (!up || this.ended) return;
    let live = 0;
    let full = 0;
    let behind = false;
    for (const c of this.clients) {
      if (!c.live) continue;
      live++;
      if (c.full) full++;
      if (c.res.writableLength >= this.hub.queueBytes) behind = true;
    }
    if (behind) this.stall ??= this.hub.timers.set(() => this.dropBehind(), STALL_MS);
    else this.endStall();
    const wait = live > 0 && (behind || full === live);
    if (wait && !this.paused) up.pause();
    if (!wait && this.paused) up.resume();
    this.paused = wait;
  }

  private endStall(): void {
    if (this.stall === undefined) return;
    this.hub.timers.clear(this.stall);
    this.stall = undefined;
  }

  /** The wait is over: clients still a whole queue behind are dropped. */
  private dropBehind(): void {
    this.stall = undefined;
    for (const c of [...this.clients]) if (c.live && c.res.writableLength >= this.hub.queueBytes) this.drop(c);
    this.flow();
  }

  /** Ends a client that fell behind: an `error` event after what it was sent, then the end (cut if it does not go out). */
  private drop(c: Client): void {
    c.leave();
    dropSlowClient(c.res, this.hub.queueBytes, this.hub.timers);
  }
}

/** The manager's shared log streams, one per worker, log and way of following it. */
export class LogStreamHub {
  private readonly streams = new Map<string, SharedLogStream>();
  private readonly queueBytes: number;
  private readonly timers: TimerApi;
  private readonly now: () => number;

  constructor(options: LogStreamHubOptions = {}) {
    this.queueBytes = options.queueBytes ?? DEFAULT_CLIENT_QUEUE_BYTES;
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? Date.now;
  }

  /** Shared streams that clients may still join. */
  get size(): number {
    return this.streams.size;
  }

  /** Follows the log `req` asks for into `res`, through a shared upstream stream where one can be joined. */
  follow(req: Request, res: Response, o: LogProxyOptions): Promise<void> {
    const { url, headers } = upstreamRequest(req, o);
    const key = [o.worker.id, o.worker.url, url.href, String(headers['last-event-id'] ?? ''), o.token ?? ''].join('\0');
    let stream = this.streams.get(key);
    if (!stream?.joinable()) {
      const s = new SharedLogStream(o, url, headers, {
        queueBytes: this.queueBytes,
        timers: this.timers,
        now: this.now,
        forget: (gone) => {
          if (this.streams.get(key) === gone) this.streams.delete(key);
        },
      });
      this.streams.set(key, s);
      stream = s;
    }
    return stream.follow(res);
  }
}
