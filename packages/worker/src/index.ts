/**
 * @tunasync/worker: the mirror job daemon. So far: the job engine (MirrorJob
 * over core's state machine), process groups, the concurrency limit, the
 * providers and hooks (log rotation, exec, cgroup, docker, zfs, btrfs), the scheduler, the control server, the reporter.
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
export { forEachLogLine, lastLineWhere } from './log-scan.js';
export { CommandProvider } from './providers/command-provider.js';
export { LogRotationHook, runLogFile, KEPT_LOGS } from './hooks/log-rotation.js';
export { ExecHook, type ExecOn } from './hooks/exec-hook.js';
export { createWorker, type Worker, type WorkerOptions } from './worker.js';
export { Reporter, outboxFile, type ReporterOptions } from './reporter.js';
export { Outbox, type OutboxMessage, type OutboxRecovery } from './outbox.js';
export { Scheduler, isValidCron, type SchedulerOptions } from './scheduler.js';
export { createControlApp, type CommandTarget } from './control-server.js';
export { RsyncProvider, TwoStageRsyncProvider } from './providers/rsync-provider.js';
export { createProvider, loadProviderFactory, checkProviderReference, isBuiltinProvider, type ProviderFactory } from './providers/registry.js';
export { dryRun, describeJob, type DryRunResult } from './dry-run.js';
export { checkWorkerConfig, workerConfigIssues, loadCheckedWorkerConfig, type WorkerCheckOptions } from './config-checks.js';
export { hookConfigIssues, type CgroupLocation } from './hooks/hook-checks.js';
export { runWorkerCli } from './cli-main.js';
export { prepareHooks, type HookSet, type HookSetOptions } from './hooks/hook-set.js';
export {
  detectCgroupVersion,
  hierarchyRoot,
  ownCgroupPath,
  memoryLimitFile,
  memoryLimitValue,
  parseOomKills,
  kernelCgroupFs,
  DEFAULT_CGROUP_ROOT,
  type CgroupFs,
  type CgroupVersion,
} from './hooks/cgroup-fs.js';
export { WorkerCgroups, WORKER_SUBGROUP, type CgroupSetupOptions } from './hooks/cgroup-tree.js';
export { CgroupHook, ENTER_CGROUP } from './hooks/cgroup.js';
export { DockerHook, dockerRunArgv, dockerContainerName, type DockerSettings, type DockerRunContext } from './hooks/docker.js';
export { ZfsHook, zfsFixCommands } from './hooks/zfs.js';
export { BtrfsSnapshotHook, btrfsSnapshotPath } from './hooks/btrfs.js';
export { runTool, type ToolResult, type ToolOptions } from './hooks/run-tool.js';
