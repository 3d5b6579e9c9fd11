/**
 * manager.conf `[[notify]]`: where alerts go (issue 16). Each entry names a
 * receiver URL, a body format, the events it wants, how many consecutive
 * failed runs make a `failed` alert, which mirrors (globs, `!` excludes) and
 * an optional HMAC secret. Checked at load: an unknown event, a URL that is
 * not http(s) or a bad glob refuses the start naming the key.
 */
import { createHash } from 'node:crypto';
import type { ConfigIssue } from '../errors.js';

/** Events a receiver can ask for. */
export const NOTIFY_EVENTS = ['failed', 'recovered', 'stale', 'worker_offline', 'worker_online'] as const;
/** One of NOTIFY_EVENTS. */
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
/** Body formats of a receiver. */
export const NOTIFY_FORMATS = ['json', 'slack', 'discord', 'text'] as const;
/** One of NOTIFY_FORMATS. */
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

/** One `[[notify]]` entry, defaults applied. */
export interface NotifyConfig {
  /** The receiver's name in the delivery queue: `name` when set, else derived from the URL (so reordering entries keeps queued items). */
  name: string;
  url: string;
  format: NotifyFormat;
  events: NotifyEvent[];
  /** Consecutive failed runs before `failed` fires (default 1). */
  afterFailures: number;
  /** Globs over mirror names; `!glob` excludes. Empty: every mirror. */
  mirrors: string[];
  /** HMAC-SHA256 key of `X-Tunasync-Signature`; empty: unsigned. */
  secret: string;
}

/** JSON Schema of one `[[notify]]` entry (part of manager.conf's). */
export const notifyEntrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    name: { type: 'string', minLength: 1 },
    url: { type: 'string' },
    format: { enum: [...NOTIFY_FORMATS] },
    events: { type: 'array', items: { enum: [...NOTIFY_EVENTS] } },
    after_failures: { type: 'integer', minimum: 1 },
    mirrors: { type: 'array', items: { type: 'string' } },
    secret: { type: 'string' },
  },
} as const;

/**
 * A glob over mirror names compiled to a RegExp: `*` any run of characters,
 * `?` one, `[abc]`/`[a-z]`/`[!a]` a class. Throws an Error saying why the
 * glob is bad (empty, an unclosed `[`, an empty class).
 */
export function compileMirrorGlob(glob: string): RegExp {
  if (glob === '') throw new Error('is an empty glob');
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new Error(`${JSON.stringify(glob)} has an unclosed "["`);
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      if (body === '') throw new Error(`${JSON.stringify(glob)} has an empty character class`);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\/\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Routes mirror names by a receiver's `mirrors` list: included when no
 * positive glob is given or one matches, and no `!` glob matches.
 */
export function mirrorRouter(globs: readonly string[]): (mirror: string) => boolean {
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const g of globs) {
    if (g.startsWith('!')) exclude.push(compileMirrorGlob(g.slice(1)));
    else include.push(compileMirrorGlob(g));
  }
  return (mirror) => (include.length === 0 || include.some((r) => r.test(mirror))) && !exclude.some((r) => r.test(mirror));
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Builds the `[[notify]]` entries of a schema-checked manager.conf and
 * returns them with the problems schema validation cannot see (bad URL, bad
 * glob, a duplicate receiver name), each naming `notify[i].key`.
 */
export function buildNotifyConfig(raw: unknown, file: string): { notify: NotifyConfig[]; problems: ConfigIssue[] } {
  const notify: NotifyConfig[] = [];
  const problems: ConfigIssue[] = [];
  if (!Array.isArray(raw)) return { notify, problems };
  const names = new Map<string, number>();
  raw.forEach((entry: unknown, i) => {
    const e = (entry !== null && typeof entry === 'object' ? entry : {}) as Record<string, unknown>;
    const url = typeof e.url === 'string' ? e.url : '';
    if (!isHttpUrl(url)) problems.push({ file, path: `notify[${i}].url`, message: `${JSON.stringify(url)} is not an http:// or https:// URL` });
    const mirrors = Array.isArray(e.mirrors) ? (e.mirrors as unknown[]).filter((m): m is string => typeof m === 'string') : [];
    mirrors.forEach((g, j) => {
      try {
        compileMirrorGlob(g.startsWith('!') ? g.slice(1) : g);
      } catch (err) {
        problems.push({ file, path: `notify[${i}].mirrors[${j}]`, message: `${(err as Error).message}: use *, ? and [..] over mirror names, ! in front to exclude` });
      }
    });
    const name = typeof e.name === 'string' && e.name ? e.name : `notify-${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;
    const first = names.get(name);
    if (first !== undefined) problems.push({ file, path: `notify[${i}].${typeof e.name === 'string' ? 'name' : 'url'}`, message: `names the same receiver as notify[${first}]: give each entry its own name` });
    else names.set(name, i);
    notify.push({
      name,
      url,
      format: (typeof e.format === 'string' ? e.format : 'json') as NotifyFormat,
      events: Array.isArray(e.events) ? ([...new Set(e.events)] as NotifyEvent[]) : ['failed', 'recovered'],
      afterFailures: typeof e.after_failures === 'number' ? e.after_failures : 1,
      mirrors,
      secret: typeof e.secret === 'string' ? e.secret : '',
    });
  });
  return { notify, problems };
}
