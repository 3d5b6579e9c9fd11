/**
 * Reading a run's log after the process exited, line by line (forwards, or
 * backwards from the end when only the last match matters), so a huge rsync
 * log is never held in memory at once.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/**
 * Calls `onLine` for every line of `file` (a missing file has no lines),
 * from byte `fromByte` on (what one try appended to a log it shares).
 */
export async function forEachLogLine(file: string, onLine: (line: string) => void, fromByte = 0): Promise<void> {
  const stream = createReadStream(file, { encoding: 'utf8', start: fromByte });
  const missing = new Promise<void>((resolve, reject) => {
    stream.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve() : reject(err)));
  });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const read = (async () => {
    for await (const line of lines) onLine(line);
  })();
  await Promise.race([read, missing]);
}

/** Number of lines of `file` matching `pattern`. */
export async function countMatches(file: string, pattern: RegExp): Promise<number> {
  let n = 0;
  const re = new RegExp(pattern.source, pattern.flags.replace('g', ''));
  await forEachLogLine(file, (line) => {
    if (re.test(line)) n += 1;
  });
  return n;
}

/** The first capture group of the last line of `file` (from byte `fromByte` on) matching `pattern`, or undefined. */
export async function lastCapture(file: string, pattern: RegExp, fromByte = 0): Promise<string | undefined> {
  let found: string | undefined;
  const re = new RegExp(pattern.source, pattern.flags.replace('g', ''));
  await forEachLogLine(file, (line) => {
    const m = re.exec(line);
    if (m && m[1] !== undefined) found = m[1];
  }, fromByte);
  return found;
}

/** Bytes read per step by lastLineWhere. */
const TAIL_CHUNK = 64 * 1024;
/** Longer lines are skipped by lastLineWhere (no log line worth matching is this long). */
const MAX_LINE = 1024 * 1024;

/**
 * The value `pick` gives for the last line of `file` for which it gives one,
 * or undefined (also for a missing file). Reads backwards from the end in
 * fixed-size chunks and stops at the first hit, so finding rsync's closing
 * statistics costs the same for a 1 KB log as for a 1 GB one; a log with no
 * hit is read once, a chunk at a time, in bounded memory.
 */
export async function lastLineWhere<T>(file: string, pick: (line: string) => T | undefined): Promise<T | undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const line = (buf: Buffer, start: number, end: number): T | undefined => {
    const text = buf.toString('utf8', start, end);
    return pick(text.endsWith('\r') ? text.slice(0, -1) : text);
  };
  try {
    let pos = (await fh.stat()).size;
    // The bytes after the earliest newline seen so far: the end of a line that began further back.
    let carry = Buffer.alloc(0);
    // True while that line is longer than MAX_LINE: its bytes are dropped and it is never matched.
    let overlong = false;
    while (pos > 0) {
      const len = Math.min(TAIL_CHUNK, pos);
      pos -= len;
      const chunk = Buffer.allocUnsafe(len);
      await fh.read(chunk, 0, len, pos);
      const buf = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk;
      // Newline bytes never occur inside a UTF-8 sequence, so splitting on them is safe.
      let end = buf.length;
      let nl = buf.lastIndexOf(0x0a, end - 1);
      while (nl >= 0) {
        if (overlong) overlong = false;
        else {
          const hit = line(buf, nl + 1, end);
          if (hit !== undefined) return hit;
        }
        end = nl;
        nl = end > 0 ? buf.lastIndexOf(0x0a, end - 1) : -1;
      }
      carry = buf.subarray(0, end);
      if (carry.length > MAX_LINE) {
        carry = Buffer.alloc(0);
        overlong = true;
      }
    }
    return carry.length > 0 && !overlong ? line(carry, 0, carry.length) : undefined;
  } finally {
    await fh.close();
  }
}
