/**
 * One mirror job: drives core's state machine. Control actions go through
 * `controlTransition`; a run walks `beginRun` / `advanceRun` through its
 * phases, running hooks and the provider, and emits typed events for every
 * state change, phase and status, so callers (the reporter, the scheduler,
 * tests) react to transitions instead of polling.
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
  type ExecOptions,
  type Hook,
  type HookContext,
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
import { setUpRun, type RunGuardDeps, type RunSetup } from './guards/run-plan.js';
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
}

const ABORT_REASONS: Partial<Record<ControlAction, string>> = {
  stop: 'stopped by command',
  disable: 'disabled by command',
  restart: 'restarted by command',
  halt: 'worker is halting',
};

const HOOK_METHOD: Record<HookPhase, 'preJob' | 'preExec' | 'postExec' | 'postSuccess' | 'postFail'> = {
  'pre-job': 'preJob',
  'pre-exec': 'preExec',
  'post-exec': 'postExec',
  'post-success': 'postSuccess',
  'post-fail': 'postFail',
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

  constructor(private readonly opts: MirrorJobOptions) {
    super();
    this.log = opts.logger.child({ job: opts.mirror.name });
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
        this.beginRun(trigger ?? (action === 'force-start' ? 'force' : 'manual'));
      }
    }
  }

  private beginRun(trigger: RunTrigger): void {
    const controller = new AbortController();
    const { slot, bypass } = this.opts.slots.acquire(controller.signal);
    if (this.bypassNext) {
      this.bypassNext = false;
      this.log.info('concurrency limit ignored (forced start)');
      bypass();
    }
    const run: ActiveRun = {
      controller,
      bypass,
      done: Promise.resolve(),
      runId: randomUUID(),
      trigger,
      started: this.opts.clock.now(),
      attempts: 0,
      exitCode: null,
    };
    run.done = this.execute(run, slot)
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

  private async execute(run: ActiveRun, slot: Promise<(() => void) | undefined>): Promise<'success' | 'failed' | 'skipped'> {
    const runSignal = run.controller.signal;
    const release = await slot;
    if (!release) return 'skipped';
    run.started = this.opts.clock.now(); // the run's duration counts from its slot, not its wait
    const m = this.opts.mirror;
    let succeeded = false;
    try {
      const setup = await setUpRun(m, this.log, runSignal, this.opts.runGuards);
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
      this.report(run, 1, 'pre-syncing', '', false);
      while (cursor.phase !== 'done') {
        if (runSignal.aborted && !cursor.aborted) cursor = abortRun(cursor);
        this.emit('phase', { job: this.name, phase: cursor.phase, attempt: cursor.attempt });
        let outcome: PhaseOutcome;
        if (cursor.phase === 'run') {
          const r = await this.runProvider(run, cursor, logFile);
          outcome = r.outcome;
          size = r.size;
          if (r.timedOut) cursor = abortRun(cursor);
        } else {
          if (cursor.phase === 'pre-exec') {
            logFile = runLogFile(m.logDir, m.name, this.opts.clock.now());
            this.tryBegins(run, cursor, logFile);
          }
          outcome = await this.runHooks(cursor.phase as HookPhase, cursor, logFile, runSignal);
        }
        step = advanceRun(cursor, outcome);
        if (step.report) {
          let r = step.report;
          if (r.status === 'success' && r.final && run.setup?.staging) r = await this.publish(run.setup, r);
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
    }
    return succeeded ? 'success' : 'failed';
  }

  /** Swaps an `atomic_publish` run's staging copy in; a swap that fails turns the success into a failure. */
  private async publish<R extends { status: SyncStatus; errorMsg: string }>(setup: RunSetup, report: R): Promise<R> {
    try {
      await setup.staging!.publish();
      this.log.info(`published ${setup.workDir} as ${this.opts.mirror.mirrorDir}`);
      return report;
    } catch (err) {
      return { ...report, status: 'failed', errorMsg: `atomic_publish: ${errorMessage(err)}` };
    }
  }

  private tryBegins(run: ActiveRun, cursor: RunCursor, logFile: string): void {
    run.attempts = cursor.attempt + 1;
    run.logFile = logFile;
    run.exitCode = null;
    run.stats = undefined;
    this.emit('run-start', { job: this.name, runId: run.runId, attempt: run.attempts, trigger: run.trigger, logFile, at: this.opts.clock.now() });
  }

  private env(logFile: string): Record<string, string> {
    const m = this.opts.mirror;
    const setup = this.active?.setup;
    return {
      TUNASYNC_MIRROR_NAME: m.name,
      TUNASYNC_WORKING_DIR: setup?.workDir ?? m.mirrorDir,
      TUNASYNC_UPSTREAM_URL: setup?.upstream ?? m.upstream,
      TUNASYNC_LOG_DIR: m.logDir,
      TUNASYNC_LOG_FILE: logFile,
      ...m.env,
    };
  }

  private async runHooks(phase: HookPhase, cursor: RunCursor, logFile: string, signal: AbortSignal): Promise<PhaseOutcome> {
    const m = this.opts.mirror;
    const hooks = phase.startsWith('pre') ? this.opts.hooks : [...this.opts.hooks].reverse();
    const ctx: HookContext = {
      name: m.name,
      provider: this.opts.provider,
      workingDir: this.active?.setup?.workDir ?? m.mirrorDir,
      logDir: m.logDir,
      logFile,
      env: this.env(logFile),
      attempt: cursor.attempt,
      stage: phase,
      ...(cursor.syncError !== null ? { syncError: cursor.syncError } : {}),
      signal,
      logger: this.log,
    };
    for (const hook of hooks) {
      const method = hook[HOOK_METHOD[phase]];
      if (!method) continue;
      try {
        await method.call(hook, ctx);
      } catch (err) {
        this.log.error(`hook ${hook.name} failed at ${phase}: ${errorMessage(err)}`);
        return { ok: false, error: errorMessage(err) };
      }
    }
    return { ok: true };
  }

  private async runProvider(
    run: ActiveRun,
    cursor: RunCursor,
    logFile: string,
  ): Promise<{ outcome: PhaseOutcome; size?: string; timedOut: boolean }> {
    const m = this.opts.mirror;
    const runSignal = run.controller.signal;
    if (runSignal.aborted) return { outcome: { ok: false, error: errorMessage(runSignal.reason) }, timedOut: false };
    const timeout = new AbortController();
    const timer = m.timeout > 0 ? setTimeout(() => timeout.abort(new Error(`timeout after ${m.timeout}s`)), m.timeout * 1000) : undefined;
    const signal = AbortSignal.any([runSignal, timeout.signal]);
    const env = this.env(logFile);
    const workDir = run.setup?.workDir ?? m.mirrorDir;
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
      exec: async (argv, options) => {
        const result = await this.exec(ctx, argv, options);
        run.exitCode = result.exitCode;
        return result;
      },
    };
    const from = await logOffset(logFile);
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

  private async exec(ctx: RunContext, argv: string[], options: ExecOptions = {}): Promise<CommandResult> {
    let spec = { argv, cwd: options.cwd ?? ctx.workingDir, env: { ...ctx.env, ...(options.env ?? {}) } };
    for (const hook of this.opts.hooks) if (hook.wrapCommand) spec = hook.wrapCommand(spec, ctx);
    this.log.debug(`exec: ${spec.argv.join(' ')}`);
    const r = await runInProcessGroup(spec, {
      logFile: ctx.logFile,
      signal: ctx.signal,
      graceMs: this.opts.graceMs ?? 5000,
      env: { ...process.env, ...spec.env },
    });
    const ok = r.exitCode === 0 || (r.exitCode !== null && this.opts.mirror.successExitCodes.includes(r.exitCode));
    return { exitCode: r.exitCode, signal: r.signal, success: ok };
  }
}
