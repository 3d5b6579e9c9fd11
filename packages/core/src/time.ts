/**
 * Time on the wire. tunasync is written in Go, so its JSON carries RFC 3339
 * strings (often with nanoseconds and a local offset) and Go's zero time for
 * "never"; `/jobs` uses a human layout and Unix seconds. Inside tunasync-ts a
 * time is a `Date` (millisecond precision; finer digits are truncated).
 */
import { ValidationError } from './errors.js';

/** Something that tells the time; injected so tests control it. */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };

/** Milliseconds of Go's zero time, `0001-01-01T00:00:00Z`. */
export const ZERO_TIME_MS = -62135596800000;
/** Go's zero time as RFC 3339, what tunasync sends for "never". */
export const ZERO_TIME_RFC3339 = '0001-01-01T00:00:00Z';
/** Go's zero time in the `/jobs` layout. */
export const ZERO_TIME_WEB = '0001-01-01 00:00:00 +0000';

/** A fresh `Date` holding Go's zero time. */
export function zeroTime(): Date {
  return new Date(ZERO_TIME_MS);
}

/** True for Go's zero time (and anything before it, which Go cannot produce). */
export function isZeroTime(d: Date): boolean {
  return d.getTime() <= ZERO_TIME_MS;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const WEB_LAYOUT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const date = new Date(0);
  // setUTCFullYear keeps years 0-99 literal (Date.UTC would map them to 19xx).
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

function checkFields(text: string, field: string, y: number, mo: number, d: number, h: number, mi: number, s: number): void {
  const daysInMonth = new Date(utcMs(y, mo + 1, 0, 0, 0, 0, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 60) {
    throw new ValidationError(`${field}: ${JSON.stringify(text)} is not a valid date and time`, field);
  }
}

/**
 * Parses an RFC 3339 time, with or without fractional seconds, `Z` or an
 * offset: everything Go's `time.Time` marshals. Throws a ValidationError
 * naming `field` otherwise.
 */
export function parseRfc3339(text: unknown, field = 'time'): Date {
  if (typeof text !== 'string') throw new ValidationError(`${field}: must be an RFC 3339 time string`, field);
  const m = RFC3339.exec(text);
  if (!m) throw new ValidationError(`${field}: ${JSON.stringify(text)} is not an RFC 3339 time`, field);
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  checkFields(text, field, y!, mo!, d!, h!, mi!, s!);
  const ms = m[7] ? Number(m[7].padEnd(9, '0').slice(0, 3)) : 0;
  let offsetMin = 0;
  if (!m[8]) {
    offsetMin = (Number(m[10]) * 60 + Number(m[11])) * (m[9] === '-' ? -1 : 1);
  }
  // Leap second 60 is folded into the next second, as JavaScript cannot hold it.
  return new Date(utcMs(y!, mo!, d!, h!, mi!, s!, ms) - offsetMin * 60_000);
}

/** `n` without its sign, zero-padded to `width` digits (times' fields: `07`, `0001`). */
export function padNumber(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}
const pad = padNumber;

/**
 * Formats a time as RFC 3339 in UTC, with fractional seconds only when
 * non-zero (Go's RFC3339Nano style); the zero time as `0001-01-01T00:00:00Z`.
 */
export function formatRfc3339(d: Date): string {
  if (isZeroTime(d)) return ZERO_TIME_RFC3339;
  const ms = d.getUTCMilliseconds();
  const frac = ms === 0 ? '' : `.${pad(ms, 3).replace(/0+$/, '')}`;
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}Z`
  );
}

/** Formatters by zone: each one holds ICU data in native memory, so `/jobs` must not build four per job. */
const zoneFormatters = new Map<string, Intl.DateTimeFormat>();
/** More zones than any site configures; past it the cache starts over (a zone name is never taken from a request). */
const MAX_ZONE_FORMATTERS = 64;

/**
 * One cached en-US formatter per zone, whose parts are the zone's wall
 * clock (year to second, 24-hour) and weekday: building one costs ICU
 * memory, so callers share it.
 */
export function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = zoneFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    if (zoneFormatters.size >= MAX_ZONE_FORMATTERS) zoneFormatters.clear();
    zoneFormatters.set(timeZone, f);
  }
  return f;
}

/**
 * Offset from UTC in minutes of `timeZone` (an IANA name such as
 * `Asia/Shanghai`) at instant `d`; the process's local zone when omitted.
 */
export function zoneOffsetMinutes(d: Date, timeZone?: string): number {
  if (timeZone === undefined) return -d.getTimezoneOffset();
  const parts = zoneFormatter(timeZone).formatToParts(d);
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value);
  const wall = utcMs(get('year'), get('month'), get('day'), get('hour'), get('minute'), get('second'), d.getUTCMilliseconds());
  return Math.round((wall - d.getTime()) / 60_000);
}

/**
 * Formats a time in the `/jobs` layout `YYYY-MM-DD HH:MM:SS ±hhmm`, in
 * `timeZone` (default: the process's local zone). The zero time is
 * `0001-01-01 00:00:00 +0000`.
 */
export function formatWebTime(d: Date, timeZone?: string): string {
  if (isZeroTime(d)) return ZERO_TIME_WEB;
  const offset = zoneOffsetMinutes(d, timeZone);
  const local = new Date(d.getTime() + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ` +
    `${sign}${pad(Math.trunc(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`
  );
}

/** Parses the `/jobs` layout `YYYY-MM-DD HH:MM:SS ±hhmm`. */
export function parseWebTime(text: unknown, field = 'time'): Date {
  if (typeof text !== 'string') throw new ValidationError(`${field}: must be a time string`, field);
  const m = WEB_LAYOUT.exec(text);
  if (!m) throw new ValidationError(`${field}: ${JSON.stringify(text)} is not in the layout "YYYY-MM-DD HH:MM:SS +hhmm"`, field);
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  checkFields(text, field, y!, mo!, d!, h!, mi!, s!);
  const offsetMin = (Number(m[8]) * 60 + Number(m[9])) * (m[7] === '-' ? -1 : 1);
  return new Date(utcMs(y!, mo!, d!, h!, mi!, s!, 0) - offsetMin * 60_000);
}

/** Unix seconds, as in the `*_ts` fields of `/jobs` (zero time: -62135596800). */
export function unixSeconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

/** Timers a daemon sets (injected, so tests fire them without sleeping; the real ones by default). */
export interface TimerApi {
  /** Calls `fn` after `ms` milliseconds (at once, on the next turn, when `ms` <= 0). */
  set(fn: () => void, ms: number): unknown;
  /** Cancels what `set` returned. */
  clear(handle: unknown): void;
}

/** setTimeout / setImmediate. */
export const realTimers: TimerApi = {
  set: (fn, ms) => (ms <= 0 ? { immediate: setImmediate(fn) } : { timeout: setTimeout(fn, ms) }),
  clear: (h) => {
    const handle = h as { immediate?: NodeJS.Immediate; timeout?: NodeJS.Timeout };
    if (handle.immediate) clearImmediate(handle.immediate);
    if (handle.timeout) clearTimeout(handle.timeout);
  },
};
