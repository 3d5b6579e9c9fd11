/**
 * The cgroup filesystem, both versions: which one a machine has, where the
 * worker's own group is, and the few files the worker touches. v2 (unified:
 * `/sys/fs/cgroup/cgroup.controllers` exists) uses `memory.max`; v1 (hybrid
 * or legacy) uses the memory hierarchy at `/sys/fs/cgroup/memory` and
 * `memory.limit_in_bytes`. File access goes through `CgroupFs`, so the same
 * logic runs against the kernel and against a directory laid out like it.
 */
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Which cgroup version a machine runs. */
export type CgroupVersion = 1 | 2;

/** The file operations the worker's cgroup code needs. */
export interface CgroupFs {
  exists(path: string): Promise<boolean>;
  /** Creates a group (its parent must exist). */
  mkdir(path: string): Promise<void>;
  /** Removes an empty group. */
  rmdir(path: string): Promise<void>;
  read(path: string): Promise<string>;
  /** One write of `text` (writing a pid to `cgroup.procs` moves that process). */
  write(path: string, text: string): Promise<void>;
}

/** The real cgroup filesystem. */
export const kernelCgroupFs: CgroupFs = {
  exists: (p) =>
    access(p).then(
      () => true,
      () => false,
    ),
  mkdir: async (p) => {
    await mkdir(p);
  },
  rmdir: (p) => rmdir(p),
  read: (p) => readFile(p, 'utf8'),
  write: (p, text) => writeFile(p, text),
};

/** Where cgroup filesystems are mounted. */
export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup version at `root`, or undefined when neither a v2 tree nor a v1 memory hierarchy is there. */
export async function detectCgroupVersion(fs: CgroupFs, root = DEFAULT_CGROUP_ROOT): Promise<CgroupVersion | undefined> {
  if (await fs.exists(join(root, 'cgroup.controllers'))) return 2;
  if (await fs.exists(join(root, 'memory', 'cgroup.procs'))) return 1;
  return undefined;
}

/** The directory of the hierarchy the worker uses: the v2 tree, or the v1 memory hierarchy. */
export function hierarchyRoot(version: CgroupVersion, root = DEFAULT_CGROUP_ROOT): string {
  return version === 2 ? root : join(root, 'memory');
}

/**
 * A process's group in the hierarchy the worker uses, from the text of
 * `/proc/<pid>/cgroup` (`0::/path` for v2, `N:memory[,...]:/path` for v1).
 */
export function ownCgroupPath(procCgroup: string, version: CgroupVersion): string | undefined {
  for (const line of procCgroup.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const id = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1).trim();
    if (version === 2 && id === '0' && controllers === '') return path;
    if (version === 1 && controllers.split(',').includes('memory')) return path;
  }
  return undefined;
}

/** The file holding a group's memory limit. */
export function memoryLimitFile(version: CgroupVersion): string {
  return version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
}

/** What to write to the limit file: the bytes, or "no limit" (`max` on v2, `-1` on v1). */
export function memoryLimitValue(version: CgroupVersion, bytes: number | undefined): string {
  if (bytes === undefined || bytes <= 0) return version === 2 ? 'max' : '-1';
  return String(Math.floor(bytes));
}

/** The file counting OOM kills in a group (line `oom_kill N`). */
export function oomEventsFile(version: CgroupVersion): string {
  return version === 2 ? 'memory.events' : 'memory.oom_control';
}

/** The `oom_kill` count in the text of memory.events / memory.oom_control (0 if absent). */
export function parseOomKills(text: string): number {
  const m = /^oom_kill\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Pids listed in a `cgroup.procs` text. */
export function parsePids(text: string): number[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}
