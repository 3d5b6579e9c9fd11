/** Test helpers for the worker: configs from TOML, jobs, waiting for typed events; temp dirs, ports and scripts from @tunasync/testkit. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSilentLogger, parseWorkerConfig, systemClock, type MirrorConfig } from '@tunasync/core';
import {
  CommandProvider,
  ConcurrencySlots,
  ExecHook,
  LogRotationHook,
  MirrorJob,
  type JobStatusEvent,
  type MirrorJobEvents,
} from '@tunasync/worker';

export { freePort, runScript, tempDir, type RunResult as ScriptResult } from '@tunasync/testkit';

/** Resolved mirrors from a `[[mirrors]]` TOML snippet under a global section rooted at `dir`. */
export function mirrorsFrom(dir: string, mirrorsToml: string, globalExtra = ''): MirrorConfig[] {
  const text = `[global]\nname = "w1"\nlog_dir = "${dir}/log/{{.Name}}"\nmirror_dir = "${dir}/data"\n${globalExtra}\n${mirrorsToml}`;
  return parseWorkerConfig(text, join(dir, 'worker.conf')).config.mirrors;
}

/** A MirrorJob for a command mirror with the standard hooks. */
export function commandJob(mirror: MirrorConfig, slots = new ConcurrencySlots(10), graceMs = 500): MirrorJob {
  return new MirrorJob({
    mirror,
    provider: new CommandProvider(mirror),
    hooks: [new LogRotationHook(), new ExecHook('success', mirror.execOnSuccess), new ExecHook('failure', mirror.execOnFailure)],
    slots,
    logger: createSilentLogger(),
    clock: systemClock,
    graceMs,
  });
}

/** Resolves with the first event of `name` for which `pred` holds. */
export function nextEvent<K extends keyof MirrorJobEvents>(
  job: MirrorJob,
  name: K,
  pred: (e: MirrorJobEvents[K][0]) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<MirrorJobEvents[K][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${String(name)} on ${job.name}`)), timeoutMs);
    const listener = (e: MirrorJobEvents[K][0]): void => {
      if (!pred(e)) return;
      clearTimeout(timer);
      (job.off as (n: K, l: typeof listener) => void)(name, listener);
      resolve(e);
    };
    (job.on as (n: K, l: typeof listener) => void)(name, listener);
  });
}

/** Collects every status event of a job. */
export function collectStatuses(job: MirrorJob): JobStatusEvent[] {
  const out: JobStatusEvent[] = [];
  job.on('status', (e) => out.push(e));
  return out;
}

/** Runs one start → run-end cycle and returns the statuses reported. */
export async function runOnce(job: MirrorJob): Promise<JobStatusEvent[]> {
  const statuses = collectStatuses(job);
  const end = nextEvent(job, 'run-end');
  await job.control('start');
  await end;
  return statuses;
}

/** True when process `pid` exists (zombies included). */
export function pidAlive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    if (state === "Z") return false;
  } catch {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
