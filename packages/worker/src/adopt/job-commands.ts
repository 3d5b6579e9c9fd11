/**
 * A job's provider commands: each wrapped by the hooks (Docker, cgroup),
 * then by the exit status wrapper, started in its own process group, and
 * recorded in the state directory as it starts (run-records.ts), so that a
 * sync outlives the worker when the worker exits leaving it (`detach`), and
 * a later worker can take it over (`attach`).
 */
import type { CommandResult, CommandSpec, ExecOptions, Hook, Logger, MirrorConfig, RunContext, RunTrigger } from '@tunasync/core';
import { DockerHook } from '../hooks/docker.js';
import { processStartTime, runInProcessGroup, type GroupExit } from '../process-group.js';
import type { AdoptPlan } from './adopt-plan.js';
import { waitForAdopted, waitForContainer } from './adopted-process.js';
import type { RunRecords } from './run-records.js';
import { withExitStatusFile } from './status-wrapper.js';

/** What JobCommands needs. */
export interface JobCommandsOptions {
  mirror: MirrorConfig;
  providerKind: string;
  hooks: Hook[];
  graceMs: number;
  logger: Logger;
  /** The state directory's run records; without them commands are neither recorded nor wrapped. */
  records?: RunRecords;
}

/** The run a command belongs to, for its record. */
export interface CommandRunInfo {
  runId: string;
  /** The try, from 1. */
  attempt: number;
  trigger: RunTrigger;
  started: Date;
  /** When the try's timeout runs out (epoch ms), or null. */
  deadline: number | null;
  /** Which of the try's commands this is, from 0. */
  exec: number;
}

/** Starts, records, detaches and adopts one job's commands. */
export class JobCommands {
  private readonly detachCtl = new AbortController();
  private watching = 0;

  constructor(private readonly opts: JobCommandsOptions) {}

  /** True once the job let its commands go (the worker is exiting, keeping them). */
  get detached(): boolean {
    return this.detachCtl.signal.aborted;
  }

  /**
   * Lets the running command go: the worker stops watching it and it keeps
   * running for the next worker. False (nothing done) when no recorded
   * command runs now.
   */
  detach(): boolean {
    if (this.watching === 0 || !this.opts.records) return false;
    this.detachCtl.abort();
    return true;
  }

  /** Removes the job's run record (its run ended), unless the job was detached. */
  forget(): void {
    if (!this.detached) this.opts.records?.remove(this.opts.mirror.name);
  }

  private wrap(ctx: RunContext, argv: string[], options: ExecOptions): CommandSpec {
    let spec: CommandSpec = { argv, cwd: options.cwd ?? ctx.workingDir, env: { ...ctx.env, ...(options.env ?? {}) } };
    for (const hook of this.opts.hooks) if (hook.wrapCommand) spec = hook.wrapCommand(spec, ctx);
    return spec;
  }

  private result(r: GroupExit): CommandResult {
    const ok = r.exitCode === 0 || (r.exitCode !== null && this.opts.mirror.successExitCodes.includes(r.exitCode));
    return { exitCode: r.exitCode, signal: r.signal, success: ok };
  }

  private async watch<T>(p: () => Promise<T>): Promise<T> {
    this.watching += 1;
    try {
      return await p();
    } finally {
      this.watching -= 1;
    }
  }

  /** Runs a provider command, recorded in the state directory while it runs. */
  async run(ctx: RunContext, argv: string[], options: ExecOptions, info: CommandRunInfo): Promise<CommandResult> {
    const spec = this.wrap(ctx, argv, options);
    this.opts.logger.debug(`exec: ${spec.argv.join(' ')}`);
    const { records, mirror } = this.opts;
    const statusFile = records?.prepare(mirror.name);
    const docker = this.opts.hooks.find((h): h is DockerHook => h instanceof DockerHook);
    const r = await this.watch(() =>
      runInProcessGroup(statusFile ? withExitStatusFile(spec, statusFile) : spec, {
        logFile: ctx.logFile,
        signal: ctx.signal,
        detach: this.detachCtl.signal,
        graceMs: this.opts.graceMs,
        env: { ...process.env, ...spec.env },
        onSpawn: (pid) => {
          if (!records) return;
          const { runId, attempt, trigger, started, deadline, exec } = info;
          const procStart = processStartTime(pid) ?? '';
          const record = { version: 1 as const, runId, mirror: mirror.name, attempt, trigger, started: started.toISOString(), pid, pgid: pid, procStart, logFile: ctx.logFile, deadline, provider: this.opts.providerKind, exec };
          try {
            records.write(docker ? { ...record, container: docker.container } : record);
          } catch (err) {
            this.opts.logger.warn(`cannot write the run record of ${mirror.name}: ${(err as Error).message}`);
          }
        },
      }),
    );
    return this.result(r);
  }

  /** Takes over the command a previous worker started (the plan's record), as if this worker had started it. */
  async attach(ctx: RunContext, argv: string[], options: ExecOptions, plan: AdoptPlan): Promise<CommandResult> {
    // The hooks see the command as if it started now: the Docker hook watches the run's signal to stop its container.
    this.wrap(ctx, argv, options);
    const { records, mirror } = this.opts;
    const detach = this.detachCtl.signal;
    const env = { ...ctx.env, ...(options.env ?? {}) };
    const r = await this.watch(async (): Promise<GroupExit> => {
      switch (plan.mode) {
        case 'alive':
          return waitForAdopted(plan.record, { signal: ctx.signal, detach, graceMs: this.opts.graceMs, env, exitStatus: () => records?.exitOf(mirror.name) });
        case 'container':
          return waitForContainer(plan.record.container ?? '', { detach, env });
        case 'ended':
          return plan.exit;
        default:
          throw new Error(`cannot attach a ${plan.mode} run`);
      }
    });
    return this.result(r);
  }
}
