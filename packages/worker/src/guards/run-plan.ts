/**
 * What a run checks before it starts (issue 18): the free space of the
 * mirror's filesystem (`min_free_space`), then the upstream
 * (`check_upstream`, falling back along `upstream_fallback`). The answer
 * says to skip the run, with why, or which upstream this run uses.
 */
import { errorMessage, type Logger, type MirrorConfig } from '@tunasync/core';
import { prepareStaging, type Staging } from './atomic-publish.js';
import { freeSpaceProblem, statfsSpace, type SpaceReader } from './free-space.js';
import { probeUpstream, type UpstreamProbe } from './upstream-probe.js';

/** The verdict of the run guards. */
export type RunPlan = { skip: string } | { skip?: undefined; upstream: string };

/** How the guards look at the world (real filesystem and network by default). */
export interface RunGuardDeps {
  readSpace?: SpaceReader;
  probe?: UpstreamProbe;
  /** Seconds each probe may take (default 10). */
  probeTimeoutS?: number;
}

/** Checks `mirror`'s guards before a run (nothing is checked for a mirror with none). */
export async function planRun(mirror: MirrorConfig, logger: Logger, signal: AbortSignal, deps: RunGuardDeps = {}): Promise<RunPlan> {
  if (mirror.minFreeSpace) {
    const problem = await freeSpaceProblem(mirror.mirrorDir, mirror.minFreeSpace, deps.readSpace ?? statfsSpace);
    if (problem) return { skip: problem };
  }
  if (!mirror.checkUpstream) return { upstream: mirror.upstream };
  const probe = deps.probe ?? probeUpstream;
  const options = {
    timeoutS: deps.probeTimeoutS ?? 10,
    ...(mirror.username ? { username: mirror.username } : {}),
    ...(mirror.password ? { password: mirror.password } : {}),
    signal,
  };
  const failures: string[] = [];
  for (const url of [mirror.upstream, ...mirror.upstreamFallback]) {
    const problem = await probe(url, options);
    if (signal.aborted) return { skip: 'skipped: aborted while checking the upstream' };
    if (!problem) {
      if (url !== mirror.upstream) logger.warn(`upstream ${mirror.upstream} does not answer (${failures[0]}); this run uses ${url}`);
      return { upstream: url };
    }
    failures.push(problem);
    logger.info(`upstream ${url} does not answer: ${problem}`);
  }
  const n = failures.length;
  return { skip: `skipped: ${n === 1 ? 'the upstream does not' : `none of ${n} upstreams does`} answer (${failures[0]})` };
}

/** True when the mirror's provider only replaces files (rsync without `--inplace`/`--append`), so hard links are a safe staging copy. */
export function writesByRename(mirror: MirrorConfig): boolean {
  if (mirror.provider !== 'rsync' && mirror.provider !== 'two-stage-rsync') return false;
  const options = [...mirror.rsyncGlobalOptions, ...mirror.rsyncOptions, ...(mirror.rsyncOverride ?? [])];
  return !options.some((o) => /^--(inplace|append)/.test(o));
}

/** Where and from what a run syncs, once its guards passed. */
export interface RunSetup {
  /** This run's upstream (the mirror's, or a fallback). */
  upstream: string;
  /** Where this run writes: the mirror directory, or its staging copy under `atomic_publish`. */
  workDir: string;
  /** The staging copy to publish on success or discard otherwise (`atomic_publish`). */
  staging?: Staging;
}

/**
 * Runs the guards, then prepares the staging copy of an `atomic_publish`
 * mirror: `skip` when a guard says so, `fail` when the staging copy cannot
 * be made, else the run's setup.
 */
export async function setUpRun(
  mirror: MirrorConfig,
  logger: Logger,
  signal: AbortSignal,
  deps: RunGuardDeps = {},
): Promise<{ skip: string } | { fail: string } | RunSetup> {
  const plan = await planRun(mirror, logger, signal, deps);
  if (plan.skip !== undefined) return { skip: plan.skip };
  if (!mirror.atomicPublish) return { upstream: plan.upstream, workDir: mirror.mirrorDir };
  try {
    const staging = await prepareStaging(mirror.mirrorDir, { hardLinks: writesByRename(mirror) });
    return { upstream: plan.upstream, workDir: staging.dir, staging };
  } catch (err) {
    return { fail: `atomic_publish: ${errorMessage(err)}` };
  }
}

/** The mirror as one run sees it: its upstream and directory may be a fallback and a staging copy. */
export function runMirror(m: MirrorConfig, setup: RunSetup | undefined): MirrorConfig {
  return setup ? { ...m, upstream: setup.upstream, mirrorDir: setup.workDir } : m;
}

/** Swaps an `atomic_publish` run's staging copy in; a swap that fails turns the success `report` into a failure. */
export async function publishRun<R extends { status: string; errorMsg: string }>(setup: RunSetup, report: R, logger: Logger): Promise<R> {
  try {
    await setup.staging!.publish();
    logger.info(`published ${setup.workDir}`);
    return report;
  } catch (err) {
    return { ...report, status: 'failed', errorMsg: `atomic_publish: ${errorMessage(err)}` };
  }
}
