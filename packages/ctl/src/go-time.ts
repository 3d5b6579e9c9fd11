/**
 * Times as Go prints them, so `--format` templates written for tunasync's
 * tunasynctl give the same text: `{{.LastUpdate}}` is Go's
 * `time.Time.String()` (`2006-01-02 15:04:05.999999999 -0700 MST`), and
 * `{{.LastUpdate.Format "2006-01-02"}}` takes Go's reference-time layouts.
 */
import { isZeroTime, padNumber } from '@tunasync/core';

/** Go's `time.Time.String()` layout. */
export const GO_STRING_LAYOUT = '2006-01-02 15:04:05.999999999 -0700 MST';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A zone as Go shows it: an offset and an abbreviation. */
export interface GoZone {
  /** Minutes east of UTC. */
  offsetMinutes: number;
  /** `UTC`, `CST`, …; a numeric `+0800` when the zone has no letters. */
  name: string;
}

function numericOffset(offsetMinutes: number, colon = false): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const a = Math.abs(offsetMinutes);
  return `${sign}${padNumber(Math.trunc(a / 60))}${colon ? ':' : ''}${padNumber(a % 60)}`;
}

/**
 * The process's local zone at instant `d`, named as Go names it where Intl
 * gives letters (`UTC`, `PST`); otherwise the numeric offset.
 */
export function localZone(d: Date): GoZone {
  const offsetMinutes = -d.getTimezoneOffset();
  let name = '';
  try {
    name = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  } catch {
    name = '';
  }
  if (!/^[A-Z]{2,5}$/.test(name)) name = numericOffset(offsetMinutes);
  return { offsetMinutes, name };
}

/** UTC, as Go names it. */
export const UTC_ZONE: GoZone = { offsetMinutes: 0, name: 'UTC' };

/** The zone Go would show for a time read from tunasync's JSON: UTC for the zero time, else local. */
export function zoneFor(d: Date): GoZone {
  return isZeroTime(d) ? UTC_ZONE : localZone(d);
}

// Layout elements, longest first where one is a prefix of another (as Go's nextStdChunk decides).
const ELEMENTS = [
  'January', 'Jan', 'Monday', 'Mon', 'MST', '2006', '002', '__2', '_2', '01', '02', '03', '04', '05', '06',
  '15', '1', '2', '3', '4', '5', 'PM', 'pm',
  'Z070000', 'Z07:00:00', 'Z0700', 'Z07:00', 'Z07', '-070000', '-07:00:00', '-0700', '-07:00', '-07',
];
const FRACTION = /^[.,](0+|9+)(?!\d)/;

function dayOfYear(y: number, m: number, d: number): number {
  const start = new Date(0);
  start.setUTCFullYear(y, 0, 1);
  const at = new Date(0);
  at.setUTCFullYear(y, m, d);
  return Math.round((at.getTime() - start.getTime()) / 86_400_000) + 1;
}

/**
 * Formats `d` in `zone` with a Go layout (`2006-01-02 15:04:05 -0700`).
 * JavaScript times hold milliseconds, so digits past the third are zeros.
 */
export function formatGoTime(d: Date, layout: string, zone: GoZone = zoneFor(d)): string {
  const w = new Date(d.getTime() + zone.offsetMinutes * 60_000);
  const [Y, M, D, h, m, s, ms] = [w.getUTCFullYear(), w.getUTCMonth(), w.getUTCDate(), w.getUTCHours(), w.getUTCMinutes(), w.getUTCSeconds(), w.getUTCMilliseconds()];
  const zoneOff = (form: string): string => {
    if (form.startsWith('Z') && zone.offsetMinutes === 0) return 'Z';
    const body = form.slice(1);
    const colon = body.includes(':');
    const full = numericOffset(zone.offsetMinutes, colon);
    if (body === '07') return full.slice(0, 3);
    return body.length > 5 ? `${full}${colon ? ':' : ''}00` : full;
  };
  let out = '';
  let i = 0;
  while (i < layout.length) {
    const rest = layout.slice(i);
    const frac = FRACTION.exec(rest);
    if (frac) {
      const digits = frac[1]!.length;
      let f = padNumber(ms, 3).padEnd(9, '0').slice(0, digits);
      if (frac[1]![0] === '9') f = f.replace(/0+$/, '');
      out += f === '' ? '' : rest[0]! + f;
      i += frac[0].length;
      continue;
    }
    const el = ELEMENTS.find((e) => rest.startsWith(e));
    if (!el) {
      out += rest[0];
      i += 1;
      continue;
    }
    i += el.length;
    switch (el) {
      case 'January': out += MONTHS[M]; break;
      case 'Jan': out += MONTHS[M]!.slice(0, 3); break;
      case 'Monday': out += DAYS[w.getUTCDay()]; break;
      case 'Mon': out += DAYS[w.getUTCDay()]!.slice(0, 3); break;
      case 'MST': out += zone.name; break;
      case '2006': out += padNumber(Y, 4); break;
      case '06': out += padNumber(Y % 100); break;
      case '01': out += padNumber(M + 1); break;
      case '1': out += String(M + 1); break;
      case '02': out += padNumber(D); break;
      case '2': out += String(D); break;
      case '_2': out += String(D).padStart(2, ' '); break;
      case '002': out += padNumber(dayOfYear(Y, M, D), 3); break;
      case '__2': out += String(dayOfYear(Y, M, D)).padStart(3, ' '); break;
      case '15': out += padNumber(h); break;
      case '03': out += padNumber(h % 12 === 0 ? 12 : h % 12); break;
      case '3': out += String(h % 12 === 0 ? 12 : h % 12); break;
      case '04': out += padNumber(m); break;
      case '4': out += String(m); break;
      case '05': out += padNumber(s); break;
      case '5': out += String(s); break;
      case 'PM': out += h >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += h >= 12 ? 'pm' : 'am'; break;
      default: out += zoneOff(el);
    }
  }
  return out;
}

/** Go's `time.Time.String()` of `d` in `zone`. */
export function goTimeString(d: Date, zone: GoZone = zoneFor(d)): string {
  return formatGoTime(d, GO_STRING_LAYOUT, zone);
}
