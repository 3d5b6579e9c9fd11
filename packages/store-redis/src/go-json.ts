/**
 * tunasync's Redis layout, byte for byte: its manager (manager/db.go and the
 * redis adapter) keeps two hashes, `workers` (field: worker id) and
 * `mirror_status` (field: `<mirror>/<worker>`), whose values are Go's
 * `json.Marshal` of WorkerStatus and MirrorStatus: fields in struct order,
 * times as RFC 3339, and Go's HTML-safe escaping of `<`, `>`, `&`, U+2028
 * and U+2029. Our own data lives under `tunasync-ts:` keys, which tunasync
 * never reads.
 */
import {
  parseMirrorStatus,
  parseWorkerStatus,
  serializeMirrorStatus,
  serializeWorkerStatus,
  type MirrorStatus,
  type WorkerStatus,
} from '@tunasync/core';

/** tunasync's hash of workers (`_workerBucketKey`). */
export const WORKERS_KEY = 'workers';
/** tunasync's hash of job statuses (`_statusBucketKey`). */
export const STATUS_KEY = 'mirror_status';
/** The prefix of every key of ours. */
export const OWN_PREFIX = 'tunasync-ts:';

/** The `mirror_status` field of a job, as tunasync builds it (`mirrorID + "/" + workerID`). */
export function statusField(workerId: string, mirrorId: string): string {
  return `${mirrorId}/${workerId}`;
}

/** JSON text as Go's encoding/json writes it (HTML-safe escapes). */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A worker as tunasync stores it. */
export function workerJson(w: WorkerStatus): string {
  return goJson(serializeWorkerStatus(w));
}

/** A job status as tunasync stores it. */
export function statusJson(s: MirrorStatus): string {
  return goJson(serializeMirrorStatus(s));
}

/** Reads a stored worker (ours or tunasync's); undefined when it is not valid JSON of that shape. */
export function readWorker(text: string | null | undefined): WorkerStatus | undefined {
  if (!text) return undefined;
  try {
    return parseWorkerStatus(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Reads a stored job status (ours or tunasync's); undefined when it is not valid. */
export function readStatus(text: string | null | undefined): MirrorStatus | undefined {
  if (!text) return undefined;
  try {
    return parseMirrorStatus(JSON.parse(text));
  } catch {
    return undefined;
  }
}
