/**
 * The worker's maintenance gate (issue 16): while any manager says
 * maintenance mode is on (learned from heartbeat answers), a scheduled run
 * that falls due is held instead of started; when maintenance ends, each
 * held job runs once. Runs already going finish; a `start` by hand does not
 * pass through the gate. Wraps the scheduler's `onDue` in one place.
 * With a state file (in the worker's state directory) the last state heard
 * survives a worker restart, so the startup runs of a worker restarted
 * during maintenance wait too (a state whose `until` has passed is dropped).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { errorMessage, type Logger, type MaintenanceState } from '@tunasync/core';

/** The state file's name in the state directory. */
export const MAINTENANCE_FILE = 'maintenance.json';

function load(file: string, now: Date, logger: Logger): Map<string, MaintenanceState> {
  const out = new Map<string, MaintenanceState>();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') logger.warn(`ignoring ${file}: ${errorMessage(err)}`);
    return out;
  }
  for (const [base, v] of Object.entries((raw ?? {}) as Record<string, { message?: unknown; since?: unknown; until?: unknown }>)) {
    const until = typeof v?.until === 'string' ? new Date(v.until) : undefined;
    if (until && !(until.getTime() > now.getTime())) continue;
    out.set(base, { message: typeof v?.message === 'string' ? v.message : '', since: new Date(typeof v?.since === 'string' ? v.since : 0), ...(until ? { until } : {}) });
  }
  return out;
}

/** Holds scheduled starts while maintenance mode is on. */
export class MaintenanceGate {
  private readonly states: Map<string, MaintenanceState>;
  private readonly held = new Map<string, () => void>();

  /** `file`: where the state is kept across restarts (none: memory only); `now` for dropping ended states. */
  constructor(private readonly logger: Logger, private readonly file?: string, now: Date = new Date()) {
    this.states = file ? load(file, now, logger) : new Map();
    if (this.on) logger.info(`maintenance mode was on when this worker stopped (${file}): scheduled runs are held until a manager says it is off`);
  }

  /** Whether any manager has maintenance mode on. */
  get on(): boolean {
    return this.states.size > 0;
  }

  /** Jobs whose scheduled run is waiting for maintenance to end. */
  heldJobs(): string[] {
    return [...this.held.keys()];
  }

  /** Records what manager `base` says; releases the held runs when no manager has it on any more. */
  set(base: string, state: MaintenanceState | undefined): void {
    const was = this.on;
    const before = JSON.stringify(this.states.get(base) ?? null);
    if (state) this.states.set(base, state);
    else this.states.delete(base);
    if (this.file && JSON.stringify(state ?? null) !== before) this.save(this.file);
    if (!was && this.on) this.logger.info(`maintenance mode on (manager ${base}: ${state?.message ?? ''}): scheduled runs are held`);
    if (was && !this.on) {
      const held = [...this.held.values()];
      this.held.clear();
      this.logger.info(`maintenance mode off: ${held.length} held scheduled run(s) start now`);
      for (const run of held) run();
    }
  }

  private save(file: string): void {
    try {
      writeFileSync(`${file}.tmp`, `${JSON.stringify(Object.fromEntries(this.states))}\n`);
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.logger.warn(`cannot keep the maintenance state in ${file}: ${errorMessage(err)}`);
    }
  }

  /** Wraps a scheduler's `onDue`: while maintenance is on, the job's run is held (once per job) instead. */
  wrap(onDue: (name: string) => void): (name: string) => void {
    return (name) => {
      if (!this.on) return onDue(name);
      if (!this.held.has(name)) this.logger.info(`maintenance mode: scheduled run of ${name} held until it ends`);
      this.held.set(name, () => onDue(name));
    };
  }
}
