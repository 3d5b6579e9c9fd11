/**
 * What the hook settings of worker.conf must satisfy before the worker
 * starts (`[btrfs_snapshot]`, `[cgroup]`), checked without side effects: no
 * cgroup is made and nothing is written. Part of checkWorkerConfig.
 */
import type { ConfigIssue, MirrorConfig, WorkerConfig } from '@tunasync/core';
import type { CgroupFs } from './cgroup-fs.js';
import { WORKER_SUBGROUP, WorkerCgroups } from './cgroup-tree.js';

/** Where the cgroup checks look (default: the real system); tests point them elsewhere. */
export interface CgroupLocation {
  /** Where cgroup filesystems are mounted (default /sys/fs/cgroup). */
  cgroupRoot?: string;
  /** The worker's `/proc/<pid>/cgroup` (default /proc/self/cgroup). */
  selfCgroupFile?: string;
  /** Cgroup file access (default: the kernel's). */
  cgroupFs?: CgroupFs;
}

/** True when a mirror's commands run in Docker (`[docker]` enabled and a `docker_image`). */
export function runsInDocker(config: WorkerConfig, m: MirrorConfig): boolean {
  return config.docker.enable && m.dockerImage !== '';
}

/** The issue for cgroups that cannot be used (`why`), naming `cgroup.group` or `cgroup.enable`. */
export function cgroupIssue(config: WorkerConfig, why: string): ConfigIssue {
  const path = config.cgroup.group ? 'cgroup.group' : 'cgroup.enable';
  return { file: config.file, path, message: `cgroups are enabled but cannot be used: ${why}` };
}

/** Problems with the hook settings; reads the cgroup filesystem when `[cgroup]` is enabled, changes nothing. */
export async function hookConfigIssues(config: WorkerConfig, where: CgroupLocation = {}): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  if (config.btrfsSnapshot.enable && !config.btrfsSnapshot.snapshotPath) {
    for (const m of config.mirrors.filter((x) => !x.snapshotPath)) {
      issues.push({ file: m.source.file, path: `${m.source.path}.snapshot_path`, message: 'is needed: [btrfs_snapshot] is enabled and has no snapshot_path' });
    }
  }
  if (config.cgroup.enable && !config.cgroup.group) {
    for (const m of config.mirrors.filter((x) => x.name === WORKER_SUBGROUP && !runsInDocker(config, x))) {
      issues.push({ file: m.source.file, path: `${m.source.path}.name`, message: `${WORKER_SUBGROUP} is the worker's own cgroup; rename the mirror` });
    }
  }
  if (config.cgroup.enable) {
    try {
      await WorkerCgroups.probe({
        group: config.cgroup.group,
        needMemory: config.mirrors.some((m) => m.memoryLimit && !runsInDocker(config, m)),
        ...(where.cgroupRoot ? { root: where.cgroupRoot } : {}),
        ...(where.selfCgroupFile ? { selfCgroupFile: where.selfCgroupFile } : {}),
        ...(where.cgroupFs ? { fs: where.cgroupFs } : {}),
      });
    } catch (err) {
      issues.push(cgroupIssue(config, (err as Error).message));
    }
  }
  return issues;
}
