/**
 * At start, what the previous worker process left running (its run records,
 * run-records.ts). With `keep_syncs_on_restart`: a sync whose process still
 * runs (pid and start time both match: a reused pid never counts) is
 * adopted by its job; one that ended meanwhile is completed from its exit
 * status; one that vanished without a status fails ("lost while the worker
 * was down"). With the key off, a sync still running (a crash left it) is
 * killed, its whole process group and its Docker container, before its job
 * runs again, and its run fails. Either way every recorded run gets its
 * final status, with its own run id.
 */
import { rmSync } from 'node:fs';
import { errorMessage, type Logger } from '@tunasync/core';
import { dockerContainerName } from '../hooks/docker.js';
import { commandLine, runTool } from '../hooks/run-tool.js';
import type { MirrorJob } from '../mirror-job.js';
import { groupAlive, processRunning, processStartTime, terminateGroup } from '../process-group.js';
import type { AdoptPlan } from './adopt-plan.js';
import { containerRunning } from './adopted-process.js';
import type { RunRecord, RunRecords } from './run-records.js';

/** What adoptRuns needs. */
export interface AdoptionOptions {
  records: RunRecords;
  jobs: ReadonlyMap<string, MirrorJob>;
  /** `keep_syncs_on_restart`. */
  keep: boolean;
  /** Milliseconds between SIGTERM and SIGKILL when a group is killed. */
  graceMs: number;
  logger: Logger;
}

/** Kills what is left of a recorded sync: its process group (only while its leader is the recorded process, or gone) and its container. */
async function killLeftovers(record: RunRecord, alive: boolean, env: Readonly<Record<string, string>>, graceMs: number, logger: Logger): Promise<void> {
  // A pid reused by another process (another start time) is not ours: neither is its group.
  const leaderGone = processStartTime(record.pid) === undefined;
  if ((alive || leaderGone) && groupAlive(record.pgid)) {
    logger.warn(`killing process group ${record.pgid} of ${record.mirror}'s run ${record.runId}, left by the previous worker`);
    await terminateGroup(record.pgid, graceMs);
  }
  if (record.container && (await containerRunning(record.container, env))) {
    const argv = ['docker', 'stop', '-t', '2', record.container];
    logger.warn(`stopping container left by the previous worker: ${commandLine(argv)}`);
    await runTool(argv, { env, timeoutMs: 30_000 }).catch((err: unknown) => logger.warn(errorMessage(err)));
  }
}

/** What to do with one record. */
async function planFor(record: RunRecord, opts: AdoptionOptions, env: Readonly<Record<string, string>>): Promise<AdoptPlan> {
  const alive = processRunning(record.pid, record.procStart);
  if (!alive) {
    const exit = opts.records.exitOf(record.mirror);
    if (exit) return { mode: 'ended', record, exit };
  }
  const inContainer = !alive && record.container !== undefined && (await containerRunning(record.container, env));
  if (!opts.keep) {
    if (alive || inContainer) {
      await killLeftovers(record, alive, env, opts.graceMs, opts.logger);
      return { mode: 'killed', record };
    }
  } else if (alive) return { mode: 'alive', record };
  else if (inContainer) return { mode: 'container', record };
  await killLeftovers(record, false, env, opts.graceMs, opts.logger);
  return { mode: 'lost', record };
}

/**
 * Takes over every recorded run: adopted ones keep running under their job;
 * killed, ended and lost ones are completed (their final status queued)
 * before this resolves, so their jobs can be scheduled afresh. Returns the
 * names of the jobs whose run was adopted and still runs.
 */
export async function adoptRuns(opts: AdoptionOptions): Promise<string[]> {
  const { records, jobs, logger } = opts;
  const { records: found, bad } = records.list();
  for (const file of bad) {
    logger.warn(`ignoring unreadable run record ${file}`);
    rmSync(file, { force: true });
  }
  const adopted: string[] = [];
  const settling: Promise<void>[] = [];
  for (const record of found) {
    const job = jobs.get(record.mirror);
    if (!job) {
      logger.warn(`run ${record.runId} of ${record.mirror}: the mirror is no longer configured`);
      const container = record.container ?? dockerContainerName(record.mirror);
      await killLeftovers({ ...record, container }, processRunning(record.pid, record.procStart), {}, opts.graceMs, logger);
      records.remove(record.mirror);
      continue;
    }
    const plan = await planFor(record, opts, job.mirror.env);
    logger.info(`run ${record.runId} of ${record.mirror} (pid ${record.pid}): ${plan.mode}`);
    job.adopt(plan);
    if (plan.mode === 'alive' || plan.mode === 'container') adopted.push(job.name);
    else settling.push(job.idle());
  }
  await Promise.all(settling);
  return adopted;
}
