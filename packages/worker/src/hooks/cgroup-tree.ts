/**
 * The worker's cgroups, as tunasync lays them out. Manual mode (`[cgroup]
 * group` set): that group (created if missing, and it must hold no process)
 * gets a sub-group per job. Implicit mode (no group): the worker's own group
 * gets a `__worker` sub-group, every process of the worker's group moves
 * there, and each job's sub-group sits beside it, so no process is left in
 * a non-leaf group (the systemd `Delegate=yes` setup). A job's group is
 * emptied (every process in it killed) and removed after each try.
 */
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@tunasync/core';
import {
  DEFAULT_CGROUP_ROOT,
  detectCgroupVersion,
  hierarchyRoot,
  kernelCgroupFs,
  memoryLimitFile,
  memoryLimitValue,
  oomEventsFile,
  ownCgroupPath,
  parseOomKills,
  parsePids,
  type CgroupFs,
  type CgroupVersion,
} from './cgroup-fs.js';

/** The sub-group the worker's own processes move to in implicit mode. */
export const WORKER_SUBGROUP = '__worker';
const PROBE = '.tunasync-probe';

/** Options of WorkerCgroups.setup. */
export interface CgroupSetupOptions {
  /** `[cgroup] group`; empty: implicit mode. */
  group: string;
  logger: Logger;
  /** Where cgroup filesystems are mounted (default /sys/fs/cgroup). */
  root?: string;
  /** The worker's `/proc/<pid>/cgroup` (default /proc/self/cgroup). */
  selfCgroupFile?: string;
  /** File access (default: the kernel's cgroupfs). */
  fs?: CgroupFs;
  /** A mirror asks for a memory limit: on v2 the memory controller must then be available. */
  needMemory?: boolean;
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The cgroups of one worker. */
export class WorkerCgroups {
  private readonly jobs = new Set<string>();
  private memoryEnabled = false;

  private constructor(
    /** v1 or v2. */
    readonly version: CgroupVersion,
    /** Absolute directory of the group the job groups are made in. */
    readonly base: string,
    /** The hierarchy's root directory. */
    private readonly hierarchy: string,
    /** True in implicit mode (the worker sits in `<base>/__worker`). */
    readonly implicit: boolean,
    /** Groups made for the base in manual mode, outermost first. */
    private readonly createdBase: string[],
    private readonly fs: CgroupFs,
    private readonly logger: Logger,
  ) {}

  /**
   * Checks, reading only, what setup would refuse: no cgroup filesystem, the
   * worker's own group not found or the root group (implicit mode), a
   * manual group that holds processes, on v2 a memory controller a mirror
   * needs and the tree does not offer. Throws an Error saying why; creates
   * nothing. (Whether groups can be created is only known by making one.)
   */
  static async probe(opts: Omit<CgroupSetupOptions, 'logger'>): Promise<void> {
    const { version, hier, base } = await locate(opts);
    if (version !== 2 || !opts.needMemory) return;
    const fs = opts.fs ?? kernelCgroupFs;
    for (const dir of levelsDown(hier, base)) {
      if ((await words(fs, posix.join(dir, 'cgroup.subtree_control'))).includes('memory')) continue;
      const available = await words(fs, posix.join(dir, 'cgroup.controllers'));
      if (!available.includes('memory')) throw noMemory(dir, available);
    }
  }

  /** Detects the cgroup version and prepares the base group; throws an Error saying why it cannot. */
  static async setup(opts: CgroupSetupOptions): Promise<WorkerCgroups> {
    const fs = opts.fs ?? kernelCgroupFs;
    const { version, hier, base, exists } = await locate(opts);
    let created: string[] = [];
    if (opts.group && !exists) {
      created = await mkdirs(fs, hier, base).catch((err: unknown) => {
        throw new Error(`cannot create cgroup ${base}: ${message(err)}`);
      });
    }
    const cg = new WorkerCgroups(version, base, hier, !opts.group, created, fs, opts.logger);
    try {
      const probe = posix.join(base, PROBE);
      try {
        await fs.mkdir(probe);
        await fs.rmdir(probe);
      } catch (err) {
        throw new Error(`cannot create cgroups in ${base}: ${message(err)}`);
      }
      if (cg.implicit) await cg.enterWorkerGroup();
      if (version === 2) await cg.enableMemory(opts.needMemory ?? false);
    } catch (err) {
      await cg.close();
      throw err;
    }
    opts.logger.info(`cgroup v${version}: job groups under ${base}${cg.implicit ? ` (worker moved to ${WORKER_SUBGROUP})` : ''}`);
    return cg;
  }

  /** The directory of a job's group. */
  jobDir(name: string): string {
    return posix.join(this.base, name);
  }

  /** Creates a job's group (emptying a leftover one) and sets its memory limit; returns its directory. */
  async createJob(name: string, memoryLimit: number | undefined): Promise<string> {
    const dir = this.jobDir(name);
    if (await this.fs.exists(dir)) await this.emptyJob(name);
    else await this.fs.mkdir(dir);
    this.jobs.add(name);
    const file = memoryLimitFile(this.version);
    const value = memoryLimitValue(this.version, memoryLimit);
    if (memoryLimit || (await this.fs.exists(posix.join(dir, file)))) {
      try {
        await this.fs.write(posix.join(dir, file), value);
      } catch (err) {
        throw new Error(`cannot set ${file} = ${value} in ${dir}: ${message(err)}`);
      }
    }
    return dir;
  }

  /** Processes in a job's group. */
  async jobPids(name: string): Promise<number[]> {
    try {
      return parsePids(await this.fs.read(posix.join(this.jobDir(name), 'cgroup.procs')));
    } catch (err) {
      if (errno(err) === 'ENOENT') return [];
      throw err;
    }
  }

  /** How many processes of a job's group the kernel's OOM killer took. */
  async oomKills(name: string): Promise<number> {
    try {
      return parseOomKills(await this.fs.read(posix.join(this.jobDir(name), oomEventsFile(this.version))));
    } catch {
      return 0;
    }
  }

  /** Kills every process in a job's group (SIGKILL, repeated until none is left, at most ~3 s). */
  async emptyJob(name: string): Promise<void> {
    const dir = this.jobDir(name);
    const killFile = posix.join(dir, 'cgroup.kill');
    const deadline = Date.now() + 3000;
    for (;;) {
      const pids = await this.jobPids(name);
      if (pids.length === 0) return;
      if (Date.now() > deadline) throw new Error(`cannot empty cgroup ${dir}: ${pids.length} process(es) left (${pids.slice(0, 5).join(', ')})`);
      if (this.version === 2 && (await this.fs.exists(killFile))) {
        await this.fs.write(killFile, '1').catch(() => undefined);
      } else {
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
      }
      await sleep(20);
    }
  }

  /** Empties and removes a job's group. */
  async removeJob(name: string): Promise<void> {
    const dir = this.jobDir(name);
    if (!(await this.fs.exists(dir))) {
      this.jobs.delete(name);
      return;
    }
    await this.emptyJob(name);
    // A killed process leaves its group as it is reaped: retry while busy.
    for (let i = 0; ; i++) {
      try {
        await this.fs.rmdir(dir);
        break;
      } catch (err) {
        if (errno(err) === 'ENOENT') break;
        if (errno(err) !== 'EBUSY' || i >= 100) throw new Error(`cannot remove cgroup ${dir}: ${message(err)}`);
        await sleep(20);
      }
    }
    this.jobs.delete(name);
  }

  /**
   * Removes what the worker made: job groups left over, `__worker` (its
   * processes moved back), a group it created. With `keep` (syncs left
   * running for the next worker) their groups, their limits and the tree
   * around them stay.
   */
  async close(keep: ReadonlySet<string> = new Set()): Promise<void> {
    for (const name of [...this.jobs]) {
      if (keep.has(name)) continue;
      await this.removeJob(name).catch((err: unknown) => this.logger.warn(message(err)));
    }
    if (keep.size > 0) {
      // The kept syncs' groups keep their memory limits (turning the controller off would drop them),
      // and the tree stays as it is for the next worker, which finds it as this one left it.
      this.logger.info(`cgroups of ${[...keep].join(', ')} kept for the next worker`);
      return;
    }
    if (this.version === 2 && this.memoryEnabled) {
      // v2 allows processes only in groups that distribute no controller.
      await this.fs.write(posix.join(this.base, 'cgroup.subtree_control'), '-memory').catch((err: unknown) => {
        this.logger.warn(`cannot disable the memory controller below ${this.base}: ${message(err)}`);
      });
      this.memoryEnabled = false;
    }
    const worker = posix.join(this.base, WORKER_SUBGROUP);
    if (this.implicit) {
      if (!(await this.fs.exists(worker))) return;
      try {
        await this.moveAll(worker, this.base);
        await this.fs.rmdir(worker);
      } catch (err) {
        this.logger.warn(`cannot move the worker back out of ${worker}: ${message(err)}`);
      }
    } else {
      for (const dir of [...this.createdBase].reverse()) {
        await this.fs.rmdir(dir).catch((err: unknown) => this.logger.warn(`cannot remove cgroup ${dir}: ${message(err)}`));
      }
    }
  }

  private async enterWorkerGroup(): Promise<void> {
    const worker = posix.join(this.base, WORKER_SUBGROUP);
    if (!(await this.fs.exists(worker))) await this.fs.mkdir(worker);
    try {
      await this.moveAll(this.base, worker);
    } catch (err) {
      throw new Error(`cannot move the worker's processes from ${this.base} to ${worker}: ${message(err)}`);
    }
  }

  /** Moves every process of group `from` to group `to`, until `from` is empty. */
  private async moveAll(from: string, to: string): Promise<void> {
    for (let round = 0; ; round++) {
      const pids = parsePids(await this.fs.read(posix.join(from, 'cgroup.procs')));
      if (pids.length === 0) return;
      if (round >= 50) throw new Error(`${pids.length} process(es) keep appearing in ${from}`);
      for (const pid of pids) {
        try {
          await this.fs.write(posix.join(to, 'cgroup.procs'), String(pid));
        } catch (err) {
          if (errno(err) !== 'ESRCH') throw err;
        }
      }
    }
  }

  /**
   * v2: lets job groups have memory limits: the memory controller enabled in
   * `cgroup.subtree_control` at every level from the root down to the base
   * (as containerd does for tunasync), where it is not already.
   */
  private async enableMemory(needed: boolean): Promise<void> {
    for (const dir of levelsDown(this.hierarchy, this.base)) {
      const subtree = posix.join(dir, 'cgroup.subtree_control');
      if ((await words(this.fs, subtree)).includes('memory')) continue;
      const available = await words(this.fs, posix.join(dir, 'cgroup.controllers'));
      if (!available.includes('memory')) {
        if (!needed) return;
        throw noMemory(dir, available);
      }
      try {
        await this.fs.write(subtree, '+memory');
        if (dir === this.base) this.memoryEnabled = true;
      } catch (err) {
        if (needed) throw new Error(`cannot enable the memory controller in ${subtree}: ${message(err)}`);
        this.logger.warn(`cannot enable the memory controller in ${subtree}: ${message(err)}`);
        return;
      }
    }
  }
}

/** `top` and every group from it down to `base`, outermost first. */
function levelsDown(top: string, base: string): string[] {
  const levels = [top];
  for (const part of posix.relative(top, base).split('/').filter(Boolean)) levels.push(posix.join(levels.at(-1)!, part));
  return levels;
}

/** The words of a cgroup list file (`cgroup.controllers`, `cgroup.subtree_control`); none when unreadable. */
async function words(fs: CgroupFs, file: string): Promise<string[]> {
  return (await fs.read(file).catch(() => '')).split(/\s+/).filter(Boolean);
}

function noMemory(dir: string, available: string[]): Error {
  return new Error(`the memory controller is not available in ${dir} (cgroup.controllers: "${available.join(' ')}"); delegate it to the worker's group`);
}

/** Where the worker's job groups go, found by reading only; throws an Error saying why it cannot use cgroups. */
async function locate(
  opts: Omit<CgroupSetupOptions, 'logger'>,
): Promise<{ version: CgroupVersion; hier: string; base: string; exists: boolean }> {
  const fs = opts.fs ?? kernelCgroupFs;
  const root = opts.root ?? DEFAULT_CGROUP_ROOT;
  const version = await detectCgroupVersion(fs, root);
  if (!version) throw new Error(`no cgroup filesystem at ${root} (neither a v2 tree with cgroup.controllers nor a v1 memory hierarchy)`);
  const hier = hierarchyRoot(version, root);
  if (opts.group) {
    const base = posix.join(hier, posix.normalize(`/${opts.group}`));
    const exists = await fs.exists(base);
    const pids = exists ? parsePids(await fs.read(posix.join(base, 'cgroup.procs'))) : [];
    if (pids.length > 0) {
      throw new Error(`cgroup ${base} has processes in it (${pids.slice(0, 5).join(', ')}${pids.length > 5 ? ', …' : ''}); give the worker an empty group of its own`);
    }
    return { version, hier, base, exists };
  }
  const file = opts.selfCgroupFile ?? '/proc/self/cgroup';
  const own = ownCgroupPath(await fs.read(file), version);
  if (own === undefined) throw new Error(`cannot find the worker's ${version === 2 ? 'v2' : 'memory'} cgroup in ${file}`);
  if (own === '/') {
    throw new Error('the worker runs in the root cgroup; set [cgroup] group, or run the worker in a delegated group of its own (systemd Delegate=yes)');
  }
  return { version, hier, base: posix.join(hier, own), exists: true };
}

/** Creates `target` and its missing parents below `top`; returns the directories it made, outermost first. */
async function mkdirs(fs: CgroupFs, top: string, target: string): Promise<string[]> {
  const made: string[] = [];
  let dir = top;
  for (const part of posix.relative(top, target).split('/').filter(Boolean)) {
    dir = posix.join(dir, part);
    if (!(await fs.exists(dir))) {
      await fs.mkdir(dir);
      made.push(dir);
    }
  }
  return made;
}
