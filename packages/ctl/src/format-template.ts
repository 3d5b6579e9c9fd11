/**
 * `--format`: tunasync's tunasynctl runs a Go template over each job and
 * prints one line per job. The value a template sees is the Go struct
 * tunasynctl decoded: `WebMirrorStatus` for `list --all` (GET /jobs) and
 * `MirrorStatus` for `list WORKER…` (GET /workers/:id/jobs), with Go's
 * field names; `workers --format` sees `WorkerStatus`. Times print as Go's
 * `time.Time` does. `NextSchedule` is accepted as a second name for Go's
 * `Scheduled`. `history --format` sees a history row as `RunRecord`.
 */
import {
  ValidationError,
  emptyMirrorStatus,
  zeroTime,
  type MirrorStatus,
  type RunRecord,
  type WebMirrorStatus,
  type WorkerStatus,
} from '@tunasync/core';
import { zoneFor } from './go-time.js';
import { executeTemplate } from './template/execute.js';
import { parseTemplate } from './template/parse.js';
import { TemplateStruct, TemplateTime, type TemplateValue } from './template/values.js';

/** The Go struct a template is run against. */
export type FormatSubject = 'MirrorStatus' | 'WebMirrorStatus' | 'WorkerStatus' | 'RunRecord';

function time(d: Date): TemplateTime {
  return new TemplateTime(d, zoneFor(d));
}

/** A per-worker job (`list WORKER…`) as Go's `MirrorStatus`. */
export function mirrorStatusValue(s: MirrorStatus): TemplateStruct {
  return new TemplateStruct('MirrorStatus', {
    Name: s.name,
    Worker: s.worker,
    IsMaster: s.isMaster,
    Status: s.status,
    LastUpdate: time(s.lastUpdate),
    LastStarted: time(s.lastStarted),
    LastEnded: time(s.lastEnded),
    Scheduled: time(s.nextSchedule),
    NextSchedule: time(s.nextSchedule),
    Upstream: s.upstream,
    Size: s.size,
    ErrorMsg: s.errorMsg,
  });
}

/** A job of `list --all` (GET /jobs) as Go's `WebMirrorStatus`; `*Ts` fields are times too, as in Go. */
export function webMirrorStatusValue(s: WebMirrorStatus): TemplateStruct {
  return new TemplateStruct('WebMirrorStatus', {
    Name: s.name,
    IsMaster: s.isMaster,
    Status: s.status,
    LastUpdate: time(s.lastUpdate),
    LastUpdateTs: time(s.lastUpdate),
    LastStarted: time(s.lastStarted),
    LastStartedTs: time(s.lastStarted),
    LastEnded: time(s.lastEnded),
    LastEndedTs: time(s.lastEnded),
    Scheduled: time(s.nextSchedule),
    ScheduledTs: time(s.nextSchedule),
    NextSchedule: time(s.nextSchedule),
    NextScheduleTs: time(s.nextSchedule),
    Upstream: s.upstream,
    Size: s.size,
  });
}

/** A worker as Go's `WorkerStatus`. */
export function workerStatusValue(w: WorkerStatus): TemplateStruct {
  return new TemplateStruct('WorkerStatus', {
    ID: w.id,
    URL: w.url,
    Token: w.token,
    LastOnline: time(w.lastOnline),
    LastRegister: time(w.lastRegister),
  });
}

/**
 * A history row (`history`) as a `RunRecord` with Go field names, the
 * fields of the JSON row: a value the manager sent as `null` is `nil` (Go's
 * nil pointer), but `EndedAt` of a run in progress is the zero time, so
 * `{{.EndedAt.IsZero}}` works on every row.
 */
export function runRecordValue(r: RunRecord): TemplateStruct {
  return new TemplateStruct('RunRecord', {
    RunID: r.runId,
    Worker: r.worker,
    Mirror: r.mirror,
    Trigger: r.trigger,
    StartedAt: time(r.startedAt),
    EndedAt: time(r.endedAt ?? zeroTime()),
    DurationS: r.durationS ?? null,
    Result: r.result ?? null,
    Attempts: r.attempts,
    ExitCode: r.exitCode ?? null,
    ErrorMsg: r.errorMsg,
    Size: r.size,
    TransferredBytes: r.transferredBytes ?? null,
    FilesTransferred: r.filesTransferred ?? null,
    LogFile: r.logFile ?? null,
  });
}

function sample(subject: FormatSubject): TemplateValue {
  if (subject === 'RunRecord') {
    return runRecordValue({ runId: 'sample', worker: 'sample', mirror: 'sample', trigger: 'schedule', startedAt: zeroTime(), endedAt: zeroTime(), durationS: 1, result: 'success', attempts: 1, exitCode: 0, errorMsg: '', size: '', transferredBytes: 0, filesTransferred: 0, logFile: 'sample.log' });
  }
  const job = emptyMirrorStatus('sample', 'sample');
  if (subject === 'MirrorStatus') return mirrorStatusValue(job);
  if (subject === 'WebMirrorStatus') return webMirrorStatusValue(job);
  return workerStatusValue({ id: 'sample', url: 'http://127.0.0.1/', token: '', lastOnline: zeroTime(), lastRegister: zeroTime() });
}

/** A compiled `--format` template. */
export interface FormatTemplate {
  /** The struct it formats. */
  readonly subject: FormatSubject;
  /** One value's text (without the newline tunasynctl adds after each). */
  render(value: TemplateValue): string;
}

/**
 * Parses `text` and checks it once against an empty `subject`, so a
 * misspelt field is reported before the manager is asked (and even when no
 * job matches). Throws a ValidationError (`template: …`).
 */
export function compileFormat(text: string, subject: FormatSubject): FormatTemplate {
  const nodes = parseTemplate(text);
  try {
    executeTemplate(nodes, sample(subject));
  } catch (err) {
    if (subject === 'WebMirrorStatus' && err instanceof ValidationError && /field (Worker|ErrorMsg) /.test(err.message)) {
      throw new ValidationError(`${err.message}; list --all reads GET /jobs, which has no worker or error: name workers (list WORKER…) for MirrorStatus`, 'format');
    }
    throw err;
  }
  return { subject, render: (value) => executeTemplate(nodes, value) };
}
