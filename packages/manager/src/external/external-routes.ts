/**
 * Runs done outside the worker (issue 21, tunasync#178): a route module
 * mounted by default with the history routes.
 *
 * `POST /workers/:id/jobs/:job/external` (admin; our extension), body
 * `{"status": "success"|"failed", "at"?: RFC 3339, "size"?: "23.4G",
 * "message"?: "synced from a disk"}`: stamps the job's status as a worker's
 * report would (`last_update` on success, `last_ended` on both, at `at` or
 * the manager's clock) and adds a closed history row with trigger
 * `external`, in one store transaction. Answers `{"job": MirrorStatus,
 * "run": history row}`.
 *
 * The worker is not told: its next run reports over the record, as any run
 * does; until then it sends nothing for the job (it reports on runs only),
 * and a restarted worker schedules the job from the recorded `last_update`.
 * A job that is syncing now is a 409 `job_syncing` (its run's report would
 * overwrite the record at once).
 */
import {
  MAX_ERROR_MSG_BYTES,
  MAX_SIZE_LENGTH,
  NotFoundError,
  TunasyncError,
  ValidationError,
  parseRfc3339,
  serializeMirrorStatus,
  serializeRunRecord,
  type MirrorStatus,
  type RunHistoryStep,
} from '@tunasync/core';
import type { Request, Response } from 'express';
import { randomRunId, type RunIdSource } from '../history/run-rules.js';
import type { ManagerRouteContext, ManagerRouteModule } from '../route-module.js';
import { isUnknownSize } from '../rules.js';

/** What an external run reports. */
export interface ExternalReport {
  status: 'success' | 'failed';
  /** When it ended; undefined: now (the manager's clock). */
  at?: Date;
  /** Size after the run; undefined, `""` or `"unknown"`: the stored size is kept. */
  size?: string;
  /** A note for the history row (and `error_msg` of a failed status). */
  message: string;
}

/** How far in the future `at` may be (clock skew between the operator's machine and the manager), in ms. */
export const EXTERNAL_AT_SKEW_MS = 60_000;

function bad(field: string, why: string): ValidationError {
  return new ValidationError(`${field}: ${why}`, field);
}

/** Reads and checks the body of an external report; a ValidationError names the bad field. */
export function parseExternalReport(body: unknown): ExternalReport {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('the body must be a JSON object');
  const o = body as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['status', 'at', 'size', 'message'].includes(key)) throw bad(key, 'unknown field (known: status, at, size, message)');
  }
  if (o.status !== 'success' && o.status !== 'failed') throw bad('status', 'must be "success" or "failed"');
  const out: ExternalReport = { status: o.status, message: '' };
  if (o.at !== undefined && o.at !== null) out.at = parseRfc3339(o.at, 'at');
  if (o.size !== undefined && o.size !== null) {
    if (typeof o.size !== 'string') throw bad('size', 'must be a string such as "23.4G"');
    if (o.size.length > MAX_SIZE_LENGTH) throw bad('size', `must not be longer than ${MAX_SIZE_LENGTH} characters`);
    out.size = o.size;
  }
  if (o.message !== undefined && o.message !== null) {
    if (typeof o.message !== 'string') throw bad('message', 'must be a string');
    if (Buffer.byteLength(o.message, 'utf8') > MAX_ERROR_MSG_BYTES) throw bad('message', `must not be longer than ${MAX_ERROR_MSG_BYTES} bytes`);
    out.message = o.message;
  }
  return out;
}

/** The stored status after an external run ending `at` (the times a worker's final report would set). */
export function applyExternalReport(prev: MirrorStatus, r: ExternalReport, at: Date): MirrorStatus {
  return {
    ...prev,
    status: r.status,
    lastUpdate: r.status === 'success' ? new Date(at) : prev.lastUpdate,
    lastEnded: new Date(at),
    size: r.size === undefined || isUnknownSize(r.size) ? prev.size : r.size,
    // A success report clears error_msg; a failed one carries the message.
    errorMsg: r.status === 'failed' ? r.message : '',
  };
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  return typeof v === 'string' ? v : '';
}

/** The external-run route module; `newId` makes the run ids (default: the history's). */
export function externalRoutes(newId: RunIdSource = randomRunId): ManagerRouteModule {
  return {
    name: 'external',
    mount(router, ctx: ManagerRouteContext) {
      const { store, auth, clock, logger, jsonBody } = ctx;
      router.post('/workers/:id/jobs/:job/external', auth.admin, jsonBody, async (req: Request, res: Response) => {
        const id = param(req, 'id');
        const job = param(req, 'job');
        const report = parseExternalReport(req.body);
        const now = clock.now();
        const at = report.at ?? now;
        if (at.getTime() > now.getTime() + EXTERNAL_AT_SKEW_MS) {
          throw bad('at', `${at.toISOString()} is in the future (the manager's clock says ${now.toISOString()})`);
        }
        if (!(await store.getWorker(id))) throw new ValidationError(`invalid workerID ${id}`, 'id', 'invalid_worker_id');
        const runId = newId();
        const stored = await store.updateMirrorStatus(
          id,
          job,
          (prev) => {
            if (!prev) throw new NotFoundError(`job ${job} of worker ${id} not found`);
            if (prev.status === 'syncing' || prev.status === 'pre-syncing') {
              throw new TunasyncError('CONFLICT', 409, `job ${job} of worker ${id} is ${prev.status} now: its run will report its own result (stop it first)`, {
                wireCode: 'job_syncing',
              });
            }
            return applyExternalReport(prev, report, at);
          },
          (_prev, next): RunHistoryStep => ({
            kind: 'close',
            runId,
            matchOpen: false,
            at,
            result: report.status,
            trigger: 'external',
            durationS: 0,
            errorMsg: report.message,
            size: next.size,
          }),
        );
        const run = await store.getRun(job, runId, id);
        logger.info(`Job [${job}] @<${id}> ${report.status} (recorded by hand)`, { job, worker: id, status: report.status });
        res.json({ job: serializeMirrorStatus(stored), run: run ? serializeRunRecord(run) : null });
      });
    },
  };
}
