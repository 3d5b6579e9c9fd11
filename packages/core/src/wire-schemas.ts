/**
 * JSON Schemas of the wire shapes: fields are typed, unknown extra fields are
 * allowed (Go's decoder ignores them, and so do we). Strings a worker or an
 * admin sends are bounded, so one token cannot make `/jobs` enormous.
 */
import { COMMAND_VERBS, SYNC_STATUSES } from './status.js';

/** Longest name or id (mirror, worker), in UTF-8 bytes: NAME_MAX, as a log file is named after it. */
export const MAX_NAME_BYTES = 255;
/** Longest `upstream`, in UTF-8 bytes (4 KiB). */
export const MAX_UPSTREAM_BYTES = 4096;
/** Longest `size` text (`"23.4G"`), in characters. */
export const MAX_SIZE_LENGTH = 64;
/** Longest `error_msg` kept, in UTF-8 bytes; a longer one is truncated with a marker, not refused. */
export const MAX_ERROR_MSG_BYTES = 4096;

// JSON Schema counts characters; the byte limits are checked after the
// schema by the parse functions (a string of n bytes has at most n characters).
const name = { type: 'string', maxLength: MAX_NAME_BYTES } as const;
const nonEmptyName = { type: 'string', minLength: 1, maxLength: MAX_NAME_BYTES } as const;
const upstream = { type: 'string', maxLength: MAX_UPSTREAM_BYTES } as const;
const size = { type: 'string', maxLength: MAX_SIZE_LENGTH } as const;

const timeString = { type: 'string' } as const;
// Go marshals a nil slice or map as null; accept it as empty.
const stringList = { type: ['array', 'null'], items: { type: 'string' } } as const;
const boolMap = { type: ['object', 'null'], additionalProperties: { type: 'boolean' } } as const;

/** Schema of MirrorStatus. */
export const mirrorStatusSchema = {
  type: 'object',
  required: ['name', 'status'],
  properties: {
    name,
    worker: name,
    is_master: { type: 'boolean' },
    status: { type: 'string', enum: [...SYNC_STATUSES] },
    last_update: timeString,
    last_started: timeString,
    last_ended: timeString,
    next_schedule: timeString,
    upstream,
    size,
    error_msg: { type: 'string' },
  },
} as const;

/** Schema of one entry of `GET /jobs`. */
export const webMirrorStatusSchema = {
  type: 'object',
  required: ['name', 'status'],
  properties: {
    name: { type: 'string' },
    is_master: { type: 'boolean' },
    status: { type: 'string', enum: [...SYNC_STATUSES] },
    last_update: timeString,
    last_update_ts: { type: 'integer' },
    last_started: timeString,
    last_started_ts: { type: 'integer' },
    last_ended: timeString,
    last_ended_ts: { type: 'integer' },
    next_schedule: timeString,
    next_schedule_ts: { type: 'integer' },
    upstream: { type: 'string' },
    size: { type: 'string' },
  },
} as const;

/** Schema of WorkerStatus. */
export const workerStatusSchema = {
  type: 'object',
  required: ['id'],
  properties: {
    id: name,
    url: { type: 'string', maxLength: MAX_UPSTREAM_BYTES },
    token: { type: 'string', maxLength: MAX_UPSTREAM_BYTES },
    last_online: timeString,
    last_register: timeString,
  },
} as const;

const workerCmdProps = {
  cmd: { type: 'string', enum: [...COMMAND_VERBS] },
  mirror_id: name,
  args: stringList,
  options: boolMap,
} as const;

/** Schema of ClientCmd (`worker_id` must not be empty). */
export const clientCmdSchema = {
  type: 'object',
  required: ['cmd', 'worker_id'],
  properties: { ...workerCmdProps, worker_id: nonEmptyName },
} as const;

/** Schema of WorkerCmd. */
export const workerCmdSchema = { type: 'object', required: ['cmd'], properties: workerCmdProps } as const;

/** Schema of the `POST /workers/:id/schedules` body. */
export const schedulesSchema = {
  type: 'object',
  required: ['schedules'],
  properties: {
    schedules: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        required: ['name', 'next_schedule'],
        properties: {
          name: nonEmptyName,
          next_schedule: timeString,
          /** tunasync-ts extension (issue 16): worker.conf `stale_after` and the interval, in seconds. */
          stale_after_s: { type: 'number', minimum: 0, maximum: 3.2e9 },
          interval_s: { type: 'number', minimum: 0, maximum: 3.2e9 },
        },
      },
    },
  },
} as const;

/** Schema of the set-size body. */
export const sizeUpdateSchema = {
  type: 'object',
  required: ['name', 'size'],
  properties: { name, size },
} as const;

/** JSON Schemas of the wire shapes (fields are typed; unknown extra fields are allowed, as Go ignores them). */
export const wireSchemas: Readonly<Record<WireShapeName, Readonly<Record<string, unknown>>>> = {
  MirrorStatus: mirrorStatusSchema,
  WebMirrorStatus: webMirrorStatusSchema,
  WorkerStatus: workerStatusSchema,
  ClientCmd: clientCmdSchema,
  WorkerCmd: workerCmdSchema,
  MirrorSchedules: schedulesSchema,
  SizeUpdate: sizeUpdateSchema,
};

/** Names of the wire shapes. */
export type WireShapeName =
  | 'MirrorStatus'
  | 'WebMirrorStatus'
  | 'WorkerStatus'
  | 'ClientCmd'
  | 'WorkerCmd'
  | 'MirrorSchedules'
  | 'SizeUpdate';

