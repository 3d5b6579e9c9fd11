/**
 * The worker's jobs by mirror name: building them, applying commands to
 * them (and what a command does to the schedule), and applying a reloaded
 * config (added, changed and removed mirrors).
 */
import type { ControlAction, Logger, MirrorConfig, WorkerCmd } from '@tunasync/core';
import type { MirrorJob } from '../mirror-job.js';
import type { JobSchedules } from '../schedule/job-schedules.js';
import { schedulePolicyFor } from '../schedule/policy.js';

/** What a JobSet needs. */
export interface JobSetOptions {
  /** Builds a job (provider, hooks, event wiring). */
  build(mirror: MirrorConfig): Promise<MirrorJob>;
  schedules: JobSchedules;
  /** Tells the managers a job is gone. */
  reportJobRemoved(name: string): void;
  logger: Logger;
}

/** Two mirror configs that compare equal need no new job on reload. */
const comparable = (m: MirrorConfig): string => JSON.stringify({ ...m, source: undefined });

/** The jobs of a worker. */
export class JobSet {
  private readonly map = new Map<string, MirrorJob>();

  constructor(private readonly opts: JobSetOptions) {}

  /** The jobs by mirror name (a live view). */
  get jobs(): ReadonlyMap<string, MirrorJob> {
    return this.map;
  }

  /** Builds the jobs of `mirrors` (none is scheduled yet). */
  async create(mirrors: MirrorConfig[]): Promise<void> {
    for (const m of mirrors) this.add(await this.opts.build(m));
  }

  private add(job: MirrorJob): void {
    this.map.set(job.name, job);
    this.opts.schedules.track(job.name, schedulePolicyFor(job.mirror));
  }

  /**
   * Applies a job command. A ping changes nothing; stop and disable hold the
   * schedule; a start replaces an interval job's pending run (its next run
   * follows from this run's end) and leaves a cron job's alone.
   */
  async command(cmd: WorkerCmd): Promise<void> {
    const job = this.map.get(cmd.mirrorId);
    if (!job) throw new Error(`Mirror ${cmd.mirrorId} not found`);
    if (cmd.cmd === 'reload') throw new Error('Invalid Command: reload takes no mirror');
    const action: ControlAction = cmd.cmd === 'start' && cmd.options.force ? 'force-start' : cmd.cmd;
    const holds = action === 'stop' || action === 'disable';
    if (holds) this.opts.schedules.hold(job.name);
    await job.control(action, action === 'force-start' ? 'force' : 'manual');
    if (holds) this.opts.schedules.hold(job.name);
    else if (action !== 'ping') this.opts.schedules.started(job.name);
  }

  /**
   * Replaces changed jobs (keeping paused/disabled), adds new ones (scheduled
   * now), removes the rest. The new jobs are built first: when that fails,
   * nothing has changed and `commit` (the caller's switch to the new config)
   * has not been called.
   */
  async reload(before: MirrorConfig[], after: MirrorConfig[], commit: () => void = () => {}): Promise<void> {
    const old = new Map(before.map((m) => [m.name, m]));
    const kept = new Set(after.map((m) => m.name));
    const created = new Map<string, MirrorJob>();
    for (const m of after) {
      const prev = old.get(m.name);
      if (!prev || comparable(prev) !== comparable(m)) created.set(m.name, await this.opts.build(m));
    }
    commit();
    for (const [name, job] of this.map) {
      if (kept.has(name) && !created.has(name)) continue;
      this.opts.schedules.forget(name);
      const state = job.state;
      await job.control('disable');
      this.map.delete(name);
      const replacement = created.get(name);
      if (replacement) replacement.restoreState(state === 'paused' || state === 'disabled' ? state : 'none');
      else this.opts.reportJobRemoved(name);
      this.opts.logger.info(replacement ? `reloaded job ${name}` : `removed job ${name}`);
    }
    for (const [name, job] of created) {
      this.add(job);
      if (job.state === 'none') this.opts.schedules.arm(name);
      if (!old.has(name)) this.opts.logger.info(`new job ${name}`);
    }
  }

  /** Halts every job (aborting runs); resolves when they have ended. */
  async halt(): Promise<void> {
    await Promise.all([...this.map.values()].map((j) => j.control('halt')));
  }
}
