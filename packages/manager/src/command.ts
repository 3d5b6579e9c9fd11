/**
 * `POST /cmd`: a client's command, recorded and forwarded to the worker's
 * control server as a WorkerCmd.
 */
import {
  UpstreamError,
  ValidationError,
  emptyMirrorStatus,
  errorMessage,
  serializeWorkerCmd,
  type ClientCmd,
  type createHttpClient,
  type JobStore,
  type Logger,
  type WorkerStatus,
} from '@tunasync/core';

/** What forwardCommand needs. */
export interface CommandContext {
  store: JobStore;
  logger: Logger;
  /** got instance with the CA, the timeout and no retries. */
  http: ReturnType<typeof createHttpClient>;
  /** The bearer token to send to a worker, if any. */
  tokenFor(worker: WorkerStatus): string | undefined;
}

function workerMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      for (const k of ['msg', 'error', 'message']) if (typeof o[k] === 'string') return o[k] as string;
    }
  } catch {
    // not JSON: report the text itself
  }
  const text = body.trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || '(empty body)';
}

/**
 * Records `stop` (→ paused) and `disable` (→ disabled) in the store, then
 * posts the command to `worker`. Resolves with the reply for the client;
 * throws a TunasyncError: 500 when the worker cannot be reached, 502 when it
 * answers 4xx/5xx (tunasync ignored the worker's answer).
 */
export async function forwardCommand(ctx: CommandContext, worker: WorkerStatus, cmd: ClientCmd): Promise<{ message: string }> {
  if ((cmd.cmd === 'stop' || cmd.cmd === 'disable') && cmd.mirrorId === '') {
    throw new ValidationError(`mirror_id is required for ${cmd.cmd}`, 'mirror_id');
  }
  // Recorded before forwarding, as tunasync does: the job is stopped or
  // disabled in the manager's view even if the worker cannot be reached.
  const newStatus = cmd.cmd === 'stop' ? 'paused' : cmd.cmd === 'disable' ? 'disabled' : undefined;
  if (newStatus !== undefined) {
    await ctx.store.updateMirrorStatus(worker.id, cmd.mirrorId, (prev) => ({
      ...(prev ?? emptyMirrorStatus(cmd.mirrorId, worker.id)),
      status: newStatus,
    }));
    ctx.logger.info(`Job [${cmd.mirrorId}] @<${worker.id}> ${newStatus}`, { job: cmd.mirrorId, worker: worker.id, status: newStatus });
  }
  ctx.logger.info(`Posting command '${cmd.cmd} ${cmd.mirrorId}' to <${worker.id}>`, {
    worker: worker.id,
    job: cmd.mirrorId,
    cmd: cmd.cmd,
  });
  const token = ctx.tokenFor(worker);
  let status: number;
  let body: string;
  try {
    const res = await ctx.http.post(worker.url, {
      json: serializeWorkerCmd(cmd),
      headers: token ? { authorization: `Bearer ${token}` } : {},
      throwHttpErrors: false,
      responseType: 'text',
    });
    status = res.statusCode;
    body = res.body;
  } catch (err) {
    const message = `post command to worker ${worker.id}(${worker.url}) fail: ${errorMessage(err)}`;
    ctx.logger.error(message, { worker: worker.id, cmd: cmd.cmd });
    throw new UpstreamError(message, 500, { cause: err });
  }
  if (status >= 400) {
    const message = `worker ${worker.id} answered ${status}: ${workerMessage(body)}`;
    ctx.logger.warn(message, { worker: worker.id, cmd: cmd.cmd, job: cmd.mirrorId });
    throw new UpstreamError(message, 502);
  }
  return { message: `successfully send command to worker ${worker.id}` };
}
