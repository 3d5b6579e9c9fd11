/**
 * `[btrfs_snapshot]`: a job's directory is a Btrfs subvolume, and after each
 * successful run a snapshot of it is published at `<snapshot_path>/<name>`
 * (or the mirror's own `snapshot_path`), replacing the previous one, so the
 * served tree only ever changes from one complete sync to the next. A failed
 * run keeps the previous snapshot. Uses the `btrfs` command-line tool; the
 * worker's user must be allowed to run it.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Hook, HookContext } from '@tunasync/core';
import { commandLine, runTool, toolOutput } from './run-tool.js';

/** Where a mirror's snapshot goes: its own `snapshot_path`, else `<[btrfs_snapshot] snapshot_path>/<name>`; empty when neither is set. */
export function btrfsSnapshotPath(globalPath: string, mirror: { name: string; snapshotPath: string }): string {
  return mirror.snapshotPath || (globalPath ? join(globalPath, mirror.name) : '');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Keeps a job's directory a subvolume and snapshots it after each success. */
export class BtrfsSnapshotHook implements Hook {
  /** Hook name in logs. */
  readonly name = 'btrfs-snapshot';

  constructor(
    /** Where this mirror's snapshot is published. */
    readonly snapshotPath: string,
  ) {}

  private async btrfs(args: string[], ctx: HookContext): Promise<{ ok: boolean; why: string }> {
    const argv = ['btrfs', ...args];
    const r = await runTool(argv, { env: ctx.env, timeoutMs: 10 * 60_000, signal: ctx.signal });
    return { ok: r.code === 0, why: `${commandLine(argv)}: ${toolOutput(r)}` };
  }

  private async isSubvolume(path: string, ctx: HookContext): Promise<boolean> {
    return (await this.btrfs(['subvolume', 'show', path], ctx)).ok;
  }

  /** Makes the job's directory a subvolume when it does not exist; fails when it is a plain directory. */
  async preJob(ctx: HookContext): Promise<void> {
    const dir = ctx.workingDir;
    if (!(await exists(dir))) {
      await mkdir(dirname(dir), { recursive: true });
      const r = await this.btrfs(['subvolume', 'create', dir], ctx);
      if (!r.ok) throw new Error(`cannot create Btrfs subvolume ${dir} (${r.why})`);
      ctx.logger.info(`created Btrfs subvolume ${dir}`);
      return;
    }
    if (!(await this.isSubvolume(dir, ctx))) throw new Error(`path ${dir} exists but is not a Btrfs subvolume`);
  }

  /** Replaces the previous snapshot with a new (writable) snapshot of the job's directory. */
  async postSuccess(ctx: HookContext): Promise<void> {
    const snap = this.snapshotPath;
    if (await exists(snap)) {
      if (!(await this.isSubvolume(snap, ctx))) throw new Error(`path ${snap} exists and is not a Btrfs snapshot`);
      const r = await this.btrfs(['subvolume', 'delete', snap], ctx);
      if (!r.ok) throw new Error(`cannot delete the old Btrfs snapshot ${snap} (${r.why})`);
      ctx.logger.info(`deleted old snapshot ${snap}`);
    } else {
      await mkdir(dirname(snap), { recursive: true });
    }
    const r = await this.btrfs(['subvolume', 'snapshot', ctx.workingDir, snap], ctx);
    if (!r.ok) throw new Error(`cannot create Btrfs snapshot ${snap} (${r.why})`);
    ctx.logger.info(`created Btrfs snapshot ${snap}`);
  }
}
