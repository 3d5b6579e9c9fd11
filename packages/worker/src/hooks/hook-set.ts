/**
 * Which hooks wrap each mirror's runs. `prepareHooks` runs once per worker
 * (start-up checks and set-up of worker-wide resources, such as cgroups);
 * `hooksFor` builds the list for one mirror, in the order they run:
 * log rotation, zfs, btrfs snapshot, docker or cgroup, exec_on_success,
 * exec_on_failure (post-stage hooks run in reverse).
 *
 * As in tunasync, a mirror runs in Docker when `[docker]` is enabled and it
 * has a `docker_image`; otherwise in its own cgroup when `[cgroup]` is
 * enabled. A `memory_limit` with neither is ignored, with one warning at
 * start. The `[cgroup]`, `[docker]`, `[zfs]` and `[btrfs_snapshot]` sections
 * are read at start; a reload applies only mirror changes. What these
 * settings must satisfy is checked before, by checkWorkerConfig
 * (hook-checks.ts); prepareHooks only sets up.
 */
import { ConfigError, type Hook, type Logger, type MirrorConfig, type WorkerConfig } from '@tunasync/core';
import { BtrfsSnapshotHook, btrfsSnapshotPath } from './btrfs.js';
import { CgroupHook } from './cgroup.js';
import { WORKER_SUBGROUP, WorkerCgroups } from './cgroup-tree.js';
import { DockerHook } from './docker.js';
import { ExecHook } from './exec-hook.js';
import { cgroupIssue, runsInDocker, type CgroupLocation } from './hook-checks.js';
import { LogRotationHook } from './log-rotation.js';
import { ZfsHook } from './zfs.js';

/** The worker-wide hook set. */
export interface HookSet {
  /** The hooks of one mirror, pre-stage order. */
  hooksFor(mirror: MirrorConfig): Hook[];
  /** Releases worker-wide resources (called by halt); the cgroups of the `keep` jobs (syncs left running) stay. */
  close(keep?: ReadonlySet<string>): Promise<void>;
}

/** Where the hooks find the system (defaults: the real one); tests point them elsewhere. */
export interface HookSetOptions extends CgroupLocation {
  /** How long to wait after a Docker try for its container to be gone (default 10 s). */
  dockerRemoveWaitMs?: number;
  /** Interval of those checks (default 1 s). */
  dockerPollMs?: number;
}

const names = (ms: MirrorConfig[]): string => ms.map((m) => m.name).join(', ');

/** Start-up warnings about settings that are ignored (tunasync ignores them silently). */
function ignoredSettings(config: WorkerConfig, inDocker: (m: MirrorConfig) => boolean): string[] {
  const out: string[] = [];
  const unlimited = config.mirrors.filter((m) => m.memoryLimit && !inDocker(m) && !config.cgroup.enable);
  if (unlimited.length > 0) {
    out.push(`memory_limit ignored for ${names(unlimited)}: neither [cgroup] nor [docker] with a docker_image applies to ${unlimited.length > 1 ? 'them' : 'it'}`);
  }
  const noDocker = config.mirrors.filter((m) => m.dockerImage && !config.docker.enable);
  if (noDocker.length > 0) out.push(`docker_image ignored for ${names(noDocker)}: [docker] enable is false`);
  return out;
}

/**
 * Sets up what the configured hooks need (cgroups) for a config that passed
 * checkWorkerConfig; throws a ConfigError when the set-up fails (cgroups
 * that cannot be created, say).
 */
export async function prepareHooks(config: WorkerConfig, logger: Logger, options: HookSetOptions = {}): Promise<HookSet> {
  const inDocker = (m: MirrorConfig): boolean => runsInDocker(config, m);
  for (const w of ignoredSettings(config, inDocker)) logger.warn(w);

  let cgroups: WorkerCgroups | undefined;
  if (config.cgroup.enable) {
    try {
      cgroups = await WorkerCgroups.setup({
        group: config.cgroup.group,
        logger,
        needMemory: config.mirrors.some((m) => m.memoryLimit && !inDocker(m)),
        ...(options.cgroupRoot ? { root: options.cgroupRoot } : {}),
        ...(options.selfCgroupFile ? { selfCgroupFile: options.selfCgroupFile } : {}),
        ...(options.cgroupFs ? { fs: options.cgroupFs } : {}),
      });
    } catch (err) {
      throw new ConfigError([cgroupIssue(config, (err as Error).message)]);
    }
  }
  const docker = {
    volumes: config.docker.volumes,
    options: config.docker.options,
    ...(options.dockerRemoveWaitMs !== undefined ? { removeWaitMs: options.dockerRemoveWaitMs } : {}),
    ...(options.dockerPollMs !== undefined ? { pollMs: options.dockerPollMs } : {}),
  };

  return {
    hooksFor: (m) => {
      const hooks: Hook[] = [new LogRotationHook()];
      if (config.zfs.enable) hooks.push(new ZfsHook(config.zfs.zpool));
      if (config.btrfsSnapshot.enable) {
        const path = btrfsSnapshotPath(config.btrfsSnapshot.snapshotPath, m);
        if (!path) throw new Error(`mirror ${m.name}: snapshot_path is needed, [btrfs_snapshot] has none`);
        hooks.push(new BtrfsSnapshotHook(path));
      }
      if (inDocker(m)) hooks.push(new DockerHook(m, docker));
      else if (cgroups) {
        if (cgroups.implicit && m.name === WORKER_SUBGROUP) throw new Error(`mirror ${m.name}: the name is the worker's own cgroup`);
        hooks.push(new CgroupHook(cgroups, m));
      }
      hooks.push(new ExecHook('success', m.execOnSuccess), new ExecHook('failure', m.execOnFailure));
      return hooks;
    },
    close: async (keep) => {
      await cgroups?.close(keep);
    },
  };
}
