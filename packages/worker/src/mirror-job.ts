/**
 * One mirror job: drives core's state machine. Control actions go through
 * `controlTransition`; a run walks `beginRun` / `advanceRun` through its
 * phases, running hooks and the provider, and emits typed events for every
 * state change, phase and status, so callers (the reporter, the scheduler,
 * tests) react to transitions instead of polling. Provider commands go
 * through JobCommands (adopt/job-commands.ts), which records them in the
 * state directory; `detach` leaves a running one to the next worker and
 * `adopt` takes over one a previous worker left (adopt/adoption.ts).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import {
  abortRun,
  advanceRun,
  beginRun,
  controlTransition,
  errorMessage,
  type Clock,
  type CommandResult,
  type ControlAction,
  type Hook,
  type HookPhase,
  type JobState,
  type Logger,
  type MirrorConfig,
  type PhaseOutcome,
  type Provider,
  type RunContext,
  type RunCursor,
  type RunTrigger,
  type SyncStatus,
} from '@tunasync/core';
import type { JobRunSummary, MirrorJobEvents } from './mirror-job-events.js';
import { logOffset, transferStatsOf, type TransferStats } from './providers/transfer-stats.js';
import { logFileNow, runLogFile } from './hooks/log-rotation.js';
import { runInProcessGroup } from './process-group.js';
import { publishRun, runMirror, setUpRun, type RunGuardDeps, type RunSetup } from './guards/run-plan.js';
import { settledError, type AdoptPlan } from './adopt/adopt-plan.js';
import { JobCommands } from './adopt/job-commands.js';
import type { RunRecords } from './adopt/run-records.js';
import { jobEnv, runHookPhase } from './run-hooks.js';
import type { ConcurrencySlots } from './slots.js';

export type { JobStateEvent, JobStatusEvent, JobPhaseEvent, JobRunStartEvent, JobRunEndEvent, JobRunSummary, MirrorJobEvents } from './mirror-job-events.js';

/** What a MirrorJob needs. */
export interface MirrorJobOptions {
  mirror: MirrorConfig;
  provider: Provider;
  /** In order; post-stage hooks run in reverse. */
  hooks: Hook[];
  slots: ConcurrencySlots;
  logger: Logger;
  clock: Clock;
  /** Milliseconds between SIGTERM and SIGKILL when a run is aborted (default 5000). */
  graceMs?: number;
  /** How the run guards (`min_free_space`, `check_upstream`) look at the world; real by default. */
  runGuards?: RunGuardDeps;
  /** The state directory's run records: provider commands are recorded there and can outlive the worker. */
  runRecords?: RunRecords;
}

interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
  bypass: () => void;
  runId: string;
  trigger: RunTrigger;
  started: Date;
  /** Tries begun so far. */
  attempts: number;
  /** Exit code of the last provider command. */
  exitCode: number | null;
  /** The current try's log file, once known. */
  logFile?: string;
  /** What the current try transferred, once its provider is done. */
  stats?: TransferStats;
  /** How the run ended, once its final status was made. */
  summary?: JobRunSummary;
  /** Upstream and directory of this run (run guards, atomic publish), once its slot was taken. */
  setup?: RunSetup;
  /** When the current try's timeout runs out (epoch ms), or null. */
  deadline: number | null;
}

const ABORT_REASONS: Partial<Record<ControlAction, string>> = {
  stop: 'stopped by command',
  disable: 'disabled by command',
  restart: 'restarted by command',
  halt: 'worker is halting',
};

/** A mirror job and its runs. */
export class MirrorJob extends EventEmitter<MirrorJobEvents> {
  private stateValue: JobState = 'none';
  private active: ActiveRun | undefined;
  private bypassNext = false;
  /** The last final status this job reported (a skipped run reports it again, unchanged). */
  private lastFinal: SyncStatus = 'none';
  private queue: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  private readonly commands: JobCommands;

  constructor(private readonly opts: MirrorJobOptions) {
    super();
    this.log = opts.logger.child({ job: opts.mirror.name });
    this.commands = new JobCommands({
      mirror: opts.mirror,
      providerKind: opts.provider.kind,
      hooks: opts.hooks,
      graceMs: opts.graceMs ?? 5000,
      logger: this.log,
      ...(opts.runRecords ? { records: opts.runRecords } : {}),
    });
  }

  /** The mirror's name. */
  get name(): string {
    return this.opts.mirror.name;
  }

  /** The job's configuration. */
  get mirror(): MirrorConfig {
    return this.opts.mirror;
  }

  /** The provider that syncs it. */
  get provider(): Provider {
    return this.opts.provider;
  }

  /** The control state. */
  get state(): JobState {
    return this.stateValue;
  }

  /** True while a run is queued for a slot or in progress. */
  get running(): boolean {
    return this.active !== undefined;
  }

  /** The log file of the current run's current try; undefined when no try is running. */
  get currentLogFile(): string | undefined {
    return this.active?.logFile;
  }

  /** The id of the current run (queued or in progress). */
  get currentRunId(): string | undefined {
    return this.active?.runId;
  }

  /**
   * Lets the running provider command go, for the next worker to adopt (the
   * worker exits keeping its syncs): the run is left as it is, nothing more
   * of it is done or reported here. False when no recorded command runs now
   * (the caller halts the job as usual).
   */
  detach(): boolean {
    return this.active !== undefined && this.commands.detach();
  }

  /**
   * Takes over a run a previous worker process left (adoption.ts): the job
   * is `ready` with that run in flight, its id, trigger, start and try; the
   * run continues at its provider phase (watching, completing or failing the
   * recorded command, as the plan says) and then runs the remaining phases
   * as any run does. Its slot counts against `concurrent` at once.
   */
  adopt(plan: AdoptPlan): void {
    if (this.active) throw new Error(`job ${this.name} already has a run`);
    this.setState('ready');
    this.startRun(plan.record.trigger, { id: plan.record.runId, started: new Date(plan.record.started), plan });
  }

  /** Sets the state without a transition (restoring paused/disabled at start-up). */
  restoreState(state: JobState): void {
    this.setState(state);
  }

  /**
   * Applies a control action. Actions are applied one at a time in order;
   * the promise resolves once its effects are done (an aborted run has ended,
   * a new run has been started, not finished). `trigger` labels a run the
   * action begins (default: `force` for force-start, else `manual`).
   */
  control(action: ControlAction, trigger?: RunTrigger): Promise<void> {
    const next = this.queue.then(() => this.apply(action, trigger));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Resolves when the current run (if any) has ended. */
  async idle(): Promise<void> {
    await this.queue;
    await this.active?.done;
  }

  private setState(to: JobState): void {
    const from = this.stateValue;
    if (from === to) return;
    this.stateValue = to;
    this.emit('state', { job: this.name, from, to });
  }

  private async apply(action: ControlAction, trigger: RunTrigger | undefined): Promise<void> {
    const t = controlTransition(this.stateValue, action, this.active !== undefined);
    this.log.debug(`control ${action}: ${this.stateValue} -> ${t.state} [${t.effects.join(', ')}]`);
    this.setState(t.state);
    for (const effect of t.effects) {
      if (effect === 'abort-run' && this.active) {
        const run = this.active;
        run.controller.abort(new Error(ABORT_REASONS[action] ?? `aborted by ${action}`));
        await run.done;
      } else if (effect === 'bypass-concurrency') {
        if (this.active) this.active.bypass();
        else this.bypassNext = true;
      } else if (effect === 'begin-run') {
        this.startRun(trigger ?? (action === 'force-start' ? 'force' : 'manual'));
      }
    }
  }

  private startRun(trigger: RunTrigger, adopted?: { id: string; started: Date; plan: AdoptPlan }): void {
    const controller = new AbortController();
    const { slot, bypass } = this.opts.slots.acquire(controller.signal);
    if (adopted) bypass(); // an adopted sync runs already: it takes its slot past the limit
    else if (this.bypassNext) {
      this.bypassNext = false;
      this.log.info('concurrency limit ignored (forced start)');
      bypass();
    }
    const run: ActiveRun = {
      controller,
      bypass,
      done: Promise.resolve(),
      runId: adopted?.id ?? randomUUID(),
      trigger,
      started: adopted?.started ?? this.opts.clock.now(),
      attempts: 0,
      exitCode: null,
      deadline: null,
    };
    run.done = this.execute(run, slot, adopted?.plan)
      .catch((err: unknown) => {
        this.log.error(`run crashed: ${errorMessage(err)}`);
        return 'failed' as const;
      })
      .then((outcome) => {
        if (this.active === run) this.active = undefined;
        const at = this.opts.clock.now();
        // The final status's summary, so that history and metrics agree; made here when the run never got one.
        const summary = run.summary ?? { exitCode: run.exitCode, durationMs: Math.max(0, at.getTime() - run.started.getTime()), ...(run.logFile ? { logFile: run.logFile } : {}) };
        this.emit('run-end', {
          job: this.name,
          outcome,
          runId: run.runId,
          trigger: run.trigger,
          attempts: run.attempts,
          ...summary,
          aborted: controller.signal.aborted,
          at,
        });
      });
    this.active = run;
  }

  private report(run: ActiveRun, attempt: number, status: SyncStatus, errorMsg: string, final: boolean, size?: string, skipped = false): void {
    // As in tunasync: a run that was stopped or disabled reports nothing more;
    // the manager already recorded paused/disabled when it forwarded the command.
    if (this.stateValue !== 'ready' && this.stateValue !== 'halting') {
      this.log.info(`not reporting ${status}: job is ${this.stateValue}`);
      return;
    }
    const ended = final && run.summary ? { summary: run.summary } : {};
    const { runId, trigger } = run;
    if (final && !skipped) this.lastFinal = status;
    const extra = { ...(skipped ? { skipped } : {}), ...(run.setup && run.setup.upstream !== this.opts.mirror.upstream ? { upstream: run.setup.upstream } : {}) };
    this.emit('status', { job: this.name, status, errorMsg, final, ...(size ? { size } : {}), runId, attempt, trigger, ...ended, ...extra, at: this.opts.clock.now() });
  }

  /** How the run ended, for its final status (also made when that status is not sent: run-end uses it). */
  private async summarize(run: ActiveRun): Promise<JobRunSummary> {
    const durationMs = Math.max(0, this.opts.clock.now().getTime() - run.started.getTime());
    const logFile = run.logFile ? await logFileNow(run.logFile) : undefined;
    return { exitCode: run.exitCode, durationMs, ...(logFile ? { logFile } : {}), ...run.stats };
  }

  private async execute(run: ActiveRun, slot: Promise<(() => void) | undefined>, adopt?: AdoptPlan): Promise<'success' | 'failed' | 'skipped'> {
    const runSignal = run.controller.signal;
    const release = await slot;
    if (!release) return 'skipped';
    if (!adopt) run.started = this.opts.clock.now(); // the run's duration counts from its slot, not its wait
    const m = this.opts.mirror;
    let succeeded = false;
    try {
      // An adopted run already began: its guards passed in the worker that started it.
      const setup = adopt ? { upstream: m.upstream, workDir: m.mirrorDir } : await setUpRun(m, this.log, runSignal, this.opts.runGuards);
      if ('skip' in setup || 'fail' in setup) {
        run.summary = await this.summarize(run);
        const skip = 'skip' in setup;
        this.log.info(skip ? setup.skip : `run failed before it began: ${setup.fail}`);
        this.report(run, 1, skip ? this.lastFinal : 'failed', skip ? setup.skip : setup.fail, true, undefined, skip);
        return skip ? 'skipped' : 'failed';
      }
      run.setup = setup;
      let step = beginRun(m.retry);
      let cursor: RunCursor = step.cursor;
      let size: string | undefined;
      let logFile = runLogFile(m.logDir, m.name, this.opts.clock.now());
      let pending = adopt;
      if (adopt) {
        // An adopted run resumes at its provider phase, in the recorded try; a lost or killed one is not retried.
        cursor = { ...cursor, phase: 'run', attempt: Math.max(0, adopt.record.attempt - 1), aborted: settledError(adopt) !== undefined };
        logFile = adopt.record.logFile;
        this.tryBegins(run, cursor, logFile);
        this.log.info(`adopted run ${run.runId} (${adopt.mode}, pid ${adopt.record.pid})`);
        if (adopt.mode === 'alive' || adopt.mode === 'container') this.report(run, cursor.attempt + 1, 'syncing', '', false);
      } else this.report(run, 1, 'pre-syncing', '', false);
      while (cursor.phase !== 'done') {
        if (runSignal.aborted && !cursor.aborted) cursor = abortRun(cursor);
        this.emit('phase', { job: this.name, phase: cursor.phase, attempt: cursor.attempt });
        let outcome: PhaseOutcome;
        if (cursor.phase === 'run') {
          const r = await this.runProvider(run, cursor, logFile, pending);
          pending = undefined;
          outcome = r.outcome;
          size = r.size;
          if (r.timedOut) cursor = abortRun(cursor);
        } else {
          if (cursor.phase === 'pre-exec') {
            logFile = runLogFile(m.logDir, m.name, this.opts.clock.now());
            this.tryBegins(run, cursor, logFile);
          }
          outcome = await runHookPhase(this.opts.hooks, cursor.phase as HookPhase, { provider: this.opts.provider, cursor, logFile, signal: runSignal, logger: this.log }, runMirror(m, run.setup));
        }
        step = advanceRun(cursor, outcome);
        if (step.report) {
          let r = step.report;
          if (r.status === 'success' && r.final && run.setup?.staging) r = await publishRun(run.setup, r, this.log);
          if (r.status === 'success') succeeded = true;
          if (r.status === 'failed') succeeded = false;
          if (r.final) run.summary = await this.summarize(run);
          this.report(run, cursor.attempt + 1, r.status, r.errorMsg, r.final, r.status === 'success' ? size : undefined);
        }
        cursor = step.cursor;
      }
    } finally {
      if (!succeeded) await run.setup?.staging?.discard().catch((err: unknown) => this.log.warn(`atomic_publish: staging copy not removed: ${errorMessage(err)}`));
      release();
      this.commands.forget();
    }
    return succeeded ? 'success' : 'failed';
  }

  private tryBegins(run: ActiveRun, cursor: RunCursor, logFile: string): void {
    run.attempts = cursor.attempt + 1;
    run.logFile = logFile;
    run.exitCode = null;
    run.stats = undefined;
    this.emit('run-start', { job: this.name, runId: run.runId, attempt: run.attempts, trigger: run.trigger, logFile, at: this.opts.clock.now() });
  }

  private async runProvider(
    run: ActiveRun,
    cursor: RunCursor,
    logFile: string,
    adopt?: AdoptPlan,
  ): Promise<{ outcome: PhaseOutcome; size?: string; timedOut: boolean }> {
    const m = this.opts.mirror;
    const runSignal = run.controller.signal;
    if (runSignal.aborted) return { outcome: { ok: false, error: errorMessage(runSignal.reason) }, timedOut: false };
    const settled = adopt && settledError(adopt);
    if (settled) return { outcome: { ok: false, error: settled }, timedOut: false };
    // An adopted try keeps the deadline it was given when it started.
    run.deadline = adopt ? adopt.record.deadline : m.timeout > 0 ? Date.now() + m.timeout * 1000 : null;
    const timeout = new AbortController();
    const onTimeout = (): void => {
      if (!this.commands.detached) timeout.abort(new Error(`timeout after ${m.timeout}s`));
    };
    const timer = run.deadline !== null ? setTimeout(onTimeout, Math.max(0, run.deadline - Date.now())) : undefined;
    const signal = AbortSignal.any([runSignal, timeout.signal]);
    const workDir = run.setup?.workDir ?? m.mirrorDir;
    const env = jobEnv(runMirror(m, run.setup), logFile);
    let execs = 0;
    const ctx: RunContext = {
      name: m.name,
      workingDir: workDir,
      upstream: run.setup?.upstream ?? m.upstream,
      logDir: m.logDir,
      logFile,
      env,
      attempt: cursor.attempt,
      signal,
      logger: this.log,
      exec: async (argv, options = {}) => {
        const index = execs++;
        let result: CommandResult;
        // Adopting: the try's commands before the recorded one succeeded (the provider went on); the recorded one is taken over.
        if (adopt && index < adopt.record.exec) result = { exitCode: 0, signal: null, success: true };
        else if (adopt && index === adopt.record.exec) result = await this.commands.attach(ctx, argv, options, adopt);
        else result = await this.commands.run(ctx, argv, options, { runId: run.runId, attempt: cursor.attempt + 1, trigger: run.trigger, started: run.started, deadline: run.deadline, exec: index });
        run.exitCode = result.exitCode;
        return result;
      },
    };
    const from = adopt ? 0 : await logOffset(logFile);
    try {
      await mkdir(workDir, { recursive: true });
      const result = await this.opts.provider.run(ctx);
      if (signal.aborted) throw signal.reason;
      return { outcome: { ok: true }, ...(result?.size ? { size: result.size } : {}), timedOut: false };
    } catch (err) {
      const reason = signal.aborted ? signal.reason : err;
      return { outcome: { ok: false, error: errorMessage(reason) }, timedOut: timeout.signal.aborted };
    } finally {
      if (timer) clearTimeout(timer);
      run.stats = await transferStatsOf(this.opts.provider, logFile, from, this.log);
    }
  }
}
