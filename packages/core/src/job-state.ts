/**
 * The job state machine, as pure tables. No I/O: the worker's job runner
 * feeds it events and performs the effects it returns.
 *
 * Two layers, as in tunasync's worker:
 * - the **control** layer: a job's state (none, ready, paused, disabled,
 *   halting) and what each control action does to it, depending on whether a
 *   run is in flight;
 * - the **run** layer: one sync run, pre-job → (pre-exec → run → post-exec →
 *   post-success | post-fail) × tries, and the statuses it reports.
 */
import type { SyncStatus } from './status.js';

/** A job's control state. */
export type JobState = 'none' | 'ready' | 'paused' | 'disabled' | 'halting';
/** Every JobState, for exhaustive iteration. */
export const JOB_STATES: readonly JobState[] = ['none', 'ready', 'paused', 'disabled', 'halting'];

/** A control action sent to a job (by a command, the scheduler, or the worker halting). */
export type ControlAction = 'start' | 'force-start' | 'stop' | 'disable' | 'restart' | 'ping' | 'halt';
/** Every ControlAction, for exhaustive iteration. */
export const CONTROL_ACTIONS: readonly ControlAction[] = ['start', 'force-start', 'stop', 'disable', 'restart', 'ping', 'halt'];

/** Something the runner must do after a transition, in this order. */
export type ControlEffect =
  /** Abort the run in flight (terminate its processes) and wait for it to end. */
  | 'abort-run'
  /** Begin a new run (it waits for a concurrency slot unless bypassed). */
  | 'begin-run'
  /** Let the pending or new run skip the concurrency limit. */
  | 'bypass-concurrency';

/** Result of a control transition. */
export interface ControlTransition {
  /** The job's state afterwards. */
  state: JobState;
  /** What to do, in order; empty when the action changes nothing. */
  effects: ControlEffect[];
}

type Row = Record<ControlAction, ControlTransition>;
const t = (state: JobState, ...effects: ControlEffect[]): ControlTransition => ({ state, effects });

/** Idle (no run in flight) rows: any state but halting can be started, stopped, disabled. */
function idleRow(current: JobState): Row {
  return {
    start: t('ready', 'begin-run'),
    'force-start': t('ready', 'bypass-concurrency', 'begin-run'),
    restart: t('ready', 'begin-run'),
    // Stopping a disabled job leaves it disabled (tunasync ignores the stop).
    stop: current === 'disabled' ? t('disabled') : t('paused'),
    disable: t('disabled'),
    ping: t(current),
    halt: t('halting'),
  };
}

const HALTED: Row = {
  start: t('halting'),
  'force-start': t('halting'),
  restart: t('halting'),
  stop: t('halting'),
  disable: t('halting'),
  ping: t('halting'),
  halt: t('halting'),
};

/** With a run in flight the job is `ready`; these are what actions do to it. */
const RUNNING: Row = {
  start: t('ready'),
  'force-start': t('ready', 'bypass-concurrency'),
  restart: t('ready', 'abort-run', 'begin-run'),
  stop: t('paused', 'abort-run'),
  disable: t('disabled', 'abort-run'),
  ping: t('ready'),
  halt: t('halting', 'abort-run'),
};

/** The whole control table: `CONTROL_TABLE.idle[state][action]` and `CONTROL_TABLE.running[action]`. */
export const CONTROL_TABLE: {
  readonly idle: Readonly<Record<JobState, Row>>;
  readonly running: Row;
} = {
  idle: {
    none: idleRow('none'),
    ready: idleRow('ready'),
    paused: idleRow('paused'),
    disabled: idleRow('disabled'),
    halting: HALTED,
  },
  running: RUNNING,
};

/**
 * The control transition for `action` on a job in `state`; `running` says
 * whether a run is in flight (queued for a slot or syncing).
 */
export function controlTransition(state: JobState, action: ControlAction, running: boolean): ControlTransition {
  if (running && state !== 'halting') {
    // A ping never changes a state, and a stop of a disabled job is ignored
    // (tunasync's worker skips it), even while an aborted run winds down.
    if (action === 'ping' || (action === 'stop' && state === 'disabled')) return { state, effects: [] };
  }
  const row = running && state !== 'halting' ? CONTROL_TABLE.running : CONTROL_TABLE.idle[state];
  const next = row[action];
  return { state: next.state, effects: [...next.effects] };
}

// ---------------------------------------------------------------- run layer

/** The phases of one run. Hooks run at every phase but `run`; `done` ends it. */
export type RunPhase = 'pre-job' | 'pre-exec' | 'run' | 'post-exec' | 'post-success' | 'post-fail' | 'done';
/** Phases whose work is running hooks (and whose failure names the stage in the error). */
export const HOOK_PHASES = ['pre-job', 'pre-exec', 'post-exec', 'post-success', 'post-fail'] as const;
/** A phase that runs hooks. */
export type HookPhase = (typeof HOOK_PHASES)[number];

/** Where a run is. */
export interface RunCursor {
  phase: RunPhase;
  /** Zero-based try number. */
  attempt: number;
  /** Tries allowed in all (tunasync's `retry`), at least 1. */
  maxAttempts: number;
  /** The provider's error of the current try, once it has run (`null`: it succeeded). */
  syncError: string | null;
  /** Set when the run was aborted (stop, disable, restart, halt, timeout): no further try. */
  aborted: boolean;
}

/** A status the runner reports to the managers. */
export interface RunReport {
  status: SyncStatus;
  errorMsg: string;
  /** True when this is the run's last status: the job's next run may be scheduled. */
  final: boolean;
}

/** Outcome of the work of the current phase. */
export type PhaseOutcome = { ok: true } | { ok: false; error: string };

/** What happens next. */
export interface RunStep {
  cursor: RunCursor;
  /** A status to report now, if any. */
  report?: RunReport;
}

/** Starts a run: the cursor at pre-job and the `pre-syncing` report. */
export function beginRun(maxAttempts: number): RunStep {
  return {
    cursor: { phase: 'pre-job', attempt: 0, maxAttempts: Math.max(1, Math.floor(maxAttempts)), syncError: null, aborted: false },
    report: { status: 'pre-syncing', errorMsg: '', final: false },
  };
}

/** Marks the run aborted: the current try still runs its post hooks, but no retry follows. */
export function abortRun(cursor: RunCursor): RunCursor {
  return { ...cursor, aborted: true };
}

function hookFailure(cursor: RunCursor, phase: HookPhase, error: string): RunStep {
  return {
    cursor: { ...cursor, phase: 'done' },
    report: { status: 'failed', errorMsg: `error exec hook ${phase}: ${error}`, final: true },
  };
}

/**
 * Advances a run after the current phase's work finished with `outcome`.
 * A failing hook ends the run with `error exec hook <stage>: <why>`; a failing
 * provider is retried until `maxAttempts` or an abort.
 */
export function advanceRun(cursor: RunCursor, outcome: PhaseOutcome): RunStep {
  const phase = cursor.phase;
  switch (phase) {
    case 'done':
      return { cursor };
    case 'run':
      return { cursor: { ...cursor, phase: 'post-exec', syncError: outcome.ok ? null : outcome.error } };
    case 'pre-job':
      if (!outcome.ok) return hookFailure(cursor, phase, outcome.error);
      return { cursor: { ...cursor, phase: 'pre-exec' } };
    case 'pre-exec':
      if (!outcome.ok) return hookFailure(cursor, phase, outcome.error);
      return { cursor: { ...cursor, phase: 'run' }, report: { status: 'syncing', errorMsg: '', final: false } };
    case 'post-exec':
      if (!outcome.ok) return hookFailure(cursor, phase, outcome.error);
      return { cursor: { ...cursor, phase: cursor.syncError === null ? 'post-success' : 'post-fail' } };
    // success / failed is reported after the post-success / post-fail hooks ran,
    // so a failing hook there gives exactly one final report. (tunasync reports
    // success first and then failed when a post-success hook fails.)
    case 'post-success':
      if (!outcome.ok) return hookFailure(cursor, phase, outcome.error);
      return { cursor: { ...cursor, phase: 'done' }, report: { status: 'success', errorMsg: '', final: true } };
    case 'post-fail': {
      if (!outcome.ok) return hookFailure(cursor, phase, outcome.error);
      const last = cursor.aborted || cursor.attempt + 1 >= cursor.maxAttempts;
      const report: RunReport = { status: 'failed', errorMsg: cursor.syncError ?? '', final: last };
      if (last) return { cursor: { ...cursor, phase: 'done' }, report };
      return { cursor: { ...cursor, phase: 'pre-exec', attempt: cursor.attempt + 1, syncError: null }, report };
    }
  }
}
