/**
 * The contract between the worker and what it runs: providers (how a mirror
 * is synced) and hooks (what wraps a sync). Write a class implementing
 * `Provider` to add a new kind of mirror; the worker loads it when a mirror's
 * `provider` names your module (see the worker's README).
 */
import type { Logger } from './logger.js';
import type { HookPhase } from './job-state.js';

/** A command to start: argv plus where and how. The worker starts it in its own process group. */
export interface CommandSpec {
  /** Program and arguments; never passed through a shell. */
  argv: string[];
  /** Working directory. */
  cwd: string;
  /** Environment added to the worker's (after the TUNASYNC_* variables). */
  env: Record<string, string>;
}

/** How a command ended. */
export interface CommandResult {
  /** Exit code, or null when killed by a signal. */
  exitCode: number | null;
  /** The signal that killed it, if any. */
  signal: NodeJS.Signals | null;
  /** True when the exit code is 0 or in the mirror's success exit codes. */
  success: boolean;
}

/** Options for RunContext.exec. */
export interface ExecOptions {
  /** Extra environment for this command only. */
  env?: Record<string, string>;
  /** Working directory (default: the job's directory). */
  cwd?: string;
}

/** What providers and hooks both get: the job, the try, where it logs, and the run's abort signal. */
export interface JobContext {
  /** The mirror's name. */
  readonly name: string;
  /**
   * Where this run writes: the job's directory (`mirror_dir` or `<global
   * mirror_dir>/<subdir>/<name>`), or its staging copy under `atomic_publish`.
   */
  readonly workingDir: string;
  /** This run's upstream: the mirror's, or the fallback `check_upstream` chose (absent from older workers). */
  readonly upstream?: string;
  /** The mirror's log directory. */
  readonly logDir: string;
  /** This try's log file. */
  readonly logFile: string;
  /** TUNASYNC_* variables and the mirror's `env`. */
  readonly env: Readonly<Record<string, string>>;
  /** Zero-based try number (0 during pre-job). */
  readonly attempt: number;
  /**
   * Aborted on stop, disable, restart and worker halt (and, for a provider,
   * on its timeout). Anything long (a command, a wait) must end promptly once
   * it aborts. In the post stages of an aborted run it is already aborted:
   * a hook's clean-up there must be short and must not wait on it.
   */
  readonly signal: AbortSignal;
  /** The worker's logger, scoped to this job. */
  readonly logger: Logger;
}

/** Everything a provider's `run` gets. */
export interface RunContext extends JobContext {
  /**
   * Runs a command the way the worker runs every provider command: its own
   * process group, output appended to `logFile`, wrapped by hooks (docker,
   * cgroup), killed as a group when `signal` aborts.
   */
  exec(argv: string[], options?: ExecOptions): Promise<CommandResult>;
}

/** What a successful run may tell the worker. */
export interface ProviderRunResult {
  /** Size of the mirror (`"1.5G"` style) if the provider could tell. */
  size?: string;
}

/**
 * A way of syncing one mirror. `run` resolves when the sync succeeded and
 * rejects (with an Error whose message is reported as `error_msg`) when it
 * failed; it must stop promptly once `ctx.signal` aborts.
 */
export interface Provider {
  /** The mirror's name. */
  readonly name: string;
  /** Provider kind as written in worker.conf (`rsync`, `command`, or a module name). */
  readonly kind: string;
  /** The upstream URL reported to the manager. */
  readonly upstream: string;
  /** Performs one try of the sync. */
  run(ctx: RunContext): Promise<ProviderRunResult | void>;
}

/** What a hook gets at each stage. */
export interface HookContext extends JobContext {
  /** The provider being wrapped. */
  readonly provider: Provider;
  /** The stage being run. */
  readonly stage: HookPhase;
  /** The provider's error message in post-fail (and in post-exec after a failed try). */
  readonly syncError?: string;
}

/**
 * Something run around every sync. Every method is optional; a method that
 * throws fails the run with `error exec hook <stage>: <message>`.
 * Pre-stage hooks run in the order they were added, post-stage hooks in
 * reverse order.
 */
export interface Hook {
  /** Short name for logs (`logrotate`, `exec-on-success`, `docker`). */
  readonly name: string;
  /** Once per run, before the first try. */
  preJob?(ctx: HookContext): Promise<void> | void;
  /** Before each try. */
  preExec?(ctx: HookContext): Promise<void> | void;
  /** After each try, whatever its outcome. */
  postExec?(ctx: HookContext): Promise<void> | void;
  /** After a successful try. */
  postSuccess?(ctx: HookContext): Promise<void> | void;
  /** After a failed try. */
  postFail?(ctx: HookContext): Promise<void> | void;
  /**
   * Rewrites every command the provider starts (docker wraps it in
   * `docker run`, cgroup in its exec helper). Applied in hook order.
   */
  wrapCommand?(spec: CommandSpec, ctx: RunContext): CommandSpec;
}
