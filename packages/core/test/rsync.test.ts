import { describe, expect, it } from '@jest/globals';
import {
  RSYNC_DEFAULT_OPTIONS,
  RSYNC_EXIT_CODES,
  STAGE1_PROFILES,
  buildRsyncArgv,
  buildRsyncOptions,
  buildTwoStageArgv,
  parseWorkerConfig,
  rsyncExitMessage,
  rsyncMirrorProblems,
  rsyncProgram,
  rsyncHumanLevel,
  rsyncPrintsStats,
  rsyncSizeFromLine,
  rsyncStatsNumber,
  rsyncTransferFromLine,
  type RsyncCheckedOptions,
  type RsyncMirrorOptions,
} from '@tunasync/core';

// Written out, not imported: these are the contract (wire-protocol.md, tunasync's rsync_provider.go).
const DEFAULTS = [
  '-aHvh', '--no-o', '--no-g', '--stats',
  '--filter', 'risk .~tmp~/', '--exclude', '.~tmp~/',
  '--delete', '--delete-after', '--delay-updates', '--safe-links',
];
const SAFE = ['-aHvh', '--no-o', '--no-g', '--stats', '--filter', 'risk .~tmp~/', '--exclude', '.~tmp~/', '--safe-links'];
const DEBIAN = [
  '--include=*.diff/', '--include=by-hash/', '--exclude=*.diff/Index', '--exclude=Contents*',
  '--exclude=Packages*', '--exclude=Sources*', '--exclude=Release*', '--exclude=InRelease',
  '--exclude=i18n/*', '--exclude=dep11/*', '--exclude=installer-*/current', '--exclude=ls-lR*',
];
const DEBIAN_OLDSTYLE = [
  '--exclude=Packages*', '--exclude=Sources*', '--exclude=Release*', '--exclude=InRelease',
  '--exclude=i18n/*', '--exclude=ls-lR*', '--exclude=dep11/*',
];
const UP = 'rsync://ftp.example.org/debian/';
const DIR = '/srv/mirrors/debian';

const base: RsyncMirrorOptions = {
  command: '',
  upstream: UP,
  mirrorDir: DIR,
  useIPv4: false,
  useIPv6: false,
  excludeFile: '',
  rsyncNoTimeout: false,
  rsyncTimeout: 0,
  rsyncGlobalOptions: [],
  rsyncOptions: [],
  rsyncOverride: undefined,
  rsyncOverrideOnly: false,
  stage1Profile: '',
};
const m = (over: Partial<RsyncMirrorOptions>): RsyncMirrorOptions => ({ ...base, ...over });

describe('rsync provider argv', () => {
  it('uses the defaults and --timeout=120', () => {
    expect([...RSYNC_DEFAULT_OPTIONS]).toEqual(DEFAULTS);
    expect(buildRsyncArgv(base)).toEqual(['rsync', ...DEFAULTS, '--timeout=120', UP, DIR]);
  });

  it.each<[string, Partial<RsyncMirrorOptions>, string[]]>([
    ['rsync_timeout', { rsyncTimeout: 30 }, [...DEFAULTS, '--timeout=30']],
    ['rsync_no_timeout', { rsyncNoTimeout: true, rsyncTimeout: 30 }, DEFAULTS],
    ['use_ipv4', { useIPv4: true }, [...DEFAULTS, '--timeout=120', '-4']],
    ['use_ipv6', { useIPv6: true }, [...DEFAULTS, '--timeout=120', '-6']],
    ['use_ipv6 over use_ipv4', { useIPv6: true, useIPv4: true }, [...DEFAULTS, '--timeout=120', '-6']],
    ['exclude_file', { excludeFile: '/etc/ex.txt' }, [...DEFAULTS, '--timeout=120', '--exclude-from', '/etc/ex.txt']],
    ['global then mirror options', { rsyncGlobalOptions: ['--g1', '--g2'], rsyncOptions: ['--m1'] }, [...DEFAULTS, '--timeout=120', '--g1', '--g2', '--m1']],
    ['rsync_override replaces the defaults', { rsyncOverride: ['-rtl', '--delete'], rsyncOptions: ['--m1'] }, ['-rtl', '--delete', '--timeout=120', '--m1']],
    ['rsync_override_only is exactly the override', { rsyncOverride: ['-rtl'], rsyncOverrideOnly: true, rsyncOptions: ['--m1'], rsyncGlobalOptions: ['--g1'], useIPv4: true, excludeFile: '/x' }, ['-rtl']],
    [
      'everything in order',
      { rsyncTimeout: 60, useIPv4: true, excludeFile: '/e', rsyncGlobalOptions: ['--g'], rsyncOptions: ['--m'] },
      [...DEFAULTS, '--timeout=60', '-4', '--exclude-from', '/e', '--g', '--m'],
    ],
  ])('%s', (_what, over, options) => {
    expect(buildRsyncOptions(m(over))).toEqual(options);
    expect(buildRsyncArgv(m(over))).toEqual(['rsync', ...options, UP, DIR]);
  });

  it('runs `command` as the rsync binary', () => {
    expect(rsyncProgram({ command: '' })).toBe('rsync');
    expect(buildRsyncArgv(m({ command: '/opt/rsync/bin/rsync' }))).toEqual(['/opt/rsync/bin/rsync', ...DEFAULTS, '--timeout=120', UP, DIR]);
  });

  it('does not let callers mutate the defaults or the override', () => {
    const override = ['-rt'];
    const opts = buildRsyncOptions(m({ rsyncOverride: override, rsyncOverrideOnly: true }));
    opts.push('--evil');
    buildRsyncOptions(base).push('--evil');
    expect(override).toEqual(['-rt']);
    expect(buildRsyncOptions(base)).toEqual([...DEFAULTS, '--timeout=120']);
  });
});

describe('two-stage-rsync argv', () => {
  it('has both profiles', () => {
    expect(Object.keys(STAGE1_PROFILES).sort()).toEqual(['debian', 'debian-oldstyle']);
    expect([...STAGE1_PROFILES.debian!]).toEqual(DEBIAN);
    expect([...STAGE1_PROFILES['debian-oldstyle']!]).toEqual(DEBIAN_OLDSTYLE);
  });

  it.each([
    ['debian', DEBIAN],
    ['debian-oldstyle', DEBIAN_OLDSTYLE],
  ])('stage 1 with profile %s: safe options, the excludes, then timeout, -4/-6, exclude file', (profile, excludes) => {
    expect(buildTwoStageArgv(m({ stage1Profile: profile }), 1)).toEqual(['rsync', ...SAFE, ...excludes, '--timeout=120', UP, DIR]);
    const all = m({ stage1Profile: profile, useIPv6: true, excludeFile: '/e', rsyncTimeout: 10, rsyncOptions: ['--m'], rsyncGlobalOptions: ['--g'], command: '/bin/rsync3' });
    expect(buildTwoStageArgv(all, 1)).toEqual(['/bin/rsync3', ...SAFE, ...excludes, '--timeout=10', '-6', '--exclude-from', '/e', UP, DIR]);
    expect(buildTwoStageArgv(m({ stage1Profile: profile, rsyncNoTimeout: true }), 1)).toEqual(['rsync', ...SAFE, ...excludes, UP, DIR]);
    // Stage 1 never deletes.
    expect(buildTwoStageArgv(all, 1).filter((a) => a.startsWith('--delete'))).toEqual([]);
  });

  it.each(['debian', 'debian-oldstyle'])('stage 2 with profile %s is the full rsync set', (profile) => {
    const all = m({ stage1Profile: profile, useIPv6: true, excludeFile: '/e', rsyncTimeout: 10, rsyncOptions: ['--m'], rsyncGlobalOptions: ['--g'] });
    expect(buildTwoStageArgv(all, 2)).toEqual(['rsync', ...DEFAULTS, '--timeout=10', '-6', '--exclude-from', '/e', '--g', '--m', UP, DIR]);
    expect(buildTwoStageArgv(all, 2)).toEqual(buildRsyncArgv(all));
  });

  it('throws on an unknown profile', () => {
    expect(() => buildTwoStageArgv(m({ stage1Profile: 'ubuntu' }), 1)).toThrow('unknown stage1_profile "ubuntu"');
  });

  it('builds from a loaded worker.conf', () => {
    const { config } = parseWorkerConfig(`
[global]
name = "w"
log_dir = "/log"
mirror_dir = "/srv"
rsync_options = ["--global"]
[[mirrors]]
name = "debian"
provider = "two-stage-rsync"
stage1_profile = "debian"
upstream = "${UP}"
rsync_options = ["--mirror"]
use_ipv4 = true
rsync_timeout = 300
`);
    const mirror = config.mirrors[0]!;
    expect(buildTwoStageArgv(mirror, 1)).toEqual(['rsync', ...SAFE, ...DEBIAN, '--timeout=300', '-4', UP, '/srv/debian']);
    expect(buildTwoStageArgv(mirror, 2)).toEqual(['rsync', ...DEFAULTS, '--timeout=300', '-4', '--global', '--mirror', UP, '/srv/debian']);
  });
});

describe('argv for every combination of the rsync options', () => {
  // Every value each option can take that changes the command line.
  const axes = {
    command: ['', '/opt/rsync/bin/rsync'],
    override: ['none', 'override', 'override-only'] as const,
    timeout: [
      { rsyncTimeout: 0, rsyncNoTimeout: false },
      { rsyncTimeout: 30, rsyncNoTimeout: false },
      { rsyncTimeout: 0, rsyncNoTimeout: true },
      { rsyncTimeout: 30, rsyncNoTimeout: true },
    ],
    ip: [
      { useIPv4: false, useIPv6: false },
      { useIPv4: true, useIPv6: false },
      { useIPv4: false, useIPv6: true },
      { useIPv4: true, useIPv6: true },
    ],
    excludeFile: ['', '/etc/tunasync/exclude.txt'],
    rsyncGlobalOptions: [[], ['--g1', '--bwlimit=100']],
    rsyncOptions: [[], ['--m1']],
  };
  const combos: RsyncMirrorOptions[] = [];
  for (const command of axes.command)
    for (const override of axes.override)
      for (const timeout of axes.timeout)
        for (const ip of axes.ip)
          for (const excludeFile of axes.excludeFile)
            for (const rsyncGlobalOptions of axes.rsyncGlobalOptions)
              for (const rsyncOptions of axes.rsyncOptions)
                combos.push(
                  m({
                    command,
                    ...timeout,
                    ...ip,
                    excludeFile,
                    rsyncGlobalOptions,
                    rsyncOptions,
                    rsyncOverride: override === 'none' ? undefined : ['-rtl', '--delete'],
                    rsyncOverrideOnly: override === 'override-only',
                  }),
                );

  // The spec (wire-protocol.md), spelled out independently of the builder.
  const program = (o: RsyncMirrorOptions): string => o.command || 'rsync';
  const tailOf = (o: RsyncMirrorOptions): string[] => [
    ...(o.rsyncNoTimeout ? [] : [`--timeout=${o.rsyncTimeout || 120}`]),
    ...(o.useIPv6 ? ['-6'] : o.useIPv4 ? ['-4'] : []),
    ...(o.excludeFile ? ['--exclude-from', o.excludeFile] : []),
  ];
  const rsyncSpec = (o: RsyncMirrorOptions): string[] =>
    o.rsyncOverrideOnly
      ? [program(o), ...o.rsyncOverride!, UP, DIR]
      : [program(o), ...(o.rsyncOverride ?? DEFAULTS), ...tailOf(o), ...o.rsyncGlobalOptions, ...o.rsyncOptions, UP, DIR];

  it('covers every combination', () => {
    expect(combos).toHaveLength(2 * 3 * 4 * 4 * 2 * 2 * 2);
  });

  it('rsync: defaults or override, timeout, -6/-4, --exclude-from, global then mirror options; override_only alone', () => {
    for (const o of combos) expect({ o, argv: buildRsyncArgv(o) }).toEqual({ o, argv: rsyncSpec(o) });
  });

  it.each(['debian', 'debian-oldstyle'])('two-stage with %s: stage 1 safe options + profile + timeout, -6/-4, --exclude-from; stage 2 as rsync', (profile) => {
    const excludes = profile === 'debian' ? DEBIAN : DEBIAN_OLDSTYLE;
    for (const base of combos) {
      const o = { ...base, stage1Profile: profile };
      expect({ o, argv: buildTwoStageArgv(o, 1) }).toEqual({ o, argv: [program(o), ...SAFE, ...excludes, ...tailOf(o), UP, DIR] });
      expect({ o, argv: buildTwoStageArgv(o, 2) }).toEqual({ o, argv: rsyncSpec(o) });
    }
  });

  it('never puts a password or user on the command line', () => {
    const withCredentials = { ...base, username: 'alice', password: 'hunter2' } as RsyncMirrorOptions;
    for (const argv of [buildRsyncArgv(withCredentials), buildTwoStageArgv({ ...withCredentials, stage1Profile: 'debian' }, 1)]) {
      expect(argv.join(' ')).not.toMatch(/hunter2|alice/);
    }
  });
});

describe('rsyncMirrorProblems', () => {
  const ok: RsyncCheckedOptions = { provider: 'rsync', upstream: UP, stage1Profile: '', rsyncOverride: undefined, rsyncOverrideOnly: false };
  it.each<[string, Partial<RsyncCheckedOptions>, [string, string][]]>([
    ['a good rsync mirror', {}, []],
    ['a good two-stage mirror', { provider: 'two-stage-rsync', stage1Profile: 'debian-oldstyle' }, []],
    ['a command mirror (not checked)', { provider: 'command', upstream: 'https://x' }, []],
    ['an upstream without the trailing /', { upstream: 'rsync://h/m' }, [['upstream', 'rsync upstream must end with "/" (got "rsync://h/m")']]],
    ['no upstream', { upstream: '' }, [['upstream', 'is required for provider rsync']]],
    ['two-stage without a profile', { provider: 'two-stage-rsync' }, [['stage1_profile', 'is required for two-stage-rsync; known: "debian", "debian-oldstyle"']]],
    ['two-stage with an unknown profile', { provider: 'two-stage-rsync', stage1Profile: 'toString' }, [['stage1_profile', 'unknown profile "toString"; known: "debian", "debian-oldstyle"']]],
    ['override_only without override', { rsyncOverrideOnly: true }, [['rsync_override_only', 'needs a non-empty rsync_override']]],
    ['override_only with an empty override', { rsyncOverrideOnly: true, rsyncOverride: [] }, [['rsync_override_only', 'needs a non-empty rsync_override']]],
  ])('%s', (_what, over, problems) => {
    expect(rsyncMirrorProblems({ ...ok, ...over }).map((p) => [p.key, p.message])).toEqual(problems);
  });

  it('stage-1 options refuse a profile name inherited from Object.prototype', () => {
    expect(() => buildTwoStageArgv(m({ stage1Profile: 'constructor' }), 1)).toThrow('unknown stage1_profile "constructor"');
  });
});

describe('rsync exit codes', () => {
  it.each([
    [0, 'rsync exited with code 0: success'],
    [23, 'rsync exited with code 23: partial transfer due to error'],
    [24, 'rsync exited with code 24: partial transfer due to vanished source files'],
    [30, 'rsync exited with code 30: timeout in data send/receive'],
    [35, 'rsync exited with code 35: timeout waiting for daemon connection'],
    [99, 'rsync exited with code 99: unknown error'],
  ])('explains %i', (code, message) => {
    expect(rsyncExitMessage(code)).toBe(message);
  });

  it('knows every documented code', () => {
    expect(Object.keys(RSYNC_EXIT_CODES).map(Number)).toEqual([0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24, 25, 30, 35]);
  });
});

describe('size from an rsync --stats log', () => {
  // The worker reads the last matching line of a log file (log-scan's lastLineWhere); this is that over a string.
  const extractRsyncSize = (log: string): string | undefined => {
    let size: string | undefined;
    for (const line of log.split('\n')) size = rsyncSizeFromLine(line) ?? size;
    return size;
  };
  const stats = (total: string): string => `receiving incremental file list

Number of files: 1,234 (reg: 1,000, dir: 234)
Number of created files: 0
Total file size: ${total} bytes
Total transferred file size: 0 bytes
Literal data: 0 bytes
sent 20 bytes  received 51.23K bytes  34.15K bytes/sec
total size is ${total}  speedup is 1.00
`;

  it('keeps a value with a unit as written', () => {
    expect(extractRsyncSize(stats('1.23G'))).toBe('1.23G');
    expect(extractRsyncSize(stats('512.00M'))).toBe('512.00M');
  });

  it('formats a plain byte count', () => {
    expect(extractRsyncSize(stats('1,234,567'))).toBe('1.2M');
    expect(extractRsyncSize(stats('1,610,612,736'))).toBe('1.5G');
    expect(extractRsyncSize(stats('512'))).toBe('512');
  });

  it('uses the last "Total file size" line', () => {
    expect(extractRsyncSize(`${stats('10.00G')}\n--- stage 2 ---\n${stats('23.4G')}`)).toBe('23.4G');
    expect(extractRsyncSize(`${stats('23.4G')}\nrsync error: timeout\n`)).toBe('23.4G');
  });

  it('finds nothing in a log without stats', () => {
    expect(extractRsyncSize('rsync: failed to connect\nrsync error: error in socket IO (code 10)\n')).toBeUndefined();
    expect(extractRsyncSize('')).toBeUndefined();
    expect(rsyncSizeFromLine('Total transferred file size: 5 bytes')).toBeUndefined();
    expect(rsyncSizeFromLine('  Total file size: 5.5K bytes  ')).toBe('5.5K');
  });
});

describe('transfer counts from an rsync --stats log', () => {
  it('reads the transferred size and files at each human-readable level', () => {
    // Lines as rsync 3.2 prints them with -h (level 2), -hh (3), without -h (1) and with --no-h (0).
    expect(rsyncTransferFromLine('Total transferred file size: 500.73K bytes', 2)).toEqual({ transferredBytes: 500_730 });
    expect(rsyncTransferFromLine('Total transferred file size: 489.00K bytes', 3)).toEqual({ transferredBytes: 489 * 1024 });
    expect(rsyncTransferFromLine('Total transferred file size: 500,734 bytes', 1)).toEqual({ transferredBytes: 500_734 });
    expect(rsyncTransferFromLine('Total transferred file size: 500734 bytes', 0)).toEqual({ transferredBytes: 500_734 });
    expect(rsyncTransferFromLine('Total transferred file size: 0 bytes', 2)).toEqual({ transferredBytes: 0 });
    expect(rsyncTransferFromLine('Total transferred file size: 1.50G bytes', 2)).toEqual({ transferredBytes: 1_500_000_000 });
    expect(rsyncTransferFromLine('Number of regular files transferred: 1,234', 2)).toEqual({ filesTransferred: 1234 });
    expect(rsyncTransferFromLine('Number of regular files transferred: 5', 0)).toEqual({ filesTransferred: 5 });
    // rsync 3.0 wrote "Number of files transferred".
    expect(rsyncTransferFromLine('Number of files transferred: 7', 2)).toEqual({ filesTransferred: 7 });
  });

  it('reads the separators of other locales', () => {
    expect(rsyncTransferFromLine('Total transferred file size: 500.734 bytes', 1)).toEqual({ transferredBytes: 500_734 });
    expect(rsyncTransferFromLine('Total transferred file size: 1,50M bytes', 2)).toEqual({ transferredBytes: 1_500_000 });
    expect(rsyncStatsNumber('1.234,50', 'K', 2)).toBe(1_234_500);
  });

  it('ignores other lines', () => {
    expect(rsyncTransferFromLine('Total file size: 5 bytes', 2)).toBeUndefined();
    expect(rsyncTransferFromLine('Number of files: 3 (reg: 2, dir: 1)', 2)).toBeUndefined();
    expect(rsyncTransferFromLine('Number of created files: 2 (reg: 2)', 2)).toBeUndefined();
    expect(rsyncTransferFromLine('pool/Total transferred file size: 5 bytes', 2)).toBeUndefined();
    expect(rsyncTransferFromLine('Total transferred file size: lots bytes', 2)).toBeUndefined();
  });

  it('knows which options print the transfer counts', () => {
    expect(rsyncPrintsStats(DEFAULTS)).toBe(true);
    expect(rsyncPrintsStats(SAFE)).toBe(true);
    expect(rsyncPrintsStats(['-rtlvH', '--delete'])).toBe(false);
    expect(rsyncPrintsStats(['-a', '--info=progress2,stats2'])).toBe(true);
    expect(rsyncPrintsStats(['-a', '--info=stats1'])).toBe(false);
  });

  it('finds the human-readable level of a command line as rsync would', () => {
    expect(rsyncHumanLevel(DEFAULTS)).toBe(2);
    expect(rsyncHumanLevel(SAFE)).toBe(2);
    expect(rsyncHumanLevel([])).toBe(1);
    expect(rsyncHumanLevel(['-rtlvH', '--delete'])).toBe(1);
    expect(rsyncHumanLevel([...DEFAULTS, '-h'])).toBe(3);
    expect(rsyncHumanLevel([...DEFAULTS, '--human-readable'])).toBe(3);
    expect(rsyncHumanLevel([...DEFAULTS, '--no-h'])).toBe(0);
    expect(rsyncHumanLevel(['--no-human-readable', '-h'])).toBe(1);
    expect(rsyncHumanLevel(['-h', '--no-h', '-hh'])).toBe(2);
    // Values are not options: a filter rule, a remote shell, a value in the same word.
    expect(rsyncHumanLevel(['-av', '--filter', '- *.sh', '--exclude', '-hidden'])).toBe(1);
    expect(rsyncHumanLevel(['-avessh -h'])).toBe(1);
    expect(rsyncHumanLevel(['-ave', 'ssh -h', '-h'])).toBe(2);
    expect(rsyncHumanLevel(['-av', '--', '-h'])).toBe(1);
  });
});
