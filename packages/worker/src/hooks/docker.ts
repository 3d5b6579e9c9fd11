/**
 * `[docker]` with a mirror's `docker_image`: every command the provider
 * starts (rsync, two-stage rsync, command, custom) runs in a throw-away
 * container instead, as the worker's user, with the job's directory, log
 * directory and log file mounted at the same paths, the exclude file mounted
 * read-only, and the job's environment. A stop (or timeout) also runs
 * `docker stop -t 2 <name>`; after each try the worker waits (bounded) for
 * the container to be gone, and warns when it is not, since the next run
 * reuses its name.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandSpec, Hook, HookContext, Logger, MirrorConfig, RunContext } from '@tunasync/core';
import { commandLine, runTool, toolOutput } from './run-tool.js';

/** Worker-wide `[docker]` settings and timing. */
export interface DockerSettings {
  /** `[docker] volumes`, before the mirror's own. */
  volumes: string[];
  /** `[docker] options`, before the mirror's own. */
  options: string[];
  /** How long to wait after a try for the container to be gone (default 10 s). */
  removeWaitMs?: number;
  /** Interval between `docker ps` checks (default 1 s). */
  pollMs?: number;
}

/** The container name of a mirror's jobs: `tunasync-job-<name>` (characters Docker refuses become `_`). */
export function dockerContainerName(mirror: string): string {
  return `tunasync-job-${mirror.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/** What dockerRunArgv needs to know about the try. */
export interface DockerRunContext {
  workingDir: string;
  logDir: string;
  logFile: string;
}

/**
 * The `docker run` command line wrapping `spec`: `docker run --rm -a STDOUT
 * -a STDERR --name N -w DIR -u UID:GID -v … -e KEY … [-m BYTES] OPTIONS IMAGE
 * ARGV…`. Environment variables are passed by name (`-e KEY`): Docker takes
 * their values from its own environment, which is the job's, so secrets such
 * as RSYNC_PASSWORD never appear on a command line.
 */
export function dockerRunArgv(
  spec: CommandSpec,
  ctx: DockerRunContext,
  mirror: Pick<MirrorConfig, 'name' | 'dockerImage' | 'dockerVolumes' | 'dockerOptions' | 'excludeFile' | 'memoryLimit'>,
  settings: Pick<DockerSettings, 'volumes' | 'options'>,
): string[] {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const volumes = [
    `${ctx.logDir}:${ctx.logDir}`,
    `${ctx.logFile}:${ctx.logFile}`,
    `${ctx.workingDir}:${ctx.workingDir}`,
    ...settings.volumes,
    ...mirror.dockerVolumes,
    ...(mirror.excludeFile ? [`${mirror.excludeFile}:${mirror.excludeFile}:ro`] : []),
  ];
  return [
    'docker',
    'run',
    '--rm',
    '-a',
    'STDOUT',
    '-a',
    'STDERR',
    '--name',
    dockerContainerName(mirror.name),
    '-w',
    spec.cwd,
    '-u',
    `${uid}:${gid}`,
    ...volumes.flatMap((v) => ['-v', v]),
    ...Object.keys(spec.env).flatMap((k) => ['-e', k]),
    ...(mirror.memoryLimit ? ['-m', String(mirror.memoryLimit)] : []),
    ...settings.options,
    ...mirror.dockerOptions,
    mirror.dockerImage,
    ...spec.argv,
  ];
}

/** Runs a mirror's commands in Docker. */
export class DockerHook implements Hook {
  /** Hook name in logs. */
  readonly name = 'docker';
  /** The container name of this mirror's commands. */
  readonly container: string;
  private watched: { signal: AbortSignal; onAbort: () => void } | undefined;
  private stopping: Promise<void> | undefined;
  private used = false;

  constructor(
    private readonly mirror: MirrorConfig,
    private readonly settings: DockerSettings,
  ) {
    this.container = dockerContainerName(mirror.name);
  }

  /** Wraps the command in `docker run`; a stop of the try runs `docker stop`. */
  wrapCommand(spec: CommandSpec, ctx: RunContext): CommandSpec {
    this.used = true;
    if (this.watched?.signal !== ctx.signal) {
      this.unwatch();
      const onAbort = (): void => {
        this.stopping = this.stop(ctx.env, ctx.logger);
      };
      this.watched = { signal: ctx.signal, onAbort };
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener('abort', onAbort, { once: true });
    }
    // The env stays on the spec: it becomes docker's environment, where `-e KEY` finds it.
    return { argv: dockerRunArgv(spec, ctx, this.mirror, this.settings), cwd: spec.cwd, env: spec.env };
  }

  /** After a try that ran in Docker: waits for the stop (if any) and for the container to be gone. */
  async postExec(ctx: HookContext): Promise<void> {
    this.unwatch();
    if (this.stopping) await this.stopping;
    this.stopping = undefined;
    if (!this.used) return;
    this.used = false;
    await this.waitGone(ctx.env, ctx.logger);
  }

  private unwatch(): void {
    if (!this.watched) return;
    this.watched.signal.removeEventListener('abort', this.watched.onAbort);
    this.watched = undefined;
  }

  private async stop(env: Readonly<Record<string, string>>, logger: Logger): Promise<void> {
    const argv = ['docker', 'stop', '-t', '2', this.container];
    logger.info(`stopping container: ${commandLine(argv)}`);
    try {
      const r = await runTool(argv, { env, timeoutMs: 30_000 });
      if (r.code !== 0) logger.warn(`${commandLine(argv)} failed (${toolOutput(r)})`);
    } catch (err) {
      logger.warn((err as Error).message);
    }
  }

  private async waitGone(env: Readonly<Record<string, string>>, logger: Logger): Promise<void> {
    const argv = ['docker', 'ps', '-a', '--filter', `name=^${this.container}$`, '--format', '{{.Status}}'];
    const deadline = Date.now() + (this.settings.removeWaitMs ?? 10_000);
    // At least one look after a pause, however slow `docker ps` was.
    for (let checks = 1; ; checks++) {
      let out: string;
      try {
        const r = await runTool(argv, { env, timeoutMs: 30_000 });
        if (r.code !== 0) {
          logger.error(`docker ps failed (${toolOutput(r)})`);
          return;
        }
        out = r.stdout.trim();
      } catch (err) {
        logger.error((err as Error).message);
        return;
      }
      if (!out) return;
      if (Date.now() >= deadline && checks >= 2) {
        logger.warn(`container ${this.container} not removed automatically (${out}), next sync may fail`);
        return;
      }
      logger.debug(`container ${this.container} still exists: ${out}`);
      await sleep(this.settings.pollMs ?? 1000);
    }
  }
}
