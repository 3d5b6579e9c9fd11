/**
 * @tunasync/worker: the mirror job daemon. The job engine (MirrorJob over
 * core's state machine), process groups, the concurrency limit, the
 * providers and hooks (log rotation, exec, cgroup, docker, zfs, btrfs),
 * schedule policies and the timer-only scheduler, the control server (with
 * mountable route modules), the reporter, and the worker's typed event map.
 */
export { MirrorJob } from './mirror-job.js';
export { freeSpaceProblem, statfsSpace, type FilesystemSpace, type SpaceReader } from './guards/free-space.js';
export { probeUpstream, type ProbeOptions, type UpstreamProbe } from './guards/upstream-probe.js';
export { planRun, setUpRun, type RunGuardDeps, type RunPlan, type RunSetup } from './guards/run-plan.js';
export { prepareStaging, type Staging } from './guards/atomic-publish.js';
export type {
  MirrorJobEvents,
  MirrorJobOptions,
  JobStateEvent,
  JobStatusEvent,
  JobPhaseEvent,
  JobRunEndEvent,
  JobRunStartEvent,
  JobRunSummary,
} from './mirror-job.js';
export { ConcurrencySlots, type Release, type SlotTicket, type SlotOptions } from './slots.js';
export { runInProcessGroup, terminateGroup, groupAlive, type GroupExit, type ProcessGroupOptions } from './process-group.js';
export { splitShellWords } from './shell-words.js';
export { forEachLogLine, lastLineWhere } from './log-scan.js';
export { CommandProvider } from './providers/command-provider.js';
export {
  hasTransferStats,
  rsyncTransferStats,
  patternTransferStats,
  transferStatsOf,
  logOffset,
  type TransferStats,
  type TransferStatsSource,
} from './providers/transfer-stats.js';
export { LogRotationHook, runLogFile, KEPT_LOGS } from './hooks/log-rotation.js';
export { ExecHook, type ExecOn } from './hooks/exec-hook.js';
export { RunRecords, parseExitStatus, type RunRecord, type RecordedExit } from './adopt/run-records.js';
export { withExitStatusFile, STATUS_WRAPPER } from './adopt/status-wrapper.js';
export { processStartTime, processRunning } from './process-group.js';
export { createWorker, type HaltOptions, type Worker, type WorkerOptions } from './worker.js';
export { logRoutes, DEFAULT_STREAM_TAIL, DEFAULT_STREAMS_PER_ADDRESS, type LogRoutesOptions, type WorkerJobEntry } from './logs/log-routes.js';
export { KEEP_ALIVE_MS, RETRY_MS } from './logs/log-stream.js';
export { DEFAULT_FOLLOWER_QUEUE_BYTES } from './logs/log-fanout.js';
export { STALL_MS } from '@tunasync/core';
export { createRedactor, REDACTED, type Redactor } from './logs/redact.js';
export { FollowPace, FOLLOW_GROWING_BYTES, FOLLOW_INTERVAL_MS } from './logs/follow-pace.js';
export {
  createWorkerEvents,
  bridgeReporterEvents,
  type WorkerEvents,
  type WorkerEventEmitter,
  type RunTrigger,
  type RunOutcome,
  type JobStateChange,
  type JobStatusReport,
  type RunStartEvent,
  type RunEndEvent,
  type ScheduleChange,
  type ScheduleDue,
} from './events.js';
export { mirrorStatusOf, runFieldsOf } from './status-mapper.js';
export { intervalPolicy, cronPolicy, schedulePolicyFor, inProgress, type SchedulePolicy, type LastRun, type ScheduleKeys } from './schedule/policy.js';
export { nextCronMatch } from './schedule/cron.js';
export { JobSchedules, type JobSchedulesOptions } from './schedule/job-schedules.js';
export { fixedRatePolicy, FixedRateSlots } from './schedule/fixed-rate.js';
export { Blackouts, parseBlackout, parseBlackouts, type BlackoutWindow } from './schedule/blackout.js';
export { startTime, type StartGate } from './schedule/gate.js';
export { spreadOffsets, alignToSpread, parseDuration } from './schedule/spread.js';
export { upstreamHost } from './schedule/upstream-host.js';
export { scheduleConfigIssues, spreadMsOf } from './schedule/schedule-config.js';
export { hostZone, isValidZone, zonedParts, zonedToUtc, formatHHMM, parseHHMM } from './schedule/zone.js';
export { nextStarts, scheduleWords, formatStarts } from './schedule/describe.js';
export { JobSet, type JobSetOptions } from './jobs/job-set.js';
export { restoreJobs, storedStatuses } from './restore.js';
export { wireJobEvents, type JobEventSinks } from './jobs/job-events.js';
export { listenControl, CONTROL_SERVER_LIMITS, type ControlListener } from './control-listener.js';
export { Reporter, outboxFile, type ReporterOptions } from './reporter.js';
export type { ReporterEvents, ReportSentEvent, ReportRefusedEvent, OutboxDepthEvent, DeadLetterEvent } from './reporter-events.js';
export { Outbox, type OutboxMessage, type OutboxRecovery, type OutboxOptions, type SkippedLine, type JournalFs } from './outbox.js';
export { parseJournalLine, reportPathProblem, KNOWN_WORKER_ROUTES, type JournalLine } from './journal-line.js';
export { deadLetterFile, type DeadLetter } from './dead-letter.js';
export { lockStateDir, StateDirLockedError, STATE_LOCK_FILE, type StateLock, type StateLockOptions, type LockHolder } from './state-lock.js';
export { Scheduler, isValidCron, realTimers, MAX_TIMER_MS, type SchedulerOptions, type TimerApi } from './scheduler.js';
export {
  createControlApp,
  createControlRouter,
  requireBearer,
  type CommandTarget,
  type ControlAppOptions,
  type WorkerRouteModule,
  type WorkerRouteContext,
  type WorkerRouteServices,
} from './control-server.js';
export { RsyncProvider, TwoStageRsyncProvider } from './providers/rsync-provider.js';
export { createProvider, loadProviderFactory, checkProviderReference, isBuiltinProvider, type ProviderFactory } from './providers/registry.js';
export { dryRun, describeJob, briefJob, type DryRunResult, type DryRunOptions, type JobSpread } from './dry-run.js';
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
export {
  workerMetricsRoutes,
  createWorkerRegistry,
  RUN_DURATION_BUCKETS,
  LATENESS_BUCKETS,
  type WorkerMetricsOptions,
} from './metrics/worker-metrics.js';
export { CompactHistogram, type CompactHistogramConfig } from './metrics/compact-histogram.js';
export { withScheduleMeta } from './metrics/schedule-meta.js';
export { Heartbeat, createWorkerHeartbeat, type HeartbeatOptions, type BeatResult } from './heartbeat.js';
export { MaintenanceGate } from './maintenance.js';
