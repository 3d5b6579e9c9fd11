/**
 * `[cgroup]`: each try of a job runs in a cgroup of its own, with the
 * mirror's `memory_limit`. The group is made before the try; every command
 * the provider starts enters it through a tiny exec helper before it runs
 * anything (so no process of the job ever runs outside it); after the try,
 * whatever its outcome (stop and timeout included), every process still in
 * the group is killed and the group removed.
 */
import { appendFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { formatSize, type CommandSpec, type Hook, type HookContext, type MirrorConfig } from '@tunasync/core';
import type { WorkerCgroups } from './cgroup-tree.js';

/**
 * The exec helper: `sh -c ENTER_CGROUP sh <cgroup.procs> <argv…>` writes the
 * shell's pid into the group, then execs the command in its place.
 */
export const ENTER_CGROUP = 'echo $$ > "$1" && shift && exec "$@"';

/** Puts a mirror's commands in its own cgroup. */
export class CgroupHook implements Hook {
  /** Hook name in logs. */
  readonly name = 'cgroup';

  constructor(
    private readonly cgroups: WorkerCgroups,
    private readonly mirror: Pick<MirrorConfig, 'name' | 'memoryLimit'>,
  ) {}

  /** The job's cgroup directory. */
  get dir(): string {
    return this.cgroups.jobDir(this.mirror.name);
  }

  /** Makes the try's cgroup with the memory limit. */
  async preExec(ctx: HookContext): Promise<void> {
    const dir = await this.cgroups.createJob(this.mirror.name, this.mirror.memoryLimit);
    const limit = this.mirror.memoryLimit ? `, memory limit ${formatSize(this.mirror.memoryLimit)}` : '';
    ctx.logger.debug(`cgroup ${dir}${limit}`);
  }

  /** Runs the command through the helper that moves it into the job's cgroup first. */
  wrapCommand(spec: CommandSpec): CommandSpec {
    return { ...spec, argv: ['/bin/sh', '-c', ENTER_CGROUP, 'sh', posix.join(this.dir, 'cgroup.procs'), ...spec.argv] };
  }

  /** Kills whatever the try left in its cgroup and removes the group; notes OOM kills in the log. */
  async postExec(ctx: HookContext): Promise<void> {
    const kills = await this.cgroups.oomKills(this.mirror.name);
    if (kills > 0) {
      const limit = this.mirror.memoryLimit ? formatSize(this.mirror.memoryLimit) : 'its limit';
      const note = `memory_limit ${limit} reached: the kernel killed ${kills} process(es) of ${this.mirror.name}`;
      ctx.logger.warn(note);
      await appendFile(ctx.logFile, `\n[tunasync] ${note}\n`).catch(() => undefined);
    }
    await this.cgroups.removeJob(this.mirror.name);
  }
}
