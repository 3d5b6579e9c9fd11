/**
 * Log bytes to SSE `line` events, a read at a time, as one Buffer that
 * every follower of the file is sent as is. Reads start at a line's
 * beginning; a read gives its complete lines and the offset after the last
 * one (a read that fills the buffer without a newline is one piece of a
 * long line).
 */
import type { FileHandle } from 'node:fs/promises';
import { CHUNK_BYTES, LineSplitter, type OffsetLine } from './log-bytes.js';
import type { Redactor } from './redact.js';

/** What one read gave. */
export interface EventChunk {
  /** The events of the lines read (empty when none). */
  bytes: Buffer;
  /** The offset after the last line read. */
  next: number;
}

/** Formats a line (and the offset after it) as its event. */
export type LineFormat = (text: string, end: number) => string;

const EMPTY = Buffer.alloc(0);

/** One SSE event's text for a log line (CR splits `data:` fields: SSE has no escaping). */
export function lineEvent(line: OffsetLine, redact: Redactor): string {
  const text = redact(line.text.endsWith('\r') ? line.text.slice(0, -1) : line.text);
  const data = text.includes('\r') ? text.split('\r').join('\ndata: ') : text;
  return `id: ${line.end}\nevent: line\ndata: ${data}\n\n`;
}

/** The events of `data` (read at `pos`): its lines, and the bytes after the last newline as one more when `whole`. */
function formatLines(data: Buffer, pos: number, whole: boolean, format: LineFormat): string {
  const lines = new LineSplitter(pos);
  let text = '';
  for (const l of lines.push(data)) text += format(l.text, l.end);
  const piece = whole ? lines.flush() : undefined;
  if (piece) text += format(piece.text, piece.end);
  return text;
}

/**
 * Reads up to `len` (at most CHUNK_BYTES) bytes at `pos` (a line's start)
 * and formats its complete lines. `whole`: the range ends where a line
 * ends (bytes after its last newline are a line too).
 */
export async function readEvents(fh: FileHandle, pos: number, len: number, buf: Buffer, format: LineFormat, whole = false): Promise<EventChunk> {
  const { bytesRead } = await fh.read(buf, 0, Math.min(len, CHUNK_BYTES), pos);
  const data = buf.subarray(0, bytesRead);
  const lastNl = data.lastIndexOf(0x0a);
  const upTo = whole ? bytesRead : lastNl >= 0 ? lastNl + 1 : bytesRead === CHUNK_BYTES ? bytesRead : 0;
  if (upTo === 0) return { bytes: EMPTY, next: pos };
  // A full chunk without a newline is a long line's piece: formatted whole.
  const text = formatLines(data.subarray(0, upTo), pos, whole || lastNl < 0, format);
  return { bytes: Buffer.from(text), next: pos + upTo };
}

/** Everything from `pos` to the end of the file (complete: its last line may lack a newline), formatted. */
export async function readRest(fh: FileHandle, pos: number, buf: Buffer, format: LineFormat): Promise<EventChunk> {
  const parts: Buffer[] = [];
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos);
    if (bytesRead === 0) break;
    const data = buf.subarray(0, bytesRead);
    const lastNl = data.lastIndexOf(0x0a);
    // Whole lines while more follows; the rest of the file as the last line.
    const upTo = bytesRead < CHUNK_BYTES || lastNl < 0 ? bytesRead : lastNl + 1;
    parts.push(Buffer.from(formatLines(data.subarray(0, upTo), pos, true, format)));
    pos += upTo;
  }
  return { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts), next: pos };
}
