/**
 * `exec_on_success` / `exec_on_failure`: commands run after a successful or
 * failed try, with the job's environment plus TUNASYNC_JOB_EXIT_STATUS
 * (`success` / `failure`). Their output goes to the try's log. A command that
 * fails fails the run (`error exec hook post-success: …`).
 */
import type { Hook, HookContext } from '@tunasync/core';
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
  ) {
    this.name = `exec-on-${on}`;
    this.argvs = commands.map((c) => splitShellWords(c)).filter((a) => a.length > 0);
  }

  private async runAll(ctx: HookContext): Promise<void> {
    const env = { ...process.env, ...ctx.env, TUNASYNC_JOB_EXIT_STATUS: this.on };
    for (const argv of this.argvs) {
      const r = await runInProcessGroup({ argv, cwd: ctx.workingDir, env: {} }, { logFile: ctx.logFile, env });
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
