/**
 * The `rsync` and `two-stage-rsync` providers: the command lines come from
 * core (`buildRsyncArgv`, `buildTwoStageArgv`); `username` / `password`
 * travel as USER / RSYNC_PASSWORD in the environment, never on the command
 * line; a failing exit code's meaning is appended to the log; the size is the
 * last `Total file size` line of the log, read line by line after the run.
 */
import { appendFile } from 'node:fs/promises';
import {
  buildRsyncArgv,
  buildTwoStageArgv,
  rsyncExitMessage,
  rsyncSizeFromLine,
  type MirrorConfig,
  type Provider,
  type ProviderRunResult,
  type RunContext,
} from '@tunasync/core';
import { forEachLogLine } from '../log-scan.js';

function credentials(m: MirrorConfig): Record<string, string> {
  const env: Record<string, string> = {};
  if (m.username) env.USER = m.username;
  if (m.password) env.RSYNC_PASSWORD = m.password;
  return env;
}

async function runStage(ctx: RunContext, argv: string[], env: Record<string, string>): Promise<void> {
  const r = await ctx.exec(argv, { env });
  if (ctx.signal.aborted) throw new Error(String((ctx.signal.reason as Error | undefined)?.message ?? 'aborted'));
  if (r.success) return;
  if (r.exitCode !== null) {
    const msg = rsyncExitMessage(r.exitCode);
    await appendFile(ctx.logFile, `${msg}\n`);
    throw new Error(msg);
  }
  throw new Error(`rsync killed by ${r.signal}`);
}

async function sizeFromLog(file: string): Promise<ProviderRunResult> {
  let size: string | undefined;
  await forEachLogLine(file, (line) => {
    size = rsyncSizeFromLine(line) ?? size;
  });
  return size ? { size } : {};
}

/** Mirrors an rsync upstream in one pass. */
export class RsyncProvider implements Provider {
  /** Always `rsync`. */
  readonly kind: string = 'rsync';
  /** The mirror's name. */
  readonly name: string;
  /** The rsync URL. */
  readonly upstream: string;

  constructor(protected readonly mirror: MirrorConfig) {
    this.name = mirror.name;
    this.upstream = mirror.upstream;
  }

  /** Runs rsync once. */
  async run(ctx: RunContext): Promise<ProviderRunResult> {
    await runStage(ctx, buildRsyncArgv(this.mirror), credentials(this.mirror));
    return sizeFromLog(ctx.logFile);
  }
}

/** Mirrors an rsync upstream in two passes: the pool first, then the indexes and deletions. */
export class TwoStageRsyncProvider extends RsyncProvider {
  override readonly kind = 'two-stage-rsync';

  /** Runs stage 1 then stage 2; either failing fails the run. */
  override async run(ctx: RunContext): Promise<ProviderRunResult> {
    const env = credentials(this.mirror);
    await runStage(ctx, buildTwoStageArgv(this.mirror, 1), env);
    await runStage(ctx, buildTwoStageArgv(this.mirror, 2), env);
    return sizeFromLog(ctx.logFile);
  }
}
