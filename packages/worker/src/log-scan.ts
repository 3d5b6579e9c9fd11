/**
 * Reading a run's log after the process exited, line by line, so a huge
 * rsync log is never held in memory at once.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Calls `onLine` for every line of `file` (a missing file has no lines). */
export async function forEachLogLine(file: string, onLine: (line: string) => void): Promise<void> {
  const stream = createReadStream(file, { encoding: 'utf8' });
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

/** The first capture group of the last line of `file` matching `pattern`, or undefined. */
export async function lastCapture(file: string, pattern: RegExp): Promise<string | undefined> {
  let found: string | undefined;
  const re = new RegExp(pattern.source, pattern.flags.replace('g', ''));
  await forEachLogLine(file, (line) => {
    const m = re.exec(line);
    if (m && m[1] !== undefined) found = m[1];
  });
  return found;
}
