/**
 * `exec_on_success` / `exec_on_failure`: commands run after a successful or
 * failed try, with the job's environment plus TUNASYNC_JOB_EXIT_STATUS
 * (`success` / `failure`). Their output goes to the try's log. A command that
 * fails fails the run (`error exec hook post-success: …`). They run as
 * provider commands do, each in its own process group, and the group is
 * killed when the run is aborted (stop, disable, restart, halt); in an
 * already aborted run (after a stop) they are skipped.
 */
import { errorMessage, type Hook, type HookContext } from '@tunasync/core';
import { runInProcessGroup } from '../process-group.js';
import { splitShellWords } from '../shell-words.js';

/** When an exec hook runs. */
export type ExecOn = 'success' | 'failure';

/** Runs operator commands after a try. */
export class ExecHook implements Hook {
  /** Hook name in logs. */
  readonly name: string;
  private readonly argvs: string[][];

  constructor(
    private readonly on: ExecOn,
    commands: string[],
    /** Milliseconds between SIGTERM and SIGKILL when the run is aborted (default 5000). */
    private readonly graceMs = 5000,
  ) {
    this.name = `exec-on-${on}`;
    this.argvs = commands.map((c) => splitShellWords(c)).filter((a) => a.length > 0);
  }

  private async runAll(ctx: HookContext): Promise<void> {
    if (this.argvs.length === 0) return;
    if (ctx.signal.aborted) {
      ctx.logger.info(`exec_on_${this.on} skipped: ${errorMessage(ctx.signal.reason)}`);
      return;
    }
    const env = { ...process.env, ...ctx.env, TUNASYNC_JOB_EXIT_STATUS: this.on };
    for (const argv of this.argvs) {
      const r = await runInProcessGroup({ argv, cwd: ctx.workingDir, env: {} }, { logFile: ctx.logFile, env, signal: ctx.signal, graceMs: this.graceMs });
      if (ctx.signal.aborted) throw new Error(`${argv[0]} killed: ${errorMessage(ctx.signal.reason)}`);
      if (r.exitCode !== 0) {
        throw new Error(`${argv[0]} ${r.signal ? `killed by ${r.signal}` : `exit status ${r.exitCode}`}`);
      }
    }
  }

  /** Runs the commands after a success (exec_on_success). */
  async postSuccess(ctx: HookContext): Promise<void> {
    if (this.on === 'success') await this.runAll(ctx);
  }

  /** Runs the commands after a failure (exec_on_failure). */
  async postFail(ctx: HookContext): Promise<void> {
    if (this.on === 'failure') await this.runAll(ctx);
  }
}
