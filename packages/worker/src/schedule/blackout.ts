/**
 * `blackout` windows: times of day (`"01:00-06:00"`) or of the week
 * (`"Sat 00:00-Sun 23:59"`) in the job's zone when no scheduled run starts.
 * A window may cross midnight (or the week's end); its end is exclusive: a
 * run due inside one starts at its end.
 */
import { parseHHMM, zonedParts, zonedToUtc } from './zone.js';

const DAY = 1440;
const WEEK = 7 * DAY;
const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** One window, as minutes into its period (a day or a week, Sunday 00:00 first). */
export interface BlackoutWindow {
  /** What was written. */
  text: string;
  period: typeof DAY | typeof WEEK;
  start: number;
  end: number;
}

function dayIndex(word: string): number | undefined {
  // "Sat", "sat" or "Saturday": three letters at least, a prefix of the day's name.
  const w = word.toLowerCase();
  const i = w.length >= 3 ? DAY_NAMES.findIndex((d) => d.startsWith(w)) : -1;
  return i < 0 ? undefined : i;
}

function point(text: string, weekly: boolean): number | undefined {
  const parts = text.trim().split(/\s+/);
  if (weekly) {
    if (parts.length !== 2) return undefined;
    const d = dayIndex(parts[0]!);
    const t = parseHHMM(parts[1]!);
    return d === undefined || t === undefined ? undefined : d * DAY + t;
  }
  return parts.length === 1 ? parseHHMM(parts[0]!) : undefined;
}

/** Parses one window; a string saying what is wrong when it is malformed. */
export function parseBlackout(text: string): BlackoutWindow | string {
  const halves = text.split('-');
  if (halves.length !== 2) return `${JSON.stringify(text)} is not a window such as "01:00-06:00" or "Sat 00:00-Sun 23:59"`;
  const weekly = /[a-z]/i.test(text);
  const start = point(halves[0]!, weekly);
  const end = point(halves[1]!, weekly);
  if (start === undefined || end === undefined) {
    return `${JSON.stringify(text)} is not a window such as "01:00-06:00" or "Sat 00:00-Sun 23:59" (times HH:MM, days Mon..Sun, both ends alike)`;
  }
  if (start === end) return `${JSON.stringify(text)} is empty: it starts where it ends`;
  return { text, period: weekly ? WEEK : DAY, start, end };
}

/** Parses a list of windows, or returns the first problem. */
export function parseBlackouts(list: string[]): BlackoutWindow[] | string {
  const out: BlackoutWindow[] = [];
  for (const text of list) {
    const w = parseBlackout(text);
    if (typeof w === 'string') return w;
    out.push(w);
  }
  return out;
}

function inside(w: BlackoutWindow, pos: number): boolean {
  return w.start < w.end ? pos >= w.start && pos < w.end : pos >= w.start || pos < w.end;
}

/** True when the windows together leave no minute of the week free. */
export function coversEverything(windows: BlackoutWindow[]): boolean {
  if (windows.length === 0) return false;
  for (let m = 0; m < WEEK; m++) if (!windows.some((w) => inside(w, m % w.period))) return false;
  return true;
}

/** The windows of one job, in its zone. */
export class Blackouts {
  constructor(
    readonly windows: BlackoutWindow[],
    readonly tz: string,
  ) {}

  /** When the window holding `at` ends (the first one to end, if several hold it); undefined when `at` is in none. */
  endOf(at: Date): Date | undefined {
    if (this.windows.length === 0) return undefined;
    const p = zonedParts(at, this.tz);
    const tod = p.hour * 60 + p.minute;
    let best: number | undefined;
    for (const w of this.windows) {
      const pos = w.period === DAY ? tod : p.weekday * DAY + tod;
      if (!inside(w, pos)) continue;
      const minutes = (w.end - pos + w.period) % w.period;
      const wall = new Date(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) + minutes * 60_000);
      const end = zonedToUtc(wall.getUTCFullYear(), wall.getUTCMonth() + 1, wall.getUTCDate(), wall.getUTCHours(), wall.getUTCMinutes(), this.tz).getTime();
      // A DST change can put a wall-clock end at or before `at`; the window then ends a minute on.
      const safe = end > at.getTime() ? end : at.getTime() + 60_000;
      if (best === undefined || safe < best) best = safe;
    }
    return best === undefined ? undefined : new Date(best);
  }

  /** The first instant at or after `at` outside every window. */
  firstFree(at: Date): Date {
    let t = at;
    for (let i = 0; i < 64; i++) {
      const end = this.endOf(t);
      if (!end) return t;
      t = end;
    }
    return t;
  }

  /** The windows as written, for descriptions. */
  describe(): string {
    return this.windows.map((w) => w.text).join(', ');
  }
}
