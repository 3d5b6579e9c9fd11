/**
 * `POST /cmd`: a client's command, forwarded to the worker's control server
 * as a WorkerCmd, and recorded (stop → paused, disable → disabled) once the
 * worker accepted it.
 */
import {
  UpstreamError,
  ValidationError,
  emptyMirrorStatus,
  errorMessage,
  serializeWorkerCmd,
  type ClientCmd,
  type createHttpClient,
  type Clock,
  type JobStore,
  type Logger,
  type WorkerStatus,
} from '@tunasync/core';
import type { RunRetention } from './history/retention.js';
import { LINK_LOCAL_LOOKUP_ERROR, checkWorkerUrl, linkLocalGuard } from './worker-url.js';

/** What forwardCommand needs. */
export interface CommandContext {
  store: JobStore;
  logger: Logger;
  /** got instance with the CA, the timeout and no retries. */
  http: ReturnType<typeof createHttpClient>;
  /** The bearer token to send to a worker, if any. */
  tokenFor(worker: WorkerStatus): string | undefined;
  /** `[server] allow_worker_urls`: link-local worker URLs allowed anyway. */
  allowWorkerUrls?: readonly string[];
  /** The manager's clock (when a stop or disable aborted a run). */
  clock: Clock;
  /** Retention of the run history, told when a stop or disable aborted a run. */
  history?: RunRetention;
}

/** Longest worker message passed on to the client. */
const MAX_WORKER_MESSAGE = 200;

/**
 * The message of a worker's error answer, only when it is worker-protocol
 * JSON (`{"msg": "..."}`, or our `{"error": "...", "code": "..."}`): anything
 * else (an HTML page, a metadata service's answer) is not shown to the admin.
 */
export function workerMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  let text: string | undefined;
  if (typeof o.msg === 'string') text = o.msg;
  else if (typeof o.error === 'string' && typeof o.code === 'string') text = o.error;
  if (text === undefined || text === '') return undefined;
  return text.length > MAX_WORKER_MESSAGE ? `${text.slice(0, MAX_WORKER_MESSAGE)}…` : text;
}

/**
 * Posts `cmd` to `worker` (redirects are not followed: a worker URL cannot
 * send the manager, and the token, elsewhere). Once the worker accepted a
 * `stop` or `disable`, records `paused` or `disabled`. Resolves with the
 * reply for the client; throws a TunasyncError: 500 `worker_unreachable`
 * when the worker cannot be reached, 502 `worker_refused` when it answers
 * anything but 2xx (tunasync ignored the worker's answer).
 */
export async function forwardCommand(ctx: CommandContext, worker: WorkerStatus, cmd: ClientCmd): Promise<{ message: string }> {
  if ((cmd.cmd === 'stop' || cmd.cmd === 'disable') && cmd.mirrorId === '') {
    throw new ValidationError(`mirror_id is required for ${cmd.cmd}`, 'mirror_id');
  }
  // A URL registered before the link-local rule existed is refused here too.
  checkWorkerUrl(worker.url, ctx.allowWorkerUrls);
  ctx.logger.verbose(`Posting command '${cmd.cmd} ${cmd.mirrorId}' to <${worker.id}>`, { worker: worker.id, job: cmd.mirrorId, cmd: cmd.cmd });
  const token = ctx.tokenFor(worker);
  const allowed = ctx.allowWorkerUrls ?? [];
  let status: number;
  let body: string;
  try {
    const res = await ctx.http.post(worker.url, {
      json: serializeWorkerCmd(cmd),
      headers: token ? { authorization: `Bearer ${token}` } : {},
      throwHttpErrors: false,
      followRedirect: false,
      dnsLookup: linkLocalGuard(undefined, allowed),
      responseType: 'text',
    });
    status = res.statusCode;
    body = res.body;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === LINK_LOCAL_LOOKUP_ERROR) {
      throw new ValidationError(`url: ${errorMessage(err)}`, 'url', 'worker_url_not_allowed');
    }
    const message = `post command to worker ${worker.id}(${worker.url}) fail: ${errorMessage(err)}`;
    ctx.logger.error(message, { worker: worker.id, cmd: cmd.cmd });
    throw new UpstreamError(message, 500, { cause: err, wireCode: 'worker_unreachable' });
  }
  if (status < 200 || status >= 300) {
    const said = workerMessage(body);
    const message = `worker ${worker.id} answered ${status}${said !== undefined ? `: ${said}` : ''}`;
    ctx.logger.warn(message, { worker: worker.id, cmd: cmd.cmd, job: cmd.mirrorId });
    throw new UpstreamError(message, 502, { wireCode: 'worker_refused' });
  }
  // Recorded only now (tunasync records before forwarding): a command the
  // worker refused, e.g. for a mirror it does not have, leaves no phantom job.
  const newStatus = cmd.cmd === 'stop' ? 'paused' : cmd.cmd === 'disable' ? 'disabled' : undefined;
  if (newStatus !== undefined) {
    // The job's open run, if any, ends `aborted` in the same transaction.
    const at = ctx.clock.now();
    await ctx.store.updateMirrorStatus(
      worker.id,
      cmd.mirrorId,
      (prev) => ({ ...(prev ?? emptyMirrorStatus(cmd.mirrorId, worker.id)), status: newStatus }),
      () => ({ kind: 'abort', at }),
    );
    ctx.history?.runEnded(worker.id, cmd.mirrorId);
    ctx.logger.info(`Job [${cmd.mirrorId}] @<${worker.id}> ${newStatus}`, { job: cmd.mirrorId, worker: worker.id, status: newStatus });
  }
  return { message: `successfully send command to worker ${worker.id}` };
}
