/**
 * A durable, ordered queue of reports for one manager: an append-only
 * journal of JSON lines (`{"seq","path","what","body"}` to add,
 * `{"ack":seq}` to remove), written and fdatasync'ed before `push` returns,
 * replayed by the next worker process. The journal is truncated whenever the
 * queue drains and rewritten (temp file + rename) when acknowledgements
 * dominate it, so it stays small. Without a file the queue is memory only.
 */
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, ftruncateSync } from 'node:fs';
import { dirname } from 'node:path';

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

/** The queue of reports for one manager. */
export class Outbox {
  private readonly pending: OutboxMessage[] = [];
  private fd: number | undefined;
  private seq = 0;
  private bytes = 0;
  /** What open() found in the journal. */
  readonly recovery: OutboxRecovery = { replayed: 0, skippedLines: 0 };

  /** Opens (or creates) the journal at `file`; memory only when undefined. */
  constructor(private readonly file: string | undefined) {
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

  /** Appends a message; it is on disk when this returns. */
  push(message: Omit<OutboxMessage, 'seq'>): OutboxMessage {
    const m: OutboxMessage = { ...message, seq: ++this.seq };
    this.append(m);
    this.pending.push(m);
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
    if (this.pending.length === 0) this.truncate();
    else if (this.bytes > REWRITE_MIN_BYTES && this.bytes > 4 * this.pendingBytes()) this.rewrite();
  }

  /** Closes the journal; what is pending stays in it for the next process. */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private remove(index: number): void {
    const [m] = this.pending.splice(index, 1);
    if (m) this.append({ ack: m.seq });
  }

  private append(record: object): void {
    if (this.fd === undefined) return;
    const line = `${JSON.stringify(record)}\n`;
    this.bytes += writeSync(this.fd, line);
    fdatasyncSync(this.fd);
  }

  private pendingBytes(): number {
    let n = 0;
    for (const m of this.pending) n += JSON.stringify(m).length + 1;
    return n;
  }

  private truncate(): void {
    if (this.fd === undefined) return;
    ftruncateSync(this.fd, 0);
    fdatasyncSync(this.fd);
    this.bytes = 0;
  }

  /** Replaces the journal by one holding only the pending messages. */
  private rewrite(): void {
    if (this.fd === undefined || !this.file) return;
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
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.bytes = bytes;
    const dir = openSync(dirname(this.file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
