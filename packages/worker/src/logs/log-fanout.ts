/**
 * One shared reader per followed log file: it reads each new piece of the
 * file once, redacts and frames it as SSE `line` events once, and writes
 * the same Buffer to every subscribed response. A subscriber that starts
 * elsewhere (its own `tail` or `offset`) first reads the lines up to the
 * shared position on its own, then joins there (no gap, no duplicate).
 * The reader goes as fast as the fastest subscriber takes, until one has
 * its queue cap of bytes waiting: then it waits for that one to drain, for
 * at most STALL_MS; one still that far behind is dropped with `event:
 * error` (it reconnects with its last event id), so a stuck client neither
 * stalls the others for long nor holds memory without bound (the queued
 * Buffers are the same for every subscriber). The reader keeps the pace
 * of follow-pace.ts, so that following does not compete with the job
 * writing the file; it does not watch the directory while it reads (a
 * fast writer would make an event per write). It closes the file when its
 * last subscriber leaves.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { STALL_MS, dropSlowClient, type TimerApi } from '@tunasync/core';
import { CHUNK_BYTES } from './log-bytes.js';
import { readEvents, readRest } from './event-chunks.js';
import { FOLLOW_GROWING_BYTES, FOLLOW_INTERVAL_MS, FollowPace } from './follow-pace.js';
import type { Redactor } from './redact.js';
import { gone, writeText } from './response-sink.js';
import { Signal } from './signal.js';
import { DirWatch } from './dir-watch.js';

/** Bytes a subscriber may have queued before the reader waits for it. */
export const DEFAULT_FOLLOWER_QUEUE_BYTES = 16 * 1024 * 1024;

/** How a subscription ended: the file was complete and all of it sent, it never appeared, the client went, or it fell too far behind. */
export type SubscriptionEnd = 'complete' | 'missing' | 'gone' | 'dropped';

/** Where a subscriber starts, given the open file and its size. */
export type StartAt = (fh: FileHandle, size: number) => Promise<number>;

/** One client following a file. */
export interface LogSubscription {
  /** Resolves when this client is done with the file. */
  readonly done: Promise<SubscriptionEnd>;
  /** The file is complete (its try ended): send the rest, including an unfinished last line, then finish. */
  complete(): void;
  /** Looks at the file again (in case a change was not noticed). */
  poke(): void;
}

interface Sub {
  res: ServerResponse;
  startAt: StartAt;
  /** While it catches up on its own: the shared events that came meanwhile, sent after. */
  pending: Buffer[] | undefined;
  pendingBytes: number;
  /** Set by complete(): the open attempt count then (a file still missing after a later attempt never came). */
  completeAt: number | undefined;
  /** The last write did not fit: waiting for `drain`. */
  full: boolean;
  signal: Signal;
  finish(end: SubscriptionEnd): void;
  onDrain(): void;
}

/** What a reader needs. */
export interface SharedReaderOptions {
  redact: Redactor;
  queueBytes: number;
  timers: TimerApi;
  /** See FollowPace (0: no wait after reaching the end). */
  followIntervalMs: number;
  /** See FollowPace (0: no limit while the file grows). */
  followGrowingBytes: number;
  /** Called once, synchronously, when the reader stops taking subscribers. */
  onStop(): void;
}

/** The shared reader of one file. */
export class SharedLogReader {
  private readonly subs = new Set<Sub>();
  private readonly live = new Set<Sub>();
  private readonly wake = new Signal();
  private fh: FileHandle | undefined;
  private readonly dirWatch: DirWatch;
  private opens = 0;
  private opening = false;
  /** Subscribers waiting for the reader to pass their start: it reads on for them even when every live one is full. */
  private ahead = 0;
  /** The offset up to which every live subscriber has been sent the lines. */
  private pos = 0;
  /** Bumped when `pos` is moved by a joining subscriber (a read in flight is then dropped). */
  private gen = 0;
  /** The last read found no complete line after `pos`. */
  private atEnd = false;
  private started = false;
  /** The timer of a wait for subscribers that are behind. */
  private stall: unknown;
  private readonly pace: FollowPace;

  constructor(
    readonly file: string,
    private readonly o: SharedReaderOptions,
  ) {
    this.pace = new FollowPace(o.followIntervalMs, o.followGrowingBytes);
    this.dirWatch = new DirWatch(dirname(file), this.wake);
  }

  /** Subscribers now (live or joining). */
  get size(): number {
    return this.subs.size;
  }

  /** Follows the file for `res`, from where `startAt` says. */
  subscribe(res: ServerResponse, startAt: StartAt): LogSubscription {
    let resolveDone!: (end: SubscriptionEnd) => void;
    const done = new Promise<SubscriptionEnd>((r) => (resolveDone = r));
    const onClose = (): void => sub.finish('gone');
    const sub: Sub = {
      res,
      startAt,
      pending: undefined,
      pendingBytes: 0,
      completeAt: undefined,
      full: false,
      signal: new Signal(),
      finish: (end) => {
        if (!this.subs.delete(sub)) return;
        this.live.delete(sub);
        res.off('close', onClose);
        res.off('drain', sub.onDrain);
        sub.signal.fire();
        this.wake.fire();
        resolveDone(end);
      },
      onDrain: () => {
        sub.full = false;
        this.wake.fire();
      },
    };
    this.subs.add(sub);
    res.on('close', onClose);
    if (!this.started) {
      this.started = true;
      this.run().catch(() => this.fail());
    }
    void this.join(sub).catch(() => sub.finish('gone'));
    this.wake.fire();
    return {
      done,
      complete: () => {
        // An open attempt under way may have begun before the file was made: only a later one counts.
        sub.completeAt ??= this.opens + (this.opening ? 1 : 0);
        sub.signal.fire();
        this.wake.fire();
      },
      poke: () => this.wake.fire(),
    };
  }

  /**
   * Brings a new subscriber to the shared position: at it, it is live at
   * once; behind it, it is live with the shared events kept for it while it
   * reads up to where they start on its own; ahead of it, it waits for the
   * reader to pass its start.
   */
  private async join(sub: Sub): Promise<void> {
    while (!this.fh) {
      if (gone(sub.res)) return sub.finish('gone');
      if (sub.completeAt !== undefined && this.opens > sub.completeAt) return sub.finish('missing');
      await sub.signal.wait();
      if (!this.subs.has(sub)) return;
    }
    const fh = this.fh;
    let pos = await sub.startAt(fh, (await fh.stat()).size);
    let buf: Buffer | undefined;
    for (;;) {
      if (!this.subs.has(sub)) return;
      if (gone(sub.res)) return sub.finish('gone');
      if (this.live.size === 0 && pos !== this.pos) {
        // Nobody shares the position: it moves to this subscriber's.
        this.pos = pos;
        this.gen++;
        this.atEnd = false;
      }
      if (pos === this.pos) {
        this.live.add(sub);
        this.wake.fire();
        return;
      }
      buf ??= Buffer.allocUnsafe(CHUNK_BYTES);
      if (pos < this.pos) return this.catchUp(sub, fh, pos, buf);
      // Ahead of the shared position: wait for the reader to pass it.
      if (sub.completeAt !== undefined && this.atEnd) {
        const rest = await readRest(fh, pos, buf, this.o.redact);
        await writeText(sub.res, rest.bytes);
        return sub.finish('complete');
      }
      this.ahead++;
      this.wake.fire();
      await sub.signal.wait().finally(() => this.ahead--);
    }
  }

  /** Sends `sub` its own lines from `pos` up to the shared position (where a line ends), then what was kept for it meanwhile. */
  private async catchUp(sub: Sub, fh: FileHandle, pos: number, buf: Buffer): Promise<void> {
    const target = this.pos;
    sub.pending = [];
    this.live.add(sub);
    while (pos < target) {
      const chunk = await readEvents(fh, pos, Math.min(CHUNK_BYTES, target - pos), buf, this.o.redact, target - pos <= CHUNK_BYTES);
      pos = chunk.next;
      if (!this.subs.has(sub)) return;
      if (!(await writeText(sub.res, chunk.bytes))) return sub.finish('gone');
    }
    for (;;) {
      if (!this.subs.has(sub)) return;
      const next = sub.pending.shift();
      if (next === undefined) break;
      sub.pendingBytes -= next.length;
      this.wake.fire(); // a reader waiting for this one to catch up looks again
      if (!(await writeText(sub.res, next))) return sub.finish('gone');
    }
    sub.pending = undefined;
    this.wake.fire();
  }

  private signalAll(): void {
    for (const s of this.subs) s.signal.fire();
  }

  private async run(): Promise<void> {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    try {
      for (;;) {
        if (this.subs.size === 0) {
          this.o.onStop();
          return;
        }
        if (!this.fh) {
          // Watch the directory first, so that the file's creation is not missed.
          this.dirWatch.start();
          this.opening = true;
          this.fh = await open(this.file, 'r').catch(() => open(`${this.file}.fail`, 'r').catch(() => undefined));
          this.opening = false;
          this.opens++;
          this.signalAll();
          if (!this.fh) await this.dirWatch.sleep();
          continue;
        }
        const behind = [...this.live].some((s) => this.queued(s) >= this.o.queueBytes);
        if (behind) this.stall ??= this.o.timers.set(() => this.dropBehind(), STALL_MS);
        else this.endStall();
        if (this.live.size === 0 || behind || (this.ahead === 0 && [...this.live].every((s) => s.full))) {
          if (this.live.size === 0) this.signalAll(); // one waiting ahead of the position may take it now
          await this.dirWatch.sleep();
          continue;
        }
        const wait = await this.pace.waitMs(this.fh);
        if (wait > 0) {
          await delay(wait);
          continue;
        }
        const gen = this.gen;
        const at = this.pos;
        const chunk = await readEvents(this.fh, at, CHUNK_BYTES, buf, this.o.redact);
        if (gen !== this.gen) continue;
        if (chunk.next > at) {
          this.pos = chunk.next;
          this.atEnd = false;
          this.pace.read(chunk.read, chunk.read < CHUNK_BYTES);
          this.dirWatch.stop();
          this.fanOut(chunk.bytes);
          this.signalAll(); // subscribers waiting ahead of the shared position
          continue;
        }
        this.atEnd = true;
        this.pace.read(0, true); // a line still being written (no newline yet) is looked at again after the interval
        // (One still catching up is finished at a later pass, once it is level.)
        const finishing = [...this.live].filter((s) => s.completeAt !== undefined && !s.pending);
        if (finishing.length > 0) {
          // The end of a complete file: the rest (an unfinished last line) to those who know it is complete.
          const rest = await readRest(this.fh, at, buf, this.o.redact);
          if (gen !== this.gen || this.pos !== at) continue;
          for (const s of finishing) {
            if (!this.live.has(s)) continue;
            this.live.delete(s);
            if (rest.bytes.length > 0 && !gone(s.res)) s.res.write(rest.bytes);
            s.finish('complete');
          }
          continue;
        }
        if (!this.dirWatch.started) {
          // Watch again before sleeping, and read once more: a write before the watch began is not missed.
          this.dirWatch.start();
          continue;
        }
        this.signalAll();
        await this.dirWatch.sleep();
      }
    } finally {
      this.endStall();
      this.dirWatch.stop();
      const fh = this.fh;
      this.fh = undefined;
      await fh?.close().catch(() => undefined);
    }
  }

  /** The file cannot be read (an I/O error): every subscriber is cut off (it reconnects), and the reader is done. */
  private fail(): void {
    this.o.onStop();
    for (const s of [...this.subs]) {
      s.res.destroy();
      s.finish('gone');
    }
  }

  /** Writes `bytes` to every live subscriber. */
  private fanOut(bytes: Buffer): void {
    for (const s of this.live) {
      if (gone(s.res)) {
        s.finish('gone');
        continue;
      }
      if (s.pending) {
        s.pending.push(bytes);
        s.pendingBytes += bytes.length;
        continue;
      }
      if (!s.res.write(bytes) && !s.full) {
        s.full = true;
        s.res.once('drain', s.onDrain);
      }
    }
  }

  /** Bytes waiting to go to `s`. */
  private queued(s: Sub): number {
    return s.res.writableLength + s.pendingBytes;
  }

  private endStall(): void {
    if (this.stall === undefined) return;
    this.o.timers.clear(this.stall);
    this.stall = undefined;
  }

  /** The wait is over: subscribers still a whole queue behind are dropped. */
  private dropBehind(): void {
    this.stall = undefined;
    for (const s of [...this.live]) if (this.queued(s) >= this.o.queueBytes) this.drop(s);
    this.wake.fire();
  }

  /** Ends a subscriber that fell behind: an `error` event after what it was sent, then the end (cut if it does not go out). */
  private drop(s: Sub): void {
    s.finish('dropped');
    dropSlowClient(s.res, this.o.queueBytes, this.o.timers);
  }
}

/** The shared readers of a worker's followed logs, one per file (and set of secrets). */
export class LogFanout {
  private readonly readers = new Map<string, SharedLogReader>();

  constructor(private readonly o: { queueBytes: number; timers: TimerApi; followIntervalMs?: number; followGrowingBytes?: number }) {}

  /** Readers running now. */
  get size(): number {
    return this.readers.size;
  }

  /** Follows `file` for `res`; `redactKey` names the secrets `redact` hides (readers are shared only between equal ones). */
  subscribe(file: string, redact: Redactor, redactKey: string, res: ServerResponse, startAt: StartAt): LogSubscription {
    const key = `${redactKey}\0${file}`;
    let reader = this.readers.get(key);
    if (!reader) {
      const r = new SharedLogReader(file, {
        redact,
        queueBytes: this.o.queueBytes,
        timers: this.o.timers,
        followIntervalMs: this.o.followIntervalMs ?? FOLLOW_INTERVAL_MS,
        followGrowingBytes: this.o.followGrowingBytes ?? FOLLOW_GROWING_BYTES,
        onStop: () => {
          if (this.readers.get(key) === r) this.readers.delete(key);
        },
      });
      reader = r;
      this.readers.set(key, r);
    }
    return reader.subscribe(res, startAt);
  }
}
