/**
 * Size strings as mirror operators write and read them: `"256M"`, `"1.5G"`,
 * `"23.4G"`. Units are binary (K = 1024), case-insensitive, with an optional
 * `B` or `iB` suffix, as Docker's RAMInBytes (which tunasync uses) reads them.
 */

const UNITS = ['', 'K', 'M', 'G', 'T', 'P', 'E'] as const;
const SIZE = /^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*([kmgtpe]?)(i?b)?\s*$/i;

/**
 * Parses a size (`"256M"`, `"1.5g"`, `"512MiB"`, `"1,234,567"`, `1024`) into
 * bytes; undefined when it is not a size.
 */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.floor(text) : undefined;
  const m = SIZE.exec(text.replace(/,(?=\d{3}\b)/g, ''));
  if (!m) return undefined;
  const power = UNITS.indexOf(m[2]!.toUpperCase() as (typeof UNITS)[number]);
  return Math.round(Number(m[1]) * 1024 ** power);
}

/**
 * Formats bytes as tunasync shows sizes: plain below 1 KiB, otherwise one
 * decimal and a unit letter (`"1.5G"`, `"23.4G"`, `"512M"`).
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return 'unknown';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return String(Math.round(value));
  const rounded = Math.round(value * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)}${UNITS[unit]}`;
}

/**
 * Normalises a size as it appears in a log: a value with a unit
 * (`"1.23G"`) is kept as written; a plain byte count (`"1,234,567"`) is
 * formatted; anything else gives undefined.
 */
export function normalizeSize(text: string): string | undefined {
  const t = text.trim();
  if (/^[0-9.]+[KMGTPE]$/i.test(t)) return t.toUpperCase();
  if (/^[0-9][0-9,]*(\.[0-9]+)?$/.test(t)) {
    const bytes = parseSize(t);
    return bytes === undefined ? undefined : formatSize(bytes);
  }
  return undefined;
}
