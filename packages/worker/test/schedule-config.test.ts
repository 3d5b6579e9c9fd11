/**
 * The scheduling keys of worker.conf (issue 18): every bad value refuses the
 * start naming the file and the key (createWorker, the CLI start and
 * --dry-run alike), old configs mean what they meant, and --dry-run prints
 * each job's schedule in words with its next three runs as HH:MM in the
 * job's own zone.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, createSilentLogger, formatConfigIssue, loadWorkerConfig, parseWorkerConfig } from '@tunasync/core';
import { builtBin, repoRoot, runScript, tempDir, workerConfText } from '@tunasync/testkit';
import { createWorker, dryRun, formatHHMM, schedulePolicyFor, upstreamHost, workerConfigIssues } from '@tunasync/worker';

const dirs: (() => void)[] = [];
afterAll(() => dirs.forEach((c) => c()));

/** Writes a worker.conf with `globalToml` in [global], `sections` and `mirrors`; returns its path. */
function conf(globalToml: string, mirrors: string, sections = ''): string {
  const t = tempDir('tunasync-sched-conf-');
  dirs.push(t.cleanup);
  const file = join(t.dir, 'worker.conf');
  const text = workerConfText({ dir: t.dir, apiBase: 'http://127.0.0.1:9', mirrors, sections }).replace('[global]\n', `[global]\n${globalToml}\n`);
  writeFileSync(file, text);
  return file;
}

/** The issue lines createWorker refuses `file` with (the loader's, when it refuses first). */
async function refusal(file: string): Promise<string[]> {
  let config;
  try {
    config = loadWorkerConfig(file).config;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map(formatConfigIssue);
  }
  const err = await createWorker({ config, logger: createSilentLogger(), registerWaitMs: 0 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).issues.map(formatConfigIssue);
}

const mirror = (extra = '', name = 'm'): string => `[[mirrors]]\nname = "${name}"\nprovider = "command"\ncommand = "true"\n${extra}\n`;

describe('bad scheduling values refuse the start, naming file and key', () => {
  const cases: Array<[string, string, string, string, string]> = [
    // [what, [global] toml, mirror toml, key path, message part]
    ['an unknown zone in [global]', 'timezone = "Mars/Olympus_Mons"', '', 'global.timezone', 'not a known IANA time zone'],
    ['an unknown zone in a mirror', '', 'timezone = "Europe/Atlantis"', 'mirrors[0].timezone', 'not a known IANA time zone'],
    ['an unknown interval_mode', '', 'interval_mode = "fixed"', 'mirrors[0].interval_mode', 'is not "interval" or "fixed-rate"'],
    ['an anchor that is no time', '', 'interval_mode = "fixed-rate"\nfixed_rate_anchor = "25:00"', 'mirrors[0].fixed_rate_anchor', 'not a time HH:MM'],
    ['a malformed [global] anchor', 'fixed_rate_anchor = "noon"', '', 'global.fixed_rate_anchor', 'not a time HH:MM'],
    ['a malformed blackout window', '', 'blackout = ["1-6"]', 'mirrors[0].blackout', 'is not a window'],
    ['an empty blackout window', 'blackout = ["03:00-03:00"]', '', 'global.blackout', 'is empty'],
    ['blackout windows covering every minute', '', 'blackout = ["00:00-12:00", "12:00-00:00"]', 'mirrors[0].blackout', 'cover the whole week'],
    ['a priority above 100', '', 'priority = 101', 'mirrors[0].priority', 'not an integer from 0 to 100'],
    ['a negative [global] priority', 'priority = -1', '', 'global.priority', 'not an integer from 0 to 100'],
    ['a priority that is a word', '', 'priority = "high"', 'mirrors[0].priority', 'must be integer'],
    ['a negative per_upstream_concurrent', 'per_upstream_concurrent = -1', '', 'global.per_upstream_concurrent', 'not a whole number'],
    ['a spread that is no duration', 'spread = "a while"', '', 'global.spread', 'not a duration'],
  ];
  it.each(cases)('%s', async (_what, globalToml, mirrorToml, key, message) => {
    const file = conf(globalToml, mirror(mirrorToml));
    const lines = await refusal(file);
    expect(lines).toEqual([expect.stringContaining(`${file}: ${key}: `)]);
    expect(lines[0]).toContain(message);
  });

  it('a host limit below 1 in [per_upstream_concurrent]', async () => {
    const file = conf('', mirror(), '[per_upstream_concurrent]\n"mirror.example.org" = 0\n');
    expect(await refusal(file)).toEqual([`${file}: per_upstream_concurrent.mirror.example.org: 0 is not a whole number of runs (1 or more)`]);
  });

  it('a bad [global] default is reported once, not again for every mirror inheriting it', async () => {
    const file = conf('timezone = "Nowhere/Town"', mirror('', 'a') + mirror('', 'b') + mirror('timezone = "Also/Nowhere"', 'c'));
    const lines = await refusal(file);
    expect(lines.map((l) => l.split(': ')[1])).toEqual(['global.timezone', 'mirrors[2].timezone']);
  });

  it('the CLI refuses it too, on start and with --dry-run, naming the key', async () => {
    const file = conf('', mirror('blackout = ["Sat 25:00-Sun 01:00"]'));
    const bin = builtBin('worker', 'cli.js');
    const [dry, start] = await Promise.all([runScript(bin, ['--dry-run', '-c', file]), runScript(bin, ['-c', file])]);
    for (const r of [dry, start]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${file}: mirrors[0].blackout: "Sat 25:00-Sun 01:00" is not a window`);
    }
  });
});

describe('old configs mean what they meant', () => {
  it('without the new keys: interval from the end of the last run, cron in the host zone, priority 50, no host limit or spread', () => {
    const config = loadWorkerConfig(conf('', mirror('interval = 30', 'i') + mirror('cron = "0 3 * * *"', 'c'))).config;
    const [i, c] = config.mirrors;
    expect(i).toMatchObject({ timezone: '', intervalMode: '', blackout: [], priority: 50 });
    expect(config.global).toMatchObject({ perUpstreamConcurrent: 0, spread: '' });
    const now = new Date('2026-11-30T12:00:00Z');
    expect(schedulePolicyFor(i!).next({ ended: new Date('2026-11-30T11:50:00Z') }, now)!.toISOString()).toBe('2026-11-30T12:20:00.000Z');
    expect(schedulePolicyFor(c!).description).toContain(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
});

describe('--dry-run', () => {
  it('prints each schedule in words and the next three runs as HH:MM in the job\'s own zone, naming it', async () => {
    const file = conf(
      'timezone = "Asia/Shanghai"\nspread = "10m"',
      mirror('cron = "0 3 * * *"', 'nightly') +
        mirror('interval_mode = "fixed-rate"\ninterval = 360\nfixed_rate_anchor = "00:30"\ntimezone = "America/New_York"\nblackout = ["06:00-07:00"]\npriority = 80', 'fixed') +
        mirror('interval = 90', 'plain'),
    );
    // 12:00Z is 20:00 in Shanghai, 07:00 in New York.
    const r = await dryRun(file, { now: new Date('2026-11-30T12:00:00Z') });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const out = r.lines.join('\n').split('\n');
    const block = (name: string): string[] => {
      const i = out.findIndex((l) => l.startsWith(`${name}\t`));
      return [out[i]!, out[i + 1]!];
    };
    // The job's line as before (for scripts), then its schedule in words and next runs.
    const [nightly, nightlyNext] = block('nightly');
    expect(nightly).toBe(`nightly\tcommand\t-\tcron "0 3 * * *"\t${join(file, '..', 'data', 'nightly')}`);
    expect(nightlyNext).toContain('  cron "0 3 * * *" Asia/Shanghai; priority 50; starts ');
    // 03:00 plus the mirror's place in the 10-minute spread window, on the next three days.
    expect(nightlyNext).toMatch(/; next runs \(Asia\/Shanghai\): 03:0\d \+1d, 03:0\d \+2d, 03:0\d \+3d$/);
    const [, fixedNext] = block('fixed');
    expect(fixedNext).toContain('every 360 min at fixed times from 00:30 America/New_York');
    expect(fixedNext).toContain('not starting in 06:00-07:00 America/New_York; priority 80');
    expect(fixedNext).toMatch(/; next runs \(America\/New_York\): 07:\d\d, 12:3\d, 18:3\d$/);
    const [, plainNext] = block('plain');
    expect(plainNext).toContain('every 90 min after the last run');
    expect(plainNext).toMatch(/; next runs \(Asia\/Shanghai\): 20:\d\d, 21:\d\d, 23:\d\d$/);
    expect(out.at(-1)).toMatch(/^3 jobs for worker w1, reporting to http:\/\/127\.0\.0\.1:9$/);
  });
});

describe('the README example', () => {
  it('loads with no warning, passes the check and means what the README says', async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const block = /### Scheduling[\s\S]*?```toml\n([\s\S]*?)```/.exec(readme)![1]!;
    const text = block.replace('[global]\n', '[global]\nname = "w"\nlog_dir = "/tmp/l/{{.Name}}"\nmirror_dir = "/tmp/m"\n');
    const { config, warnings } = parseWorkerConfig(text, '<README>');
    expect(warnings).toEqual([]);
    expect(await workerConfigIssues(config)).toEqual([]);
    expect(config.perUpstreamConcurrent).toEqual({ 'rsync.example.org': 1 });
    const [debian, arch] = config.mirrors;
    expect(upstreamHost(debian!.upstream)).toBe('rsync.example.org');
    expect(debian!.blackout).toEqual(['01:00-06:00']);
    expect(arch!.blackout).toEqual(['Sat 00:00-Sun 23:59']);
    const t = new Date('2026-11-30T12:00:00Z');
    const next = schedulePolicyFor(debian!).next({ started: t, ended: t }, t)!;
    expect(formatHHMM(next, 'Asia/Shanghai')).toBe('20:30');
  });
});
