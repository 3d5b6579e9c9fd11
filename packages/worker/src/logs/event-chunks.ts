/**
 * Log bytes to SSE `line` events, a chunk at a time, shared between the
 * clients following the same file: a full chunk of an append-only file
 * never changes, so its events are made once (keyed by the file's device,
 * inode and offset) and every follower reading there gets the same text.
 * Reads always start at a line's beginning: a chunk gives its complete
 * lines and the offset after the last one.
 */
import type { FileHandle } from 'node:fs/promises';
import { CHUNK_BYTES, LineSplitter } from './log-bytes.js';
import type { Redactor } from './redact.js';

/** Formatted chunks kept for other followers. */
export const SHARED_CHUNKS = 64;

/** What one read gave. */
export interface EventChunk {
  /** The events of the complete lines read. */
  text: string;
  /** The offset after the last complete line. */
  next: number;
  /** Bytes of an unfinished line that follow `next` (0 at the end of what is written). */
  pending: number;
}

/** A small LRU of formatted full chunks. */
export class ChunkCache {
  private readonly map = new Map<string, EventChunk>();

  constructor(private readonly size = SHARED_CHUNKS) {}

  /** The cached chunk at `key`. */
  get(key: string): EventChunk | undefined {
    return this.map.get(key);
  }

  /** Keeps `chunk` at `key`, dropping the oldest beyond the size. */
  set(key: string, chunk: EventChunk): void {
    this.map.set(key, chunk);
    if (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
  }
}

/**
 * Reads the chunk at `pos` (a line's start) of the open file `id` (`dev:ino`)
 * and formats its complete lines with `format`. A chunk without a newline
 * that fills the buffer is one piece of a long line.
 */
export async function readEventChunk(
  fh: FileHandle,
  id: string,
  pos: number,
  buf: Buffer,
  cache: ChunkCache,
  format: (text: string, end: number) => string,
): Promise<EventChunk> {
  const key = `${id}:${pos}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos);
  const data = buf.subarray(0, bytesRead);
  const lastNl = data.lastIndexOf(0x0a);
  const full = bytesRead === CHUNK_BYTES;
  const upTo = lastNl >= 0 ? lastNl + 1 : full ? bytesRead : 0;
  let text = '';
  if (upTo > 0) {
    const lines = new LineSplitter(pos);
    for (const l of lines.push(data.subarray(0, upTo))) text += format(l.text, l.end);
    const piece = lines.flush(); // a long line's piece (no newline in a full chunk)
    if (piece) text += format(piece.text, piece.end);
  }
  const chunk = { text, next: pos + upTo, pending: bytesRead - upTo };
  if (full) cache.set(key, chunk);
  return chunk;
}

/** The unfinished last line at `pos` (when the file is complete), formatted; empty when none. */
export async function readLastPiece(fh: FileHandle, pos: number, buf: Buffer, format: (text: string, end: number) => string): Promise<string> {
  let text = '';
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos);
    if (bytesRead === 0) return text;
    pos += bytesRead;
    text += format(buf.toString('utf8', 0, bytesRead), pos);
    if (bytesRead < CHUNK_BYTES) return text;
  }
}
