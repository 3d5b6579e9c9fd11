/** The hooks of one run phase, and the TUNASYNC_* environment hooks and providers get (a MirrorJob's helpers). */
import { errorMessage, type Hook, type HookContext, type HookPhase, type Logger, type MirrorConfig, type PhaseOutcome, type Provider, type RunCursor } from '@tunasync/core';

const HOOK_METHOD: Record<HookPhase, 'preJob' | 'preExec' | 'postExec' | 'postSuccess' | 'postFail'> = {
  'pre-job': 'preJob',
  'pre-exec': 'preExec',
  'post-exec': 'postExec',
  'post-success': 'postSuccess',
  'post-fail': 'postFail',
};

/** The environment of a try's commands and hooks: the TUNASYNC_* variables, then the mirror's `env`. */
export function jobEnv(m: MirrorConfig, logFile: string): Record<string, string> {
  return {
    TUNASYNC_MIRROR_NAME: m.name,
    TUNASYNC_WORKING_DIR: m.mirrorDir,
    TUNASYNC_UPSTREAM_URL: m.upstream,
    TUNASYNC_LOG_DIR: m.logDir,
    TUNASYNC_LOG_FILE: logFile,
    ...m.env,
  };
}

/** Where a hook phase runs. */
export interface HookPhaseContext {
  provider: Provider;
  cursor: RunCursor;
  logFile: string;
  signal: AbortSignal;
  logger: Logger;
}

/** Runs `phase`'s method of each hook (post-stage ones in reverse order); the first failure ends the phase. */
export async function runHookPhase(hooks: Hook[], phase: HookPhase, at: HookPhaseContext, m: MirrorConfig): Promise<PhaseOutcome> {
  const ordered = phase.startsWith('pre') ? hooks : [...hooks].reverse();
  const { cursor, logFile } = at;
  const ctx: HookContext = {
    name: m.name,
    provider: at.provider,
    workingDir: m.mirrorDir,
    logDir: m.logDir,
    logFile,
    env: jobEnv(m, logFile),
    attempt: cursor.attempt,
    stage: phase,
    ...(cursor.syncError !== null ? { syncError: cursor.syncError } : {}),
    signal: at.signal,
    logger: at.logger,
  };
  for (const hook of ordered) {
    const method = hook[HOOK_METHOD[phase]];
    if (!method) continue;
    try {
      await method.call(hook, ctx);
    } catch (err) {
      at.logger.error(`hook ${hook.name} failed at ${phase}: ${errorMessage(err)}`);
      return { ok: false, error: errorMessage(err) };
    }
  }
  return { ok: true };
}
