/**
 * @tunasync/ctl: tunasynctl, the operators' command line for the manager,
 * and the typed manager client and command functions it is made of.
 */
export {
  createManagerClient,
  NO_HISTORY_MESSAGE,
  NO_STALE_MESSAGE,
  type StaleMirror,
  NO_MAINTENANCE_MESSAGE,
  type ManagerClient,
  type ManagerClientOptions,
  type CommandRequest,
  type HistoryQuery,
  type HistoryAnswer,
  type ExternalRun,
  type ExternalAnswer,
  NO_EXTERNAL_MESSAGE,
} from './client.js';
export { ManagerRequestError, UsageError, ReportedFailure, type ManagerErrorKind } from './errors.js';
export { resolveConnection, managerBaseUrl, SYSTEM_CONF_ENV, TOKEN_ENV, OUTPUT_ENV, type ConnectionFlags, type ConnectionSettings, type OutputSetting } from './settings.js';
export { chooseOutput } from './output.js';
export { isGlob, globToRegExp, matchGlob } from './glob.js';
export { listJobRefs, resolveTargets, workerOf, type JobRef, type TargetResolution } from './targets.js';
export { jobVerbCommand, DONE_WORDS, type JobTargetsOptions } from './commands/job-targets.js';
export { setStatusCommand, parseAtTime, type SetStatusOptions } from './commands/set-status.js';
export { watchCommand, processTerminal, MARK_MS, type WatchOptions, type WatchTerminal } from './commands/watch.js';
export { WatchModel, parseJobEvent, sortJobs, STATUS_ORDER, type WatchChange, type WatchFilter } from './watch-model.js';
export { renderScreen, changeLine, SCREEN, type ScreenState } from './watch-screen.js';
export { runFeed, maintenanceNotice, type FeedSink, type FeedOptions } from './watch-feed.js';
export { SseParser, type SseEvent } from './sse.js';
export { withManager, reportError, EXIT_FAILURE, type CommonFlags } from './run.js';
export { processIO, wantsColor, type CtlIO } from './io.js';
export { listCommand, jobsOfAllWorkers, parseStatusFilter, type ListOptions, type OutputMode } from './commands/list.js';
export { historyCommand, parseLimit, HISTORY_MAX_LIMIT, type HistoryOptions } from './commands/history.js';
export { staleCommand, staleLine, shortAge, type StaleOptions } from './commands/stale.js';
export { maintenanceCommand, maintenanceLine, untilTime, MAINTENANCE_ACTIONS, type MaintenanceOptions } from './commands/maintenance.js';
export { mirrorCommand, mirrorReport, statsLine, type MirrorOptions } from './commands/mirror.js';
export { parseMirrorView, parseMirrorStats, type MirrorView, type MirrorStats } from './mirror-view.js';
export { workersCommand, removeWorkerCommand, type WorkersOptions } from './commands/workers.js';
export { jobCommand, reloadCommand, setSizeCommand, flushCommand, COMMAND_SENT, type JobVerb, type JobCommandOptions } from './commands/jobs.js';
export {
  compileFormat,
  mirrorStatusValue,
  webMirrorStatusValue,
  workerStatusValue,
  runRecordValue,
  type FormatSubject,
  type FormatTemplate,
} from './format-template.js';
export { parseTemplate, TEMPLATE_FUNCTIONS, type TemplateNode } from './template/parse.js';
export { executeTemplate } from './template/execute.js';
export { sprintf } from './template/printf.js';
export { TemplateStruct, TemplateTime, type TemplateValue } from './template/values.js';
export { formatGoTime, goTimeString, localZone, zoneFor, UTC_ZONE, GO_STRING_LAYOUT, type GoZone } from './go-time.js';
export { relativeTime, renderTable, jobsTable, workersTable, JOB_COLUMNS, WORKER_COLUMNS, type TableOptions } from './table.js';
export { runsTable, shortRunIds, formatDuration, formatBytes, RUN_COLUMNS } from './history-table.js';
export { logsCommand, commandAndWait, parseTail, RunNotSuccessfulError, FollowStoppedError, type LogsOptions, type WaitOptions } from './commands/logs.js';
export { readLog, followLog, NO_LOGS_MESSAGE, type LogConnection, type LogQuery, type LogText, type RunEnd, type FollowOptions } from './log-client.js';
export { logConnection, interruptSignal } from './log-connection.js';
export {
  selectCompletionShell,
  COMPLETION_SHELLS,
  completionWords,
  completionNeed,
  completionFlags,
  completeNames,
  answerCompletion,
  optionValue,
  type CompletionNeed,
} from './completion.js';
export { escapeTerminalText, escapeTerminalLines, escapeStringFields } from './terminal-text.js';

/** The package's name, as published. */
export const PACKAGE_NAME = '@tunasync/ctl';
