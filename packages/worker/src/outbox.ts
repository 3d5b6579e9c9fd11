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
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  ftruncate,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  write,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const fdatasyncAsync = promisify(fdatasync);
const ftruncateAsync = promisify(ftruncate);
const writeAsync = promisify(write);

/** Writes all of `data` at the end of `fd` (opened for appending). */
async function writeAll(fd: number, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; ) off += (await writeAsync(fd, data, off, data.length - off)).bytesWritten;
}

/** One queued report. */
export interface OutboxMessage {
  /** Position in the queue (increasing, unique within a journal). */
  seq: number;
  /** Manager path, e.g. `/workers/w1/jobs/debian`. */
  path: string;
  /** HTTP method (POST when absent). */
  method?: 'POST' | 'DELETE';
  /** JSON body. */
  body: unknown;
  /** What it is, for logs (`status of debian`); `schedules` messages may be merged. */
  what: string;
}

/** How the journal was read at open. */
export interface OutboxRecovery {
  /** Messages still to deliver, from an earlier process. */
  replayed: number;
  /** Lines that could not be read (a torn last write), skipped. */
  skippedLines: number;
}

const REWRITE_MIN_BYTES = 256 * 1024;

/** The size of a message's journal line. */
const recordSize = (m: OutboxMessage): number => Buffer.byteLength(JSON.stringify(m)) + 1;

/** The queue of reports for one manager. */
export class Outbox {
  private readonly pending: OutboxMessage[] = [];
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
  readonly recovery: OutboxRecovery = { replayed: 0, skippedLines: 0 };

  /** Opens (or creates) the journal at `file` (memory only when undefined); `onError` hears of failed writes. */
  constructor(
    private readonly file: string | undefined,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const live = new Map<number, OutboxMessage>();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let rec: Partial<OutboxMessage> & { ack?: number };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        this.recovery.skippedLines++;
        continue;
      }
      if (typeof rec.ack === 'number') live.delete(rec.ack);
      else if (typeof rec.seq === 'number' && typeof rec.path === 'string') {
        const method = rec.method === 'DELETE' ? { method: 'DELETE' as const } : {};
        live.set(rec.seq, { seq: rec.seq, path: rec.path, ...method, body: rec.body, what: String(rec.what ?? rec.path) });
      } else this.recovery.skippedLines++;
      if (typeof rec.seq === 'number') this.seq = Math.max(this.seq, rec.seq);
    }
    this.pending.push(...[...live.values()].sort((a, b) => a.seq - b.seq));
    for (const m of this.pending) this.pendingSize += recordSize(m);
    this.recovery.replayed = this.pending.length;
    this.fd = openSync(file, 'a');
    // Start from a clean journal holding exactly what is pending.
    this.rewrite();
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
    this.append(m);
    this.pending.push(m);
    this.pendingSize += recordSize(m);
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
    closeSync(this.fd);
    this.fd = undefined;
  }

  private remove(index: number): void {
    const [m] = this.pending.splice(index, 1);
    if (!m) return;
    this.pendingSize -= recordSize(m);
    this.append({ ack: m.seq });
  }

  private append(record: object): void {
    if (this.fd === undefined) return;
    this.lines.push(`${JSON.stringify(record)}\n`);
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
        this.onError(err);
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
      ftruncateSync(this.fd, 0);
      this.bytes = 0;
      this.dirty = false;
    } else this.bytes += writeSync(this.fd, text);
    fdatasyncSync(this.fd);
  }

  /** Replaces the journal by one holding only the pending messages (synchronous: rare, and small by then). */
  private rewrite(): void {
    if (this.fd === undefined || !this.file) return;
    this.lines = [];
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    let bytes = 0;
    try {
      for (const m of this.pending) bytes += writeSync(fd, `${JSON.stringify(m)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const old = this.fd;
    this.fd = undefined;
    closeSync(old);
    this.fd = openSync(this.file, 'a');
    this.bytes = bytes;
    this.dirty = false;
    const d = openSync(dirname(this.file), 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  }
}
