/**
 * Byte-level helpers over an open log file: where the last N lines start,
 * where the last complete line ends, and a line splitter that keeps the
 * byte offset after each line (the SSE `id`, for resuming).
 */
import type { FileHandle } from 'node:fs/promises';

/** Bytes read at a time. */
export const CHUNK_BYTES = 64 * 1024;
/** A line longer than this is served in pieces of this size. */
export const MAX_LINE_BYTES = 1024 * 1024;

const NL = 0x0a;

/** The offset where the last `lines` lines before `end` start (a final line without newline counts). */
export async function tailStart(fh: FileHandle, end: number, lines: number): Promise<number> {
  if (lines <= 0) return end;
  if (end === 0) return 0;
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let pos = end;
  let seen = 0;
  let first = true;
  while (pos > 0) {
    const len = Math.min(CHUNK_BYTES, pos);
    pos -= len;
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (first) {
        first = false;
        if (buf[i] === NL) continue; // the newline ending the last line
      }
      if (buf[i] === NL && ++seen === lines) return pos + i + 1;
    }
  }
  return 0;
}

/** The offset just after the last newline before `end` (0 when there is none). */
export async function lastLineEnd(fh: FileHandle, end: number): Promise<number> {
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let pos = end;
  while (pos > 0) {
    const len = Math.min(CHUNK_BYTES, pos);
    pos -= len;
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    const i = buf.subarray(0, bytesRead).lastIndexOf(NL);
    if (i >= 0) return pos + i + 1;
  }
  return 0;
}

/** A line and the file offset just after it. */
export interface OffsetLine {
  text: string;
  end: number;
}

/** Splits bytes read in order into lines, remembering the offset after each. */
export class LineSplitter {
  private carry: Buffer = Buffer.alloc(0);

  /** `start`: the file offset of the first byte pushed. */
  constructor(private offset: number) {}

  /** The offset up to which lines were given out. */
  get position(): number {
    return this.offset;
  }

  /** True when bytes of an unfinished line are held. */
  get pending(): boolean {
    return this.carry.length > 0;
  }

  /** Takes the next bytes; returns the complete lines (without their newline). */
  push(chunk: Buffer): OffsetLine[] {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const out: OffsetLine[] = [];
    let from = 0;
    for (;;) {
      const i = data.indexOf(NL, from);
      if (i < 0) break;
      this.offset += i + 1 - from;
      out.push({ text: data.toString('utf8', from, i), end: this.offset });
      from = i + 1;
    }
    let rest = data.subarray(from);
    while (rest.length >= MAX_LINE_BYTES) {
      this.offset += MAX_LINE_BYTES;
      out.push({ text: rest.toString('utf8', 0, MAX_LINE_BYTES), end: this.offset });
      rest = rest.subarray(MAX_LINE_BYTES);
    }
    this.carry = Buffer.from(rest);
    return out;
  }

  /** Gives out the unfinished line (at the end of a file that is complete). */
  flush(): OffsetLine | undefined {
    if (this.carry.length === 0) return undefined;
    this.offset += this.carry.length;
    const line = { text: this.carry.toString('utf8'), end: this.offset };
    this.carry = Buffer.alloc(0);
    return line;
  }
}
