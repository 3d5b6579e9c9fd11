/**
 * rsync knowledge shared by the worker and by tools: the command lines of the
 * `rsync` and `two-stage-rsync` providers (pure functions of a mirror's
 * config), stage-1 profiles, exit-code meanings and the size in a log.
 */
import type { MirrorConfig } from './config/worker-config.js';
import { normalizeSize } from './size.js';

/** The safe base options of every rsync run (no deletion). */
export const RSYNC_SAFE_OPTIONS: readonly string[] = [
  '-aHvh', '--no-o', '--no-g', '--stats',
  '--filter', 'risk .~tmp~/', '--exclude', '.~tmp~/',
  '--safe-links',
];

/** tunasync's default rsync options, before `--timeout`. */
export const RSYNC_DEFAULT_OPTIONS: readonly string[] = [
  '-aHvh', '--no-o', '--no-g', '--stats',
  '--filter', 'risk .~tmp~/', '--exclude', '.~tmp~/',
  '--delete', '--delete-after', '--delay-updates',
  '--safe-links',
];

/** Default `--timeout` in seconds. */
export const RSYNC_DEFAULT_TIMEOUT = 120;

/**
 * Stage-1 excludes of two-stage-rsync: stage 1 fetches the pool without the
 * index files, so clients never see an index that names missing packages.
 * (After Debian's ftpsync.)
 */
export const STAGE1_PROFILES: Readonly<Record<string, readonly string[]>> = {
  debian: [
    '--include=*.diff/',
    '--include=by-hash/',
    '--exclude=*.diff/Index',
    '--exclude=Contents*',
    '--exclude=Packages*',
    '--exclude=Sources*',
    '--exclude=Release*',
    '--exclude=InRelease',
    '--exclude=i18n/*',
    '--exclude=dep11/*',
    '--exclude=installer-*/current',
    '--exclude=ls-lR*',
  ],
  'debian-oldstyle': [
    '--exclude=Packages*',
    '--exclude=Sources*',
    '--exclude=Release*',
    '--exclude=InRelease',
    '--exclude=i18n/*',
    '--exclude=ls-lR*',
    '--exclude=dep11/*',
  ],
};

/** The parts of a mirror's config the rsync command line depends on. */
export type RsyncMirrorOptions = Pick<
  MirrorConfig,
  | 'command'
  | 'upstream'
  | 'mirrorDir'
  | 'useIPv4'
  | 'useIPv6'
  | 'excludeFile'
  | 'rsyncNoTimeout'
  | 'rsyncTimeout'
  | 'rsyncGlobalOptions'
  | 'rsyncOptions'
  | 'rsyncOverride'
  | 'rsyncOverrideOnly'
  | 'stage1Profile'
>;

function tail(m: RsyncMirrorOptions): string[] {
  const out: string[] = [];
  if (!m.rsyncNoTimeout) out.push(`--timeout=${m.rsyncTimeout > 0 ? m.rsyncTimeout : RSYNC_DEFAULT_TIMEOUT}`);
  if (m.useIPv6) out.push('-6');
  else if (m.useIPv4) out.push('-4');
  if (m.excludeFile) out.push('--exclude-from', m.excludeFile);
  return out;
}

/** The rsync program: the mirror's `command` if set, else `rsync`. */
export function rsyncProgram(m: Pick<MirrorConfig, 'command'>): string {
  return m.command || 'rsync';
}

/**
 * Options of the `rsync` provider: the defaults (or `rsync_override`), then
 * `--timeout`, `-6`/`-4`, `--exclude-from`, the global then the mirror's
 * `rsync_options`. With `rsync_override_only`, exactly `rsync_override`.
 */
export function buildRsyncOptions(m: RsyncMirrorOptions): string[] {
  if (m.rsyncOverrideOnly && m.rsyncOverride) return [...m.rsyncOverride];
  const base = m.rsyncOverride ? [...m.rsyncOverride] : [...RSYNC_DEFAULT_OPTIONS];
  return [...base, ...tail(m), ...m.rsyncGlobalOptions, ...m.rsyncOptions];
}

/** Full argv of the `rsync` provider: program, options, upstream, directory. */
export function buildRsyncArgv(m: RsyncMirrorOptions): string[] {
  return [rsyncProgram(m), ...buildRsyncOptions(m), m.upstream, m.mirrorDir];
}

/**
 * Options of one stage of `two-stage-rsync`. Stage 1: the safe options (no
 * deletion) plus the profile's excludes; stage 2: the full set, as the
 * `rsync` provider builds it. Throws on an unknown profile.
 */
export function buildTwoStageOptions(m: RsyncMirrorOptions, stage: 1 | 2): string[] {
  if (stage === 2) return buildRsyncOptions(m);
  const profile = Object.hasOwn(STAGE1_PROFILES, m.stage1Profile) ? STAGE1_PROFILES[m.stage1Profile] : undefined;
  if (!profile) throw new Error(`unknown stage1_profile ${JSON.stringify(m.stage1Profile)}`);
  return [...RSYNC_SAFE_OPTIONS, ...profile, ...tail(m)];
}

/** The parts of a mirror's config `rsyncMirrorProblems` checks. */
export type RsyncCheckedOptions = Pick<MirrorConfig, 'provider' | 'upstream' | 'stage1Profile' | 'rsyncOverride' | 'rsyncOverrideOnly'>;

/** A problem with an rsync mirror's config: the worker.conf key and why. */
export interface RsyncProblem {
  /** Key under the mirror (`upstream`, `stage1_profile`, `rsync_override_only`). */
  key: string;
  message: string;
}

/**
 * What makes an `rsync` or `two-stage-rsync` mirror unusable: an upstream
 * that does not end in `/` (rsync would then create a subdirectory named
 * after the module), a missing or unknown `stage1_profile` (two-stage), an
 * `rsync_override_only` without `rsync_override`. Empty for other providers.
 * Used by the config loader and by the providers' constructors.
 */
export function rsyncMirrorProblems(m: RsyncCheckedOptions): RsyncProblem[] {
  if (m.provider !== 'rsync' && m.provider !== 'two-stage-rsync') return [];
  const out: RsyncProblem[] = [];
  if (!m.upstream) out.push({ key: 'upstream', message: `is required for provider ${m.provider}` });
  else if (!m.upstream.endsWith('/')) out.push({ key: 'upstream', message: `rsync upstream must end with "/" (got ${JSON.stringify(m.upstream)})` });
  if (m.provider === 'two-stage-rsync' && !Object.hasOwn(STAGE1_PROFILES, m.stage1Profile)) {
    const known = Object.keys(STAGE1_PROFILES).map((p) => JSON.stringify(p)).join(', ');
    const what = m.stage1Profile ? `unknown profile ${JSON.stringify(m.stage1Profile)}` : 'is required for two-stage-rsync';
    out.push({ key: 'stage1_profile', message: `${what}; known: ${known}` });
  }
  if (m.rsyncOverrideOnly && (!m.rsyncOverride || m.rsyncOverride.length === 0)) {
    out.push({ key: 'rsync_override_only', message: 'needs a non-empty rsync_override' });
  }
  return out;
}

/** Full argv of one stage of `two-stage-rsync`. */
export function buildTwoStageArgv(m: RsyncMirrorOptions, stage: 1 | 2): string[] {
  return [rsyncProgram(m), ...buildTwoStageOptions(m, stage), m.upstream, m.mirrorDir];
}

/** What each rsync exit code means (rsync(1), EXIT VALUES). */
export const RSYNC_EXIT_CODES: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'syntax or usage error',
  2: 'protocol incompatibility',
  3: 'errors selecting input/output files, dirs',
  4: 'requested action not supported',
  5: 'error starting client-server protocol',
  6: 'daemon unable to append to log-file',
  10: 'error in socket I/O',
  11: 'error in file I/O',
  12: 'error in rsync protocol data stream',
  13: 'errors with program diagnostics',
  14: 'error in IPC code',
  20: 'received SIGUSR1 or SIGINT',
  21: 'some error returned by waitpid()',
  22: 'error allocating core memory buffers',
  23: 'partial transfer due to error',
  24: 'partial transfer due to vanished source files',
  25: 'the --max-delete limit stopped deletions',
  30: 'timeout in data send/receive',
  35: 'timeout waiting for daemon connection',
};

/** A line for the log explaining an rsync exit code (`rsync exited with code 23: partial transfer due to error`). */
export function rsyncExitMessage(code: number): string {
  return `rsync exited with code ${code}: ${RSYNC_EXIT_CODES[code] ?? 'unknown error'}`;
}

/** Matches rsync's `--stats` total line; the captured size may carry a unit (`-h`) or commas. */
export const RSYNC_TOTAL_SIZE_LINE = /^Total file size: ([0-9][0-9.,]*[KMGTPE]?) bytes/;

/**
 * The size from one line of an rsync log, or undefined. Feed every line and
 * keep the last defined result: that is the size tunasync reports.
 */
export function rsyncSizeFromLine(line: string): string | undefined {
  const m = RSYNC_TOTAL_SIZE_LINE.exec(line.trim());
  return m ? normalizeSize(m[1]!) : undefined;
}

// ------------------------------------------------------------ --stats counts

/** Matches rsync's `--stats` "Total transferred file size" line (number, optional unit). */
export const RSYNC_TRANSFERRED_SIZE_LINE = /^Total transferred file size: ([0-9][0-9.,]*)([KMGTPE]?) bytes/;

/** Matches rsync's `--stats` count of files sent ("regular" since rsync 3.1). */
export const RSYNC_FILES_TRANSFERRED_LINE = /^Number of (?:regular )?files transferred: ([0-9][0-9.,]*)$/;

/** Short options of rsync whose value follows them (in the same word or the next). */
const SHORT_WITH_VALUE = new Set(['B', 'e', 'f', 'T', 'M', '@']);

/** Long options of rsync whose value may be the next word (so that word is not read as options). */
const LONG_WITH_VALUE = new Set([
  '--filter', '--exclude', '--include', '--exclude-from', '--include-from', '--files-from',
  '--rsh', '--rsync-path', '--temp-dir', '--partial-dir', '--compare-dest', '--copy-dest',
  '--link-dest', '--backup-dir', '--suffix', '--chmod', '--chown', '--usermap', '--groupmap',
  '--timeout', '--contimeout', '--bwlimit', '--max-size', '--min-size', '--max-delete',
  '--block-size', '--out-format', '--log-file', '--log-file-format', '--password-file',
  '--port', '--sockopts', '--info', '--debug', '--modify-window', '--iconv',
  '--checksum-choice', '--compress-choice', '--compress-level', '--skip-compress',
  '--remote-option', '--address', '--outbuf', '--stop-after', '--stop-at', '--protocol',
  '--checksum-seed', '--max-alloc', '--write-batch', '--read-batch', '--only-write-batch',
]);

/**
 * rsync's human-readable level for these options (rsync(1), `--human-readable`):
 * 1 by default (digits grouped by `,`), +1 per `-h`, 0 after `--no-h`.
 * At level 2 a size with a unit is in units of 1000 (`1.23K`), from 3 on
 * in units of 1024. Option values (`--filter '- *.sh'`, `-e ssh`) are skipped.
 */
export function rsyncHumanLevel(options: readonly string[]): number {
  let level = 1;
  for (let i = 0; i < options.length; i++) {
    const arg = options[i]!;
    if (arg === '--') break;
    if (arg.startsWith('--')) {
      if (arg === '--human-readable') level += 1;
      else if (arg === '--no-human-readable' || arg === '--no-h') level = 0;
      else if (LONG_WITH_VALUE.has(arg)) i += 1;
      continue;
    }
    if (!/^-[A-Za-z0-9@]+$/.test(arg)) continue;
    for (let k = 1; k < arg.length; k++) {
      const c = arg[k]!;
      if (SHORT_WITH_VALUE.has(c)) {
        if (k === arg.length - 1) i += 1; // the value is the next word
        break;
      }
      if (c === 'h') level += 1;
    }
  }
  return level;
}

/**
 * A number as rsync's `--stats` prints it at human-readable level `level`:
 * `1,234` or `1.234` (grouped, either separator by locale), `1234`, or
 * with a unit `1.23K` / `1,23K` (units of 1000 at level ≤ 2, of 1024 above).
 * A value with a unit is as exact as rsync printed it (two decimals).
 */
export function rsyncStatsNumber(digits: string, unit: string, level: number): number | undefined {
  if (!unit) {
    const plain = digits.replace(/[.,]/g, '');
    return /^[0-9]+$/.test(plain) ? Number(plain) : undefined;
  }
  const point = Math.max(digits.lastIndexOf('.'), digits.lastIndexOf(','));
  const text = point < 0 ? digits : `${digits.slice(0, point).replace(/[.,]/g, '')}.${digits.slice(point + 1)}`;
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) return undefined;
  const power = ['', 'K', 'M', 'G', 'T', 'P', 'E'].indexOf(unit);
  return Math.round(Number(text) * (level >= 3 ? 1024 : 1000) ** power);
}

/**
 * True when rsync with these options prints the `--stats` transfer counts:
 * `--stats`, or `--info=` with `stats2` or more (what `--stats` stands for).
 */
export function rsyncPrintsStats(options: readonly string[]): boolean {
  return options.some((o) => o === '--stats' || (o.startsWith('--info=') && /(^|,)stats[2-9]($|,)/.test(o.slice('--info='.length))));
}

/** What one line of an rsync log says about a transfer (see rsyncTransferFromLine). */
export type RsyncTransferLine = { transferredBytes: number } | { filesTransferred: number };

/**
 * The transfer count on one line of an rsync `--stats` log, or undefined:
 * "Total transferred file size: 1,234 bytes" gives `transferredBytes`,
 * "Number of regular files transferred: 5" gives `filesTransferred`.
 * `level` is the human-readable level of the rsync that wrote it
 * (rsyncHumanLevel of its options).
 */
export function rsyncTransferFromLine(line: string, level: number): RsyncTransferLine | undefined {
  const t = line.trim();
  const size = RSYNC_TRANSFERRED_SIZE_LINE.exec(t);
  if (size) {
    const n = rsyncStatsNumber(size[1]!, size[2]!, level);
    return n === undefined ? undefined : { transferredBytes: n };
  }
  const files = RSYNC_FILES_TRANSFERRED_LINE.exec(t);
  if (files) {
    const n = rsyncStatsNumber(files[1]!, '', level);
    return n === undefined ? undefined : { filesTransferred: n };
  }
  return undefined;
}
