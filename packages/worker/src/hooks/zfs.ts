/**
 * `[zfs]`: a job's directory must be its own ZFS dataset. Before each run
 * the directory must exist and be a mount point (`mountpoint -q`);
 * otherwise the run fails with the commands that create the dataset.
 */
import { stat } from 'node:fs/promises';
import type { Hook, HookContext } from '@tunasync/core';
import { runTool } from './run-tool.js';

/** The commands that make `dir` the mount point of a dataset for mirror `name` in `zpool`. */
export function zfsFixCommands(zpool: string, name: string, dir: string, uid = process.getuid?.() ?? 0): string[] {
  const dataset = `${zpool || '<zpool>'}/${name}`.toLowerCase();
  const cmds = [`zfs create '${dataset}'`, `zfs set mountpoint='${dir}' '${dataset}'`];
  if (uid !== 0) cmds.push(`chown ${uid} '${dir}'`);
  return cmds;
}

/** Checks that a job's directory is a mounted ZFS dataset. */
export class ZfsHook implements Hook {
  /** Hook name in logs. */
  readonly name = 'zfs';

  constructor(private readonly zpool: string) {}

  /** Fails the run unless the job's directory exists and is a mount point. */
  async preJob(ctx: HookContext): Promise<void> {
    const dir = ctx.workingDir;
    const fix = (problem: string): Error => {
      const cmds = zfsFixCommands(this.zpool, ctx.name, dir);
      ctx.logger.error(`${problem}; you may create the ZFS dataset with:\n${cmds.map((c) => `    ${c}`).join('\n')}`);
      return new Error(`${problem}; create the ZFS dataset with: ${cmds.join(' && ')}`);
    };
    try {
      await stat(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw fix(`directory ${dir} does not exist`);
      throw err;
    }
    const r = await runTool(['mountpoint', '-q', dir], { env: ctx.env, timeoutMs: 30_000, signal: ctx.signal });
    if (r.code !== 0) throw fix(`${dir} is not a mount point`);
  }
}
