/**
 * Wall-clock time in an IANA time zone, with nothing but Intl: the parts of
 * an instant as a zone's clock shows them, and the instant a zone's clock
 * shows a given date and time (a time skipped by a DST change moves forward
 * by the change; a repeated one is its first occurrence).
 */
import { zoneFormatter } from '@tunasync/core';

/** The host zone last read, and the TZ it was read under. */
let host: { tz: string | undefined; zone: string } | undefined;

/**
 * The host's zone (what tunasync's cron and a bare `HH:MM` mean). Read once,
 * and again only after `process.env.TZ` changed: each `Intl.DateTimeFormat()`
 * builds an ICU formatter in native memory (~20 KB that the allocator keeps),
 * and every mirror's policy asks for this zone at start and at restore.
 */
export function hostZone(): string {
  const tz = process.env.TZ;
  if (!host || host.tz !== tz) host = { tz, zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' };
  return host.zone;
}

/** True when `tz` is a time zone this runtime knows. */
export function isValidZone(tz: string): boolean {
  if (tz.trim() === '') return false;
  try {
    zoneFormatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** A zone's clock at one instant. `weekday` is 0 (Sunday) to 6. */
export interface ZonedTime {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** What the clock of `tz` shows at `at`. */
export function zonedParts(at: Date, tz: string): ZonedTime {
  const out: Record<string, string> = {};
  for (const p of zoneFormatter(tz).formatToParts(at)) out[p.type] = p.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour) % 24,
    minute: Number(out.minute),
    second: Number(out.second),
    weekday: WEEKDAYS.indexOf(out.weekday ?? ''),
  };
}

/** Offset of `tz` from UTC at `at`, in milliseconds (positive east). */
function offsetAt(at: number, tz: string): number {
  const p = zonedParts(new Date(at), tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (at - (at % 1000 + 1000) % 1000);
}

/**
 * The instant the clock of `tz` shows `year-month-day hour:minute` (month
 * 1..12; day may overflow into the next month). A time a DST change skips is
 * moved forward by the change; a time shown twice is its first showing.
 */
export function zonedToUtc(year: number, month: number, day: number, hour: number, minute: number, tz: string): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // Try the offsets in effect a day either side; keep the earliest that shows the wall time.
  const candidates = [...new Set([offsetAt(wall - 86_400_000, tz), offsetAt(wall, tz), offsetAt(wall + 86_400_000, tz)])]
    .map((off) => wall - off)
    .filter((t) => offsetAt(t, tz) === wall - t)
    .sort((a, b) => a - b);
  if (candidates[0] !== undefined) return new Date(candidates[0]);
  // Skipped by a DST change: the same wall time read with the offset before the change lands after the gap.
  return new Date(wall - offsetAt(wall - 86_400_000, tz));
}

/** The calendar date `days` after the zoned date `p` (as UTC fields). */
export function addDays(p: Pick<ZonedTime, 'year' | 'month' | 'day'>, days: number): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** `HH:MM` on the clock of `tz` at `at`. */
export function formatHHMM(at: Date, tz: string): string {
  const p = zonedParts(at, tz);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

/** Parses `HH:MM` (00:00..23:59) into minutes of the day; undefined when malformed. */
export function parseHHMM(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return undefined;
  return h * 60 + min;
}
