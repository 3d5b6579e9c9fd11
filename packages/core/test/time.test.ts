import { describe, expect, it } from '@jest/globals';
import {
  ZERO_TIME_MS,
  formatRfc3339,
  formatWebTime,
  isZeroTime,
  parseRfc3339,
  parseWebTime,
  unixSeconds,
  zeroTime,
  zoneOffsetMinutes,
} from '@tunasync/core';

describe('RFC 3339', () => {
  it('parses a time produced by Go, with nanoseconds and an offset', () => {
    const d = parseRfc3339('2017-12-06T14:33:06.422712373+08:00');
    expect(d.toISOString()).toBe('2017-12-06T06:33:06.422Z');
  });

  it('parses without fraction, with Z, lowercase and negative offsets', () => {
    expect(parseRfc3339('2026-11-21T06:03:09Z').getTime()).toBe(Date.UTC(2026, 10, 21, 6, 3, 9));
    expect(parseRfc3339('2026-11-21t06:03:09z').getTime()).toBe(Date.UTC(2026, 10, 21, 6, 3, 9));
    expect(parseRfc3339('2026-11-21T01:03:09.5-05:00').getTime()).toBe(Date.UTC(2026, 10, 21, 6, 3, 9, 500));
  });

  it("parses and formats Go's zero time", () => {
    const z = parseRfc3339('0001-01-01T00:00:00Z');
    expect(z.getTime()).toBe(ZERO_TIME_MS);
    expect(isZeroTime(z)).toBe(true);
    expect(formatRfc3339(z)).toBe('0001-01-01T00:00:00Z');
    expect(unixSeconds(z)).toBe(-62135596800);
  });

  it('formats in UTC with fractional seconds only when present', () => {
    expect(formatRfc3339(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('2026-01-02T03:04:05Z');
    expect(formatRfc3339(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 420)))).toBe('2026-01-02T03:04:05.42Z');
  });

  it('round-trips', () => {
    for (const text of ['2017-12-06T14:33:06.422712373+08:00', '1999-12-31T23:59:59Z', '0001-01-01T00:00:00Z']) {
      const d = parseRfc3339(text);
      expect(parseRfc3339(formatRfc3339(d)).getTime()).toBe(d.getTime());
    }
  });

  it('rejects what is not RFC 3339, naming the field', () => {
    expect(() => parseRfc3339('2017-12-06 14:33:06', 'last_update')).toThrow(/last_update: "2017-12-06 14:33:06" is not an RFC 3339 time/);
    expect(() => parseRfc3339('2017-13-06T14:33:06Z', 'last_update')).toThrow(/last_update: .* not a valid date/);
    expect(() => parseRfc3339('2017-02-30T14:33:06Z')).toThrow(/not a valid date/);
    expect(() => parseRfc3339(12345, 'next_schedule')).toThrow(/next_schedule: must be an RFC 3339 time string/);
  });
});

describe('web layout', () => {
  const instant = new Date(Date.UTC(2026, 10, 21, 6, 3, 9));

  it('formats in a named zone and in UTC', () => {
    expect(formatWebTime(instant, 'Asia/Shanghai')).toBe('2026-11-21 14:03:09 +0800');
    expect(formatWebTime(instant, 'UTC')).toBe('2026-11-21 06:03:09 +0000');
    expect(formatWebTime(instant, 'America/St_Johns')).toBe('2026-11-21 02:33:09 -0330');
  });

  it('builds one formatter per zone, not one per time (each holds ICU data in native memory)', () => {
    const real = Intl.DateTimeFormat;
    let made = 0;
    Intl.DateTimeFormat = new Proxy(real, {
      construct(target, args: unknown[]) {
        made++;
        return Reflect.construct(target, args) as object;
      },
    });
    try {
      // A zone no other test used, so its formatter is not cached yet.
      for (let i = 0; i < 1000; i++) formatWebTime(new Date(instant.getTime() + i * 3_600_000), 'Pacific/Chatham');
    } finally {
      Intl.DateTimeFormat = real;
    }
    expect(made).toBe(1);
    // Chatham is +13:45 in (southern) summer, and the answers still follow the instant.
    expect(formatWebTime(instant, 'Pacific/Chatham')).toBe('2026-11-21 19:48:09 +1345');
    expect(formatWebTime(new Date(Date.UTC(2026, 5, 1)), 'Pacific/Chatham')).toBe('2026-06-01 12:45:00 +1245');
  });

  it('uses the process zone by default', () => {
    const offset = zoneOffsetMinutes(instant);
    expect(offset).toBe(-instant.getTimezoneOffset());
    expect(parseWebTime(formatWebTime(instant)).getTime()).toBe(instant.getTime());
  });

  it('formats and parses the zero time', () => {
    expect(formatWebTime(zeroTime(), 'Asia/Shanghai')).toBe('0001-01-01 00:00:00 +0000');
    expect(parseWebTime('0001-01-01 00:00:00 +0000').getTime()).toBe(ZERO_TIME_MS);
  });

  it('parses with offsets and rejects other layouts', () => {
    expect(parseWebTime('2026-11-21 14:03:09 +0800').getTime()).toBe(instant.getTime());
    expect(() => parseWebTime('2026-11-21T14:03:09+08:00', 'last_update')).toThrow(/last_update: .* layout/);
  });
});
