/** manager.conf `[history]` (issue 14): `keep` and `max_age` with units, defaults, and errors naming file and key. */
import { describe, expect, it } from '@jest/globals';
import { ConfigError, DEFAULT_HISTORY_KEEP, DEFAULT_HISTORY_MAX_AGE_S, parseAge, parseManagerConfig } from '@tunasync/core';

describe('manager.conf [history]', () => {
  it('parses ages in s, m, h and d', () => {
    expect([parseAge('45s'), parseAge('30m'), parseAge('12h'), parseAge('180d')]).toEqual([45, 1800, 43_200, 15_552_000]);
    for (const bad of ['', '10', '1w', '-1d', '0d', '1.5h', 'd', '10 days']) expect([bad, parseAge(bad)]).toEqual([bad, undefined]);
  });

  it('defaults to keep 200 and 180 days', () => {
    const { config } = parseManagerConfig('');
    expect(config.history).toEqual({ keep: DEFAULT_HISTORY_KEEP, maxAgeS: DEFAULT_HISTORY_MAX_AGE_S });
    expect([DEFAULT_HISTORY_KEEP, DEFAULT_HISTORY_MAX_AGE_S]).toEqual([200, 180 * 86_400]);
  });

  it('reads keep and max_age', () => {
    expect(parseManagerConfig('[history]\nkeep = 5\nmax_age = "90m"\n').config.history).toEqual({ keep: 5, maxAgeS: 5400 });
  });

  it('refuses a bad max_age or keep, naming file and key', () => {
    for (const [text, key] of [
      ['[history]\nmax_age = "6 months"\n', 'history.max_age'],
      ['[history]\nmax_age = 3\n', 'max_age'],
      ['[history]\nkeep = 0\n', 'keep'],
      ['[history]\nkeep = "many"\n', 'keep'],
    ] as const) {
      let err: unknown;
      try {
        parseManagerConfig(text, '/etc/tunasync/manager.conf');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(String((err as Error).message)).toContain('/etc/tunasync/manager.conf');
      expect(String((err as Error).message)).toContain(key);
    }
  });
});
