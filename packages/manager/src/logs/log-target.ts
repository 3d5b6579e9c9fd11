/**
 * Which worker a log request goes to: the registered workers that have the
 * mirror; `worker=W` picks one, and without it a mirror on several workers
 * is a 409 listing them.
 */
import { TunasyncError, ValidationError, type JobStore, type WorkerStatus } from '@tunasync/core';

/** A 409: the mirror runs on several workers. */
export class AmbiguousWorkerError extends TunasyncError {
  constructor(
    mirror: string,
    readonly workers: string[],
  ) {
    super('BAD_REQUEST', 409, `${mirror} runs on several workers (${workers.join(', ')}): choose one with worker=W`, { wireCode: 'ambiguous_worker' });
  }
}

/** The worker serving `mirror`'s logs. */
export async function logWorker(store: JobStore, mirror: string, wanted: string | undefined): Promise<WorkerStatus> {
  if (wanted === '') throw new ValidationError('worker: must not be empty', 'worker');
  const registered = new Map((await store.listWorkers()).map((w) => [w.id, w]));
  if (wanted !== undefined) {
    const w = registered.get(wanted);
    if (!w) throw new TunasyncError('NOT_FOUND', 404, `worker ${wanted} is not registered`, { wireCode: 'unknown_worker' });
    const has = (await store.listMirrorStatus(wanted)).some((s) => s.name === mirror);
    if (!has) throw new TunasyncError('NOT_FOUND', 404, `worker ${wanted} has no mirror ${mirror}`, { wireCode: 'unknown_mirror' });
    return w;
  }
  const ids = [...new Set((await store.listAllMirrorStatus()).filter((s) => s.name === mirror && registered.has(s.worker)).map((s) => s.worker))].sort();
  if (ids.length === 0) throw new TunasyncError('NOT_FOUND', 404, `no registered worker has mirror ${mirror}`, { wireCode: 'unknown_mirror' });
  if (ids.length > 1) throw new AmbiguousWorkerError(mirror, ids);
  return registered.get(ids[0]!)!;
}
