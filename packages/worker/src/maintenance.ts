/**
 * The worker's maintenance gate (issue 16): while any manager says
 * maintenance mode is on (learned from heartbeat answers), a scheduled run
 * that falls due is held instead of started; when maintenance ends, each
 * held job runs once. Runs already going finish; a `start` by hand does not
 * pass through the gate. Wraps the scheduler's `onDue` in one place.
 */
import type { Logger, MaintenanceState } from '@tunasync/core';

/** Holds scheduled starts while maintenance mode is on. */
export class MaintenanceGate {
  private readonly states = new Map<string, MaintenanceState>();
  private readonly held = new Map<string, () => void>();

  constructor(private readonly logger: Logger) {}

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
    if (state) this.states.set(base, state);
    else this.states.delete(base);
    if (!was && this.on) this.logger.info(`maintenance mode on (manager ${base}: ${state?.message ?? ''}): scheduled runs are held`);
    if (was && !this.on) {
      const held = [...this.held.values()];
      this.held.clear();
      this.logger.info(`maintenance mode off: ${held.length} held scheduled run(s) start now`);
      for (const run of held) run();
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
