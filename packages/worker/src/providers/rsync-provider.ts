/**
 * The `rsync` and `two-stage-rsync` providers. The command lines come from
 * core (`buildRsyncArgv`, `buildTwoStageArgv`); `username` / `password`
 * travel as USER / RSYNC_PASSWORD in the environment, never on the command
 * line; rsync's output goes straight to the run's log (RunContext.exec); a
 * non-zero exit code's meaning is appended to the log; the size is the last
 * `Total file size` line of the log, found by reading the log backwards;
 * what a try transferred is the sum of the log's `--stats` blocks
 * (transfer-stats.ts).
 */
import { appendFile } from 'node:fs/promises';
import {
  ConfigError,
  buildRsyncArgv,
  buildRsyncOptions,
  buildTwoStageArgv,
  buildTwoStageOptions,
  rsyncExitMessage,
  rsyncHumanLevel,
  rsyncMirrorProblems,
  rsyncPrintsStats,
  rsyncSizeFromLine,
  type MirrorConfig,
  type Provider,
  type ProviderRunResult,
  type RunContext,
} from '@tunasync/core';
import { lastLineWhere } from '../log-scan.js';
import { rsyncTransferStats, type TransferStats, type TransferStatsSource } from './transfer-stats.js';

/** USER and RSYNC_PASSWORD for rsync's daemon authentication (only those set). */
function credentials(m: MirrorConfig): Record<string, string> {
  const env: Record<string, string> = {};
  if (m.username) env.USER = m.username;
  if (m.password) env.RSYNC_PASSWORD = m.password;
  return env;
}

/** Throws a ConfigError naming the mirror's file and keys when it cannot be synced by provider `kind`. */
function assertUsable(m: MirrorConfig, kind: string): void {
  const problems = rsyncMirrorProblems({ ...m, provider: kind });
  if (problems.length === 0) return;
  throw new ConfigError(problems.map((p) => ({ file: m.source.file, path: `${m.source.path}.${p.key}`, message: p.message })));
}

/**
 * Runs one rsync command; rejects when it fails. Any non-zero exit code gets
 * its meaning appended to the log (as tunasync does), also one that the
 * mirror's success exit codes accept.
 */
async function runRsync(ctx: RunContext, argv: string[], env: Record<string, string>): Promise<void> {
  const r = await ctx.exec(argv, { env });
  if (ctx.signal.aborted) throw new Error(String((ctx.signal.reason as Error | undefined)?.message ?? 'aborted'));
  if (r.exitCode !== null && r.exitCode !== 0) await appendFile(ctx.logFile, `${rsyncExitMessage(r.exitCode)}\n`);
  if (r.success) return;
  if (r.exitCode !== null) throw new Error(rsyncExitMessage(r.exitCode));
  throw new Error(`rsync killed by ${r.signal}`);
}

/** The size of the run: the last `Total file size` line of its log. */
async function sizeFromLog(file: string): Promise<ProviderRunResult> {
  const size = await lastLineWhere(file, rsyncSizeFromLine);
  return size ? { size } : {};
}

/** Mirrors an rsync upstream in one pass. */
export class RsyncProvider implements Provider, TransferStatsSource {
  /** The provider name this class implements, checked against at construction. */
  static readonly providerKind: string = 'rsync';
  /** `rsync` (or `two-stage-rsync` in the subclass). */
  readonly kind: string;
  /** The mirror's name. */
  readonly name: string;
  /** The rsync URL. */
  readonly upstream: string;

  /** Throws a ConfigError when the mirror cannot be synced (upstream not ending in `/`, unknown stage-1 profile, …). */
  constructor(protected readonly mirror: MirrorConfig) {
    this.kind = (new.target as typeof RsyncProvider).providerKind;
    assertUsable(mirror, this.kind);
    this.name = mirror.name;
    this.upstream = mirror.upstream;
  }

  /** The mirror as this run syncs it: its upstream and directory may be a fallback and a staging copy (issue 18). */
  protected forRun(ctx: RunContext): MirrorConfig {
    return { ...this.mirror, upstream: ctx.upstream ?? this.mirror.upstream, mirrorDir: ctx.workingDir };
  }

  /** Runs rsync once. */
  async run(ctx: RunContext): Promise<ProviderRunResult> {
    await runRsync(ctx, buildRsyncArgv(this.forRun(ctx)), credentials(this.mirror));
    return sizeFromLog(ctx.logFile);
  }

  /** The `--stats` transfer counts of a try's log (none when the options lack `--stats`: an `rsync_override`). */
  async transferStats(logFile: string, fromByte = 0): Promise<TransferStats> {
    const options = buildRsyncOptions(this.mirror);
    return rsyncPrintsStats(options) ? rsyncTransferStats(logFile, [rsyncHumanLevel(options)], fromByte) : {};
  }
}

/**
 * Mirrors an rsync upstream in two passes, both into the same log: stage 1
 * fetches the pool without the index files (the `stage1_profile` excludes)
 * and deletes nothing; stage 2 fetches everything and deletes. Clients never
 * see an index naming a file that is not there yet.
 */
export class TwoStageRsyncProvider extends RsyncProvider {
  /** `two-stage-rsync`. */
  static override readonly providerKind: string = 'two-stage-rsync';

  /** Runs stage 1 then stage 2; either failing fails the run (stage 2 does not run after a failed stage 1). */
  override async run(ctx: RunContext): Promise<ProviderRunResult> {
    const env = credentials(this.mirror);
    const m = this.forRun(ctx);
    await runRsync(ctx, buildTwoStageArgv(m, 1), env);
    await runRsync(ctx, buildTwoStageArgv(m, 2), env);
    return sizeFromLog(ctx.logFile);
  }

  /**
   * Both stages' `--stats` transfer counts, summed (stage 1's alone when stage 2 never ran);
   * none when stage 2's options (an `rsync_override`) lack `--stats`: stage 1 alone would undercount.
   */
  override async transferStats(logFile: string, fromByte = 0): Promise<TransferStats> {
    const stages = ([1, 2] as const).map((stage) => buildTwoStageOptions(this.mirror, stage));
    if (!stages.every(rsyncPrintsStats)) return {};
    return rsyncTransferStats(logFile, stages.map(rsyncHumanLevel), fromByte);
  }
}
