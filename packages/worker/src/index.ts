/**
 * @tunasync/worker: the mirror job daemon. So far: the job engine (MirrorJob
 * over core's state machine), process groups, the concurrency limit, the
 * `command` provider and the log-rotation and exec hooks.
 */
export { MirrorJob } from './mirror-job.js';
export type {
  MirrorJobEvents,
  MirrorJobOptions,
  JobStateEvent,
  JobStatusEvent,
  JobPhaseEvent,
  JobRunEndEvent,
} from './mirror-job.js';
export { ConcurrencySlots, type Release } from './slots.js';
export { runInProcessGroup, terminateGroup, groupAlive, type GroupExit, type ProcessGroupOptions } from './process-group.js';
export { splitShellWords } from './shell-words.js';
export { CommandProvider } from './providers/command-provider.js';
export { LogRotationHook, runLogFile, KEPT_LOGS } from './hooks/log-rotation.js';
export { ExecHook, type ExecOn } from './hooks/exec-hook.js';
