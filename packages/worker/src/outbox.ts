/**
 * A durable, ordered queue of reports for one manager: an append-only
 * journal of JSON lines (`{"seq","path","what","body"}` to add,
 * `{"ack":seq}` to remove), replayed by the next worker process.
 *
 * Writes are group-committed off the event loop: the records of one tick
 * are appended and fdatasync'ed together (a synchronous fsync per report
 * stalled 200 jobs starting at once by seconds). At each commit the journal
 * is truncated when the queue is empty, and rewritten (temp file, fsync,
 * rename) when acknowledgements dominate it, so it stays small. `sync()`
 * waits for what was pushed so far to be on disk; `close()` writes the rest
 * synchronously. Without a file the queue is memory only.
 *
 * The journal is not trusted when read back: each line is validated as a
 * request would be (journal-line.ts) and a bad one is skipped. When the
 * rewrite at open fails (a full disk), the outbox appends to the journal as
 * it is, and the temp file is removed; every error names the journal.
 * The caller holds the state directory's lock (state-lock.ts): two outboxes
 * on one journal would lose reports.
 */
import * as nodeFs from 'node:fs';
import { fdatasync, ftruncate, mkdirSync, readFileSync, write } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { errorMessage } from '@tunasync/core';
import { parseJournalLine, type JournalMessage } from './journal-line.js';

const fdatasyncAsync = promisify(fdatasync);
const ftruncateAsync = promisify(ftruncate);
const writeAsync = promisify(write);

/** Writes all of `data` at the end of `fd` (opened for appending). */
async function writeAll(fd: number, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; ) off += (await writeAsync(fd, data, off, data.length - off)).bytesWritten;
}

/**
 * One queued report: `seq` (position in the queue, increasing, unique within
 * a journal), manager `path` (`/workers/w1/jobs/debian`), `method` (POST when
 * absent), JSON `body`, and `what` it is for logs (`status of debian`;
 * `schedules` messages may be merged).
 */
export type OutboxMessage = JournalMessage;

/** A journal line skipped at open. */
export interface SkippedLine {
  /** 1-based line number in the journal. */
  line: number;
  /** Why it was skipped. */
  why: string;
}

/** How the journal was read at open. */
export interface OutboxRecovery {
  /** Messages still to deliver, from an earlier process. */
  replayed: number;
  /** Lines that could not be read or were not valid reports, skipped. */
  skippedLines: number;
  /** Those lines (the first 100), with why. */
  skipped: SkippedLine[];
  /**
   * Set when the journal could not be rewritten at open (a full disk): the
   * outbox then appends to the journal as it is. Names the file and why.
   */
  rewriteError?: string;
}

/** The synchronous file operations of the journal (replaceable in tests, to play a full disk). */
export interface JournalFs {
  openSync: typeof nodeFs.openSync;
  writeSync: typeof nodeFs.writeSync;
  fsyncSync: typeof nodeFs.fsyncSync;
  fdatasyncSync: typeof nodeFs.fdatasyncSync;
  ftruncateSync: typeof nodeFs.ftruncateSync;
  closeSync: typeof nodeFs.closeSync;
  renameSync: typeof nodeFs.renameSync;
  unlinkSync: typeof nodeFs.unlinkSync;
}

/** Options of Outbox. */
export interface OutboxOptions {
  /** Hears of failed writes (the error names the journal). */
  onError?: (err: unknown) => void;
  /** The worker whose journal this is: replayed paths must be its own (see journal-line.ts). */
  workerId?: string;
  /** Replaces some of the synchronous file operations (tests). */
  fs?: Partial<JournalFs>;
}

const MAX_SKIPPED_KEPT = 100;

const REWRITE_MIN_BYTES = 256 * 1024;

/** The size of the journal line of `json`, a message's serialization. */
const lineSize = (json: string): number => Buffer.byteLength(json) + 1;

/** The queue of reports for one manager. */
export class Outbox {
  private readonly pending: OutboxMessage[] = [];
  /**
   * Each pending message's journal line size, known from the one time it was
   * serialized (a merged schedules report of 1,000 mirrors is ~150 KB: it was
   * serialized again to be counted, and again when it was replaced).
   */
  private readonly sizes = new Map<OutboxMessage, number>();
  private fd: number | undefined;
  private seq = 0;
  private bytes = 0;
  /** Records not yet written. */
  private lines: string[] = [];
  private commitScheduled = false;
  /** Bytes the pending messages take in a journal (kept as they come and go). */
  private pendingSize = 0;
  /** A write failed: the journal may be torn, so the next commit rewrites it. */
  private dirty = false;
  private commits: Promise<void> = Promise.resolve();
  /** What open() found in the journal. */
  readonly recovery: OutboxRecovery = { replayed: 0, skippedLines: 0, skipped: [] };
  private readonly onError: (err: unknown) => void;
  private readonly fs: JournalFs;

  /**
   * Opens (or creates) the journal at `file` (memory only when undefined).
   * Every line is validated (journal-line.ts); bad ones are skipped and
   * listed in `recovery`. The journal is then rewritten to hold only what is
   * pending; when that fails (a full disk), it is appended to as it is.
   */
  constructor(
    private readonly file: string | undefined,
    options: OutboxOptions = {},
  ) {
    this.onError = options.onError ?? (() => {});
    const { openSync, writeSync, fsyncSync, fdatasyncSync, ftruncateSync, closeSync, renameSync, unlinkSync } = nodeFs;
    this.fs = { openSync, writeSync, fsyncSync, fdatasyncSync, ftruncateSync, closeSync, renameSync, unlinkSync, ...options.fs };
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const live = new Map<number, OutboxMessage>();
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      const rec = parseJournalLine(line, options.workerId);
      if (rec.kind === 'bad') {
        this.recovery.skippedLines++;
        if (this.recovery.skipped.length < MAX_SKIPPED_KEPT) this.recovery.skipped.push({ line: i + 1, why: rec.why });
        return;
      }
      const seq = rec.kind === 'ack' ? rec.seq : rec.message.seq;
      if (rec.kind === 'ack') live.delete(seq);
      else live.set(seq, rec.message);
      this.seq = Math.max(this.seq, seq);
    });
    this.pending.push(...[...live.values()].sort((a, b) => a.seq - b.seq));
    for (const m of this.pending) this.track(m, lineSize(JSON.stringify(m)));
    this.recovery.replayed = this.pending.length;
    try {
      this.fd = this.fs.openSync(file, 'a');
    } catch (err) {
      throw new Error(`cannot open the outbox journal ${file}: ${errorMessage(err)}`, { cause: err });
    }
    // Start from a clean journal holding exactly what is pending…
    try {
      this.rewrite();
    } catch (err) {
      // …or, when that cannot be written (a full disk), from the journal as it is.
      this.recovery.rewriteError = errorMessage(err);
      this.lines = [];
      this.bytes = Buffer.byteLength(text);
      // A torn last line: what comes next starts on a line of its own.
      if (text !== '' && !text.endsWith('\n')) this.lines.push('\n');
    }
  }

  /** Messages waiting, oldest first. */
  get size(): number {
    return this.pending.length;
  }

  /** The oldest message, if any. */
  peek(): OutboxMessage | undefined {
    return this.pending[0];
  }

  /** Appends a message; it is on disk within a tick (see `sync`). */
  push(message: Omit<OutboxMessage, 'seq'>): OutboxMessage {
    const m: OutboxMessage = { ...message, seq: ++this.seq };
    const json = JSON.stringify(m);
    this.appendLine(json);
    this.pending.push(m);
    this.track(m, lineSize(json));
    return m;
  }

  /**
   * Appends `build(older)` in place of the queued messages matching `match`
   * (never the oldest, which may be in flight): the new message is on disk
   * before the older ones are dropped.
   */
  replaceQueued(match: (m: OutboxMessage) => boolean, build: (older: OutboxMessage[]) => Omit<OutboxMessage, 'seq'>): OutboxMessage {
    const older = this.pending.slice(1).filter(match);
    const m = this.push(build(older));
    for (const o of older) this.remove(this.pending.indexOf(o));
    return m;
  }

  /** Removes the oldest message (delivered, or refused for good). */
  ack(): void {
    if (this.pending.length === 0) return;
    this.remove(0);
  }

  /** Resolves once everything pushed or acknowledged so far is on disk. */
  async sync(): Promise<void> {
    if (this.lines.length > 0) this.commitNow();
    await this.commits;
  }

  /** Waits for writes in flight, writes what is left and closes the journal; what is pending stays for the next process. */
  async close(): Promise<void> {
    await this.commits;
    if (this.fd === undefined) return;
    this.commitSync();
    this.fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private track(m: OutboxMessage, size: number): void {
    this.sizes.set(m, size);
    this.pendingSize += size;
  }

  private remove(index: number): void {
    const [m] = this.pending.splice(index, 1);
    if (!m) return;
    this.pendingSize -= this.sizes.get(m) ?? 0;
    this.sizes.delete(m);
    this.appendLine(JSON.stringify({ ack: m.seq }));
  }

  /** Queues the journal line `json` for the next commit. */
  private appendLine(json: string): void {
    if (this.fd === undefined) return;
    this.lines.push(`${json}\n`);
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setImmediate(() => this.commitNow());
  }

  private commitNow(): void {
    if (!this.commitScheduled && this.lines.length === 0) return;
    this.commitScheduled = false;
    this.commits = this.commits
      .then(() => this.commit())
      .catch((err: unknown) => {
        this.dirty = true;
        this.onError(this.named(err));
      });
  }

  /** What the journal should become now: nothing, the pending messages only, or itself plus the new lines. */
  private plan(): 'truncate' | 'rewrite' | 'append' | 'none' {
    if (this.fd === undefined) return 'none';
    if (this.pending.length === 0) return this.bytes > 0 || this.lines.length > 0 || this.dirty ? 'truncate' : 'none';
    if (this.dirty || (this.bytes > REWRITE_MIN_BYTES && this.bytes > 4 * this.pendingSize)) return 'rewrite';
    return this.lines.length > 0 ? 'append' : 'none';
  }

  private async commit(): Promise<void> {
    const plan = this.plan();
    const fd = this.fd;
    if (plan === 'none' || fd === undefined) return;
    if (plan === 'rewrite') return this.rewrite();
    const text = this.lines.join('');
    this.lines = [];
    if (plan === 'truncate') {
      await ftruncateAsync(fd, 0);
      this.bytes = 0;
      this.dirty = false;
    } else {
      const data = Buffer.from(text);
      await writeAll(fd, data);
      this.bytes += data.length;
    }
    await fdatasyncAsync(fd);
  }

  private commitSync(): void {
    const plan = this.plan();
    if (plan === 'none' || this.fd === undefined) return;
    if (plan === 'rewrite') return this.rewrite();
    const text = this.lines.join('');
    this.lines = [];
    if (plan === 'truncate') {
      this.fs.ftruncateSync(this.fd, 0);
      this.bytes = 0;
      this.dirty = false;
    } else this.bytes += this.fs.writeSync(this.fd, text);
    this.fs.fdatasyncSync(this.fd);
  }

  /** `err` with the journal's name in its message (errors of write and fsync name no file). */
  private named(err: unknown): Error {
    const msg = errorMessage(err);
    if (this.file && msg.includes(this.file)) return err as Error;
    return new Error(`outbox journal ${this.file ?? '(memory)'}: ${msg}`, { cause: err });
  }

  /**
   * Replaces the journal by one holding only the pending messages
   * (synchronous: rare, and small by then). On failure the journal is left
   * as it was, the temp file is removed, and the error names the journal.
   */
  private rewrite(): void {
    if (this.fd === undefined || !this.file) return;
    const fs = this.fs;
    this.lines = [];
    const tmp = `${this.file}.tmp`;
    let bytes = 0;
    let created = false;
    try {
      const fd = fs.openSync(tmp, 'w');
      created = true;
      try {
        for (const m of this.pending) bytes += fs.writeSync(fd, `${JSON.stringify(m)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
      created = false;
    } catch (err) {
      if (created) {
        try {
          fs.unlinkSync(tmp);
        } catch {
          // Nothing more to do: the rename did not happen, the journal is intact.
        }
      }
      throw new Error(`cannot rewrite the outbox journal ${this.file}: ${errorMessage(err)}`, { cause: err });
    }
    const old = this.fd;
    this.fd = undefined;
    fs.closeSync(old);
    this.fd = fs.openSync(this.file, 'a');
    this.bytes = bytes;
    this.dirty = false;
    const d = fs.openSync(dirname(this.file), 'r');
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
  }
}
