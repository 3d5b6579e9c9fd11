/**
 * `[global] spread`: start times moved to a stable per-mirror place within a
 * window, so mirrors due at the same instant (after a restart, or sharing an
 * interval) do not all start in the same second. Each mirror's offset comes
 * from the order of the SHA-1 hashes of the names: the same names give the
 * same offsets on every start, and offsets are evenly apart (`spread / N`).
 * A run due at `t` starts at the first instant at or after `t` whose time
 * modulo `spread` is the mirror's offset, so the delay is under `spread` and
 * does not add up from run to run.
 */
import { createHash } from 'node:crypto';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration such as "10m", "90s", "1h30m" or "0" into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(m[1]) * UNITS[m[2]!]!;
  return Math.round(ms);
}

function hashOf(name: string): string {
  return createHash('sha1').update(name).digest('hex');
}

/** Each name's offset within `spreadMs`: evenly apart, in the order of their hashes. */
export function spreadOffsets(names: Iterable<string>, spreadMs: number): Map<string, number> {
  const sorted = [...new Set(names)].map((name) => ({ name, h: hashOf(name) })).sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
  const out = new Map<string, number>();
  sorted.forEach(({ name }, rank) => out.set(name, spreadMs > 0 ? Math.floor((spreadMs * (rank + 0.5)) / sorted.length) : 0));
  return out;
}

/** The first instant at or after `t` (ms) that is `offsetMs` into a `spreadMs` window. */
export function alignToSpread(t: number, spreadMs: number, offsetMs: number): number {
  if (spreadMs <= 0) return t;
  return Math.ceil((t - offsetMs) / spreadMs) * spreadMs + offsetMs;
}
