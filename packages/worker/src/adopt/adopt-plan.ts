/** What a starting worker does with a run its predecessor left (see adoption.ts). */
import type { RecordedExit, RunRecord } from './run-records.js';

/** How a recorded run is taken over by a MirrorJob. */
export type AdoptPlan =
  /** Its process runs (pid and start time match): watch it until it ends. */
  | { mode: 'alive'; record: RunRecord }
  /** Its Docker client is gone but its container runs: `docker wait` for it. */
  | { mode: 'container'; record: RunRecord }
  /** It ended while no worker ran: complete the run from its exit status. */
  | { mode: 'ended'; record: RunRecord; exit: RecordedExit }
  /** It vanished without an exit status: the run failed. */
  | { mode: 'lost'; record: RunRecord }
  /** keep_syncs_on_restart is off: its process group was killed at start; the run failed. */
  | { mode: 'killed'; record: RunRecord };

/** The error of a run that vanished while no worker ran. */
export const LOST_MESSAGE = 'lost while the worker was down';

/** The error of a run killed by the next worker (keep_syncs_on_restart off). */
export const KILLED_MESSAGE = 'killed when the worker restarted (keep_syncs_on_restart is off)';

/** The run's error when the plan settles it without waiting (lost, killed); undefined otherwise. */
export function settledError(plan: AdoptPlan): string | undefined {
  if (plan.mode === 'lost') return LOST_MESSAGE;
  if (plan.mode === 'killed') return KILLED_MESSAGE;
  return undefined;
}
