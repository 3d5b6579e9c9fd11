/**
 * Reading one line of an outbox journal back, as a request from outside
 * would be read: the journal sits on disk where anything may have changed
 * it, and a replayed `path` is sent to the manager with the worker's token.
 * A line must be a JSON object: either `{"ack": seq}` or a message with a
 * safe non-negative integer `seq`, a known `method`, an object body (none
 * for DELETE) and a `path` under `/workers/<this worker>/` (or one of the
 * worker's other routes) made of plain path characters only: no `..` or `.`
 * segments (also percent-encoded), no `@`, `\`, `?`, `#`, no scheme or host.
 */

/** A message as the journal holds it. */
export interface JournalMessage {
  seq: number;
  path: string;
  method?: 'POST' | 'DELETE';
  body: unknown;
  what: string;
}

/** One journal line, read. */
export type JournalLine = { kind: 'ack'; seq: number } | { kind: 'message'; message: JournalMessage } | { kind: 'bad'; why: string };

/** Worker routes outside `/workers/<id>/` that a journal may hold. */
export const KNOWN_WORKER_ROUTES: readonly string[] = ['/workers'];

const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Characters of a path segment (RFC 3986 pchar without `@`), and `/`. */
const PATH_CHARS = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:%/]*$/;

/**
 * Why `path` may not be sent to a manager for worker `workerId`, or
 * undefined when it may. Without `workerId`, any path passing the
 * character and segment rules is accepted.
 */
export function reportPathProblem(path: string, workerId?: string): string | undefined {
  if (!PATH_CHARS.test(path)) return 'the path is not a plain absolute path (scheme, host, @, \\, ?, # or control characters)';
  if (path.startsWith('//') || path.includes('//')) return 'the path has an empty segment';
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return 'the path has a malformed percent-encoding';
  for (const seg of path.split('/')) {
    const plain = seg.replace(/%2e/gi, '.');
    if (plain === '.' || plain === '..') return 'the path has a dot segment';
  }
  if (workerId === undefined || KNOWN_WORKER_ROUTES.includes(path)) return undefined;
  const prefix = `/workers/${encodeURIComponent(workerId)}/`;
  if (!path.startsWith(prefix) || path.length === prefix.length) return `the path is not under ${prefix}`;
  return undefined;
}

/** Reads one non-empty journal line for worker `workerId` (any worker when undefined). */
export function parseJournalLine(line: string, workerId?: string): JournalLine {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return { kind: 'bad', why: 'not JSON (a torn write?)' };
  }
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return { kind: 'bad', why: 'not a JSON object' };
  const r = rec as Record<string, unknown>;
  if ('ack' in r) return isSeq(r.ack) ? { kind: 'ack', seq: r.ack } : { kind: 'bad', why: '`ack` is not a safe non-negative integer' };
  if (!isSeq(r.seq)) return { kind: 'bad', why: '`seq` is not a safe non-negative integer' };
  if (typeof r.path !== 'string') return { kind: 'bad', why: '`path` is not a string' };
  const problem = reportPathProblem(r.path, workerId);
  if (problem) return { kind: 'bad', why: problem };
  if (r.method !== undefined && r.method !== 'POST' && r.method !== 'DELETE') return { kind: 'bad', why: '`method` is neither POST nor DELETE' };
  const del = r.method === 'DELETE';
  const body = r.body ?? null;
  if (del ? body !== null : typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { kind: 'bad', why: del ? 'a DELETE has a body' : '`body` is not a JSON object' };
  }
  const what = typeof r.what === 'string' ? r.what : r.path;
  return { kind: 'message', message: { seq: r.seq, path: r.path, ...(del ? { method: 'DELETE' as const } : {}), body, what } };
}
