/**
 * The run guards of worker.conf (issue 18): `min_free_space`,
 * `check_upstream` with `upstream_fallback`, and `atomic_publish`, parsed and
 * checked here so a bad value refuses the start naming its key.
 */
import { parseSize } from '../size.js';

/** `min_free_space`: an absolute size (`"50G"`) or a share of the filesystem (`"5%"`). */
export interface FreeSpaceRule {
  /** As written, for messages. */
  text: string;
  /** Bytes that must stay free. */
  bytes?: number;
  /** Percent (0 < p < 100) of the filesystem that must stay free. */
  percent?: number;
}

/** The rule `value` means, or a message saying why it means none. */
export function parseFreeSpace(value: unknown): FreeSpaceRule | string {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value > 0 ? { text: String(value), bytes: value } : `${value} is not a size such as "50G" or a share such as "5%"`;
  }
  if (typeof value !== 'string' || value.trim() === '') return 'must be a size such as "50G" or a share such as "5%"';
  const text = value.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (pct) {
    const percent = Number(pct[1]);
    return percent > 0 && percent < 100 ? { text, percent } : `${JSON.stringify(value)}: a share must be between 0% and 100%`;
  }
  const bytes = parseSize(text);
  return bytes !== undefined && bytes > 0 ? { text, bytes } : `${JSON.stringify(value)} is not a size such as "50G" or a share such as "5%"`;
}

/** The problem with an `upstream_fallback` entry, or undefined when it is usable (rsync://, host::module, http(s)://). */
export function fallbackProblem(url: string): string | undefined {
  if (/^[^/:\s]+::\S*$/.test(url)) return undefined;
  try {
    const u = new URL(url);
    if (['rsync:', 'http:', 'https:'].includes(u.protocol) && u.hostname) return undefined;
  } catch {
    // fall through
  }
  return `${JSON.stringify(url)} is not an rsync://, host::module or http(s):// URL`;
}
