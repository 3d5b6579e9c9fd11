/**
 * Which hooks wrap each mirror's runs. `prepareHooks` runs once per worker
 * (start-up checks and set-up of worker-wide resources, such as cgroups);
 * `hooksFor` builds the list for one mirror, in the order they run.
 */
import type { Hook, Logger, MirrorConfig, WorkerConfig } from '@tunasync/core';
import { ExecHook } from './exec-hook.js';
import { LogRotationHook } from './log-rotation.js';

/** The worker-wide hook set. */
export interface HookSet {
  /** The hooks of one mirror, pre-stage order. */
  hooksFor(mirror: MirrorConfig): Hook[];
  /** Releases worker-wide resources (called by halt). */
  close(): Promise<void>;
}

/** Checks and prepares what the configured hooks need; throws (ConfigError) when they cannot work. */
export async function prepareHooks(config: WorkerConfig, logger: Logger): Promise<HookSet> {
  void config;
  void logger;
  return {
    hooksFor: (m) => [new LogRotationHook(), new ExecHook('success', m.execOnSuccess), new ExecHook('failure', m.execOnFailure)],
    close: async () => {},
  };
}
