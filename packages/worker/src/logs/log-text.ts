/**
 * `GET /jobs/:mirror/log?run=RUN_ID|latest|latest-failed&tail=N&offset=BYTES`:
 * a log as `text/plain`, redacted line by line. `X-Log-Size` is the offset
 * the answer reaches (the file's size; for the try running now, the end of
 * its last complete line), so `offset=<X-Log-Size>` resumes without loss;
 * `X-Run-Id` names the run when it is known.
 */
import { open } from 'node:fs/promises';
import type { Request, Response } from 'express';
import { CHUNK_BYTES, LineSplitter, lastLineEnd, tailStart } from './log-bytes.js';
import { LogRequestError, type ResolvedLog } from './log-files.js';
import type { Redactor } from './redact.js';
import { gone, writeText } from './response-sink.js';

/** Largest `tail`. */
export const MAX_TAIL = 100_000;

/** One query parameter as a plain string (repeated: a 400). */
export function queryString(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new LogRequestError(400, `${name}: must be given once, as a plain value`, `bad_${name}`);
  return v;
}

/** A whole-number query parameter up to `max`. */
export function queryCount(req: Request, name: string, max: number): number | undefined {
  const v = queryString(req, name);
  if (v === undefined) return undefined;
  const n = /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 0 && n <= max)) throw new LogRequestError(400, `${name}: must be a whole number from 0 to ${max}`, `bad_${name}`);
  return n;
}

/** Serves `log` per the request's `tail` / `offset`. */
export async function sendLogText(req: Request, res: Response, log: ResolvedLog, redact: Redactor): Promise<void> {
  const tail = queryCount(req, 'tail', MAX_TAIL);
  const offset = queryCount(req, 'offset', Number.MAX_SAFE_INTEGER);
  if (tail !== undefined && offset !== undefined) throw new LogRequestError(400, 'give tail or offset, not both', 'bad_query');
  const fh = await open(log.file, 'r');
  try {
    const size = (await fh.stat()).size;
    const end = log.live ? await lastLineEnd(fh, size) : size;
    if (offset !== undefined && offset > size) throw new LogRequestError(400, `offset: ${offset} is past the end of the log (${size} bytes)`, 'bad_offset');
    const start = offset !== undefined ? Math.min(offset, end) : tail !== undefined ? await tailStart(fh, end, tail) : 0;
    res.status(200);
    res.set({ 'content-type': 'text/plain; charset=utf-8', 'x-log-size': String(end), 'cache-control': 'no-store', 'x-log-start': String(start) });
    if (log.runId !== undefined) res.set('x-run-id', log.runId);
    const lines = new LineSplitter(start);
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let pos = start;
    while (pos < end && !gone(res)) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK_BYTES, end - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      let text = '';
      for (const l of lines.push(buf.subarray(0, bytesRead))) text += `${redact(l.text)}\n`;
      if (pos >= end) {
        const last = lines.flush();
        if (last) text += redact(last.text);
      }
      if (!(await writeText(res, text))) break;
    }
    if (!gone(res)) res.end();
  } finally {
    await fh.close();
  }
}
