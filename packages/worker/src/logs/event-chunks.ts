/**
 * Log bytes to SSE `line` events, a read at a time, as one Buffer that
 * every follower of the file is sent as is. Reads start at a line's
 * beginning; a read gives its complete lines and the offset after the last
 * one (a read that fills the buffer without a newline is one piece of a
 * long line).
 */
import { isUtf8 } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';
import { CHUNK_BYTES, LineSplitter, MAX_LINE_BYTES, type OffsetLine } from './log-bytes.js';
import type { Redactor } from './redact.js';

/** What one read gave. */
export interface EventChunk {
  /** The events of the lines read (empty when none). */
  bytes: Buffer;
  /** The offset after the last line read. */
  next: number;
  /** Bytes the read got from the file (less than CHUNK_BYTES: it reached the file's end). */
  read: number;
}

const EMPTY = Buffer.alloc(0);
const NL = 0x0a;
const CR = 0x0d;

/** One SSE event's text for a log line (CR splits `data:` fields: SSE has no escaping). */
export function lineEvent(line: OffsetLine, redact: Redactor): string {
  const text = redact(line.text.endsWith('\r') ? line.text.slice(0, -1) : line.text);
  const data = text.includes('\r') ? text.split('\r').join('\ndata: ') : text;
  return `id: ${line.end}\nevent: line\ndata: ${data}\n\n`;
}

/** The events of `data` (read at `pos`): its lines, and the bytes after the last newline as one more when `whole`. */
function formatLines(data: Buffer, pos: number, whole: boolean, redact: Redactor): Buffer {
  // Plain UTF-8 with no CR and no secret (nearly every log) is framed as bytes, without decoding it.
  if (data.length < MAX_LINE_BYTES && data.indexOf(CR) < 0 && redact.secretBytes.every((s) => data.indexOf(s) < 0) && isUtf8(data)) {
    return frameLines(data, pos, whole);
  }
  const lines = new LineSplitter(pos);
  let text = '';
  for (const l of lines.push(data)) text += lineEvent(l, redact);
  const piece = whole ? lines.flush() : undefined;
  if (piece) text += lineEvent(piece, redact);
  return Buffer.from(text);
}

/**
 * What lineEvent gives for each line of `data`, for data that needs no
 * decoding, redaction or CR splitting: the bytes go through a latin1
 * string, which maps each byte to one character and back, so UTF-8 passes
 * unchanged without being decoded.
 */
function frameLines(data: Buffer, pos: number, whole: boolean): Buffer {
  const text = data.toString('latin1');
  let out = '';
  let from = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
    out += `id: ${pos + nl + 1}\nevent: line\ndata: ${text.slice(from, nl)}\n\n`;
    from = nl + 1;
  }
  if (whole && from < text.length) out += `id: ${pos + text.length}\nevent: line\ndata: ${text.slice(from)}\n\n`;
  return Buffer.from(out, 'latin1');
}

/**
 * Reads up to `len` (at most CHUNK_BYTES) bytes at `pos` (a line's start)
 * and formats its complete lines. `whole`: the range ends where a line
 * ends (bytes after its last newline are a line too).
 */
export async function readEvents(fh: FileHandle, pos: number, len: number, buf: Buffer, redact: Redactor, whole = false): Promise<EventChunk> {
  const { bytesRead } = await fh.read(buf, 0, Math.min(len, CHUNK_BYTES), pos);
  const data = buf.subarray(0, bytesRead);
  const lastNl = data.lastIndexOf(NL);
  const upTo = whole ? bytesRead : lastNl >= 0 ? lastNl + 1 : bytesRead === CHUNK_BYTES ? bytesRead : 0;
  if (upTo === 0) return { bytes: EMPTY, next: pos, read: bytesRead };
  // A full chunk without a newline is a long line's piece: formatted whole.
  const bytes = formatLines(data.subarray(0, upTo), pos, whole || lastNl < 0, redact);
  return { bytes, next: pos + upTo, read: bytesRead };
}

/** Everything from `pos` to the end of the file (complete: its last line may lack a newline), formatted. */
export async function readRest(fh: FileHandle, pos: number, buf: Buffer, redact: Redactor): Promise<EventChunk> {
  const start = pos;
  const parts: Buffer[] = [];
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos);
    if (bytesRead === 0) break;
    const data = buf.subarray(0, bytesRead);
    const lastNl = data.lastIndexOf(NL);
    // Whole lines while more follows; the rest of the file as the last line.
    const upTo = bytesRead < CHUNK_BYTES || lastNl < 0 ? bytesRead : lastNl + 1;
    parts.push(formatLines(data.subarray(0, upTo), pos, true, redact));
    pos += upTo;
  }
  return { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts), next: pos, read: pos - start };
}
