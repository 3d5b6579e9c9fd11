/**
 * The host's time zone as the schedule policies read it: each call of
 * `Intl.DateTimeFormat()` builds an ICU formatter in native memory (about
 * 20 KB, not returned to the system once freed), and every mirror's policy
 * asks for the host zone at start and again at restore, so a worker with
 * 1,000 mirrors grew by ~40 MB for one string. The zone is now read once
 * (and again only when `process.env.TZ` changes); what it answers stays the
 * same.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { pathToFileURL } from 'node:url';
import { builtBin, runProgram } from '@tunasync/testkit';
import { hostZone, schedulePolicyFor } from '@tunasync/worker';

const realFormat = Intl.DateTimeFormat;

/** Counts the Intl.DateTimeFormat objects made (with or without `new`) while `fn` runs. */
function countFormatters(fn: () => void): number {
  let made = 0;
  Intl.DateTimeFormat = new Proxy(realFormat, {
    apply(target, self, args: unknown[]) {
      made++;
      return Reflect.apply(target, self, args) as unknown;
    },
    construct(target, args: unknown[]) {
      made++;
      return Reflect.construct(target, args) as object;
    },
  });
  try {
    fn();
  } finally {
    Intl.DateTimeFormat = realFormat;
  }
  return made;
}

afterEach(() => {
  Intl.DateTimeFormat = realFormat;
});

describe('hostZone', () => {
  it('answers the zone Intl reports for the host', () => {
    expect(hostZone()).toBe(realFormat().resolvedOptions().timeZone || 'UTC');
  });

  it('a cron policy without its own zone uses the host zone, and says so', () => {
    expect(schedulePolicyFor({ cron: '0 3 * * *', interval: 0 }).description).toBe(`cron "0 3 * * *" ${hostZone()}`);
  });

  it('follows a change of process.env.TZ in a running process (the built package, in a real node: jest keeps its own process.env)', async () => {
    const index = pathToFileURL(builtBin('worker', 'index.js')).href;
    const script = [
      `const { hostZone, schedulePolicyFor } = await import(${JSON.stringify(index)});`,
      `const seen = [hostZone()];`,
      `process.env.TZ = 'Asia/Shanghai'; seen.push(hostZone(), hostZone());`,
      `process.env.TZ = 'America/New_York'; seen.push(hostZone(), schedulePolicyFor({ cron: '0 3 * * *', interval: 0 }).description);`,
      `console.log(JSON.stringify(seen));`,
    ].join('\n');
    const r = await runProgram(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TZ: 'Europe/Berlin' } });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['Europe/Berlin', 'Asia/Shanghai', 'Asia/Shanghai', 'America/New_York', 'cron "0 3 * * *" America/New_York']);
  });

  it('makes no formatter per mirror: 1,000 policies (start and restore) and descriptions cost at most one', () => {
    hostZone(); // the zone now, as at start-up
    const made = countFormatters(() => {
      for (let i = 0; i < 1000; i++) {
        schedulePolicyFor({ cron: '', interval: 60 });
        schedulePolicyFor({ cron: '', interval: 60, blackout: ['01:00-02:00'] });
        hostZone();
      }
    });
    expect(made).toBeLessThanOrEqual(1);
  });

  it('a mirror with its own zone keeps it, whatever the host zone', () => {
    expect(schedulePolicyFor({ cron: '0 3 * * *', interval: 0, timezone: 'Europe/Berlin' }).description).toBe('cron "0 3 * * *" Europe/Berlin');
  });
});
