/**
 * The JSON shapes of tunasync's HTTP API (wire-protocol.md), as TypeScript
 * types, with parse functions (unknown JSON → typed value, or a
 * ValidationError naming the field) and serialise functions (typed value →
 * the exact JSON tunasync sends). Domain objects use camelCase and `Date`;
 * the `*JSON` types are the snake_case wire form.
 */
import type { CommandVerb, SyncStatus } from './status.js';
import { ValidationError } from './errors.js';
import {
  MAX_ERROR_MSG_BYTES,
  MAX_NAME_BYTES,
  MAX_UPSTREAM_BYTES,
  clientCmdSchema,
  mirrorStatusSchema,
  schedulesSchema,
  sizeUpdateSchema,
  webMirrorStatusSchema,
  workerCmdSchema,
  workerStatusSchema,
} from './wire-schemas.js';
import {
  formatRfc3339,
  formatWebTime,
  parseRfc3339,
  parseWebTime,
  unixSeconds,
  zeroTime,
} from './time.js';
import { ajv, assertValid } from './validate.js';

/** A mirror job's status as the manager stores it and `GET /workers/:id/jobs` returns it. */
export interface MirrorStatus {
  name: string;
  worker: string;
  isMaster: boolean;
  status: SyncStatus;
  lastUpdate: Date;
  lastStarted: Date;
  lastEnded: Date;
  nextSchedule: Date;
  upstream: string;
  /** Free text such as `23.4G`; `unknown` when not known. */
  size: string;
  errorMsg: string;
}

/** Wire form of MirrorStatus. */
export interface MirrorStatusJSON {
  name: string;
  worker: string;
  is_master: boolean;
  status: SyncStatus;
  last_update: string;
  last_started: string;
  last_ended: string;
  next_schedule: string;
  upstream: string;
  size: string;
  error_msg: string;
}

/** What a public status page reads from `GET /jobs`: MirrorStatus without worker and error. */
export type WebMirrorStatus = Omit<MirrorStatus, 'worker' | 'errorMsg'>;

/** Wire form of WebMirrorStatus: text times in the web layout plus Unix `*_ts`. */
export interface WebMirrorStatusJSON {
  name: string;
  is_master: boolean;
  status: SyncStatus;
  last_update: string;
  last_update_ts: number;
  last_started: string;
  last_started_ts: number;
  last_ended: string;
  last_ended_ts: number;
  next_schedule: string;
  next_schedule_ts: number;
  upstream: string;
  size: string;
}

/** A registered worker. */
export interface WorkerStatus {
  id: string;
  /** The worker's control-server URL, where the manager posts commands. */
  url: string;
  token: string;
  lastOnline: Date;
  lastRegister: Date;
}

/** Wire form of WorkerStatus. */
export interface WorkerStatusJSON {
  id: string;
  url: string;
  token: string;
  last_online: string;
  last_register: string;
}

/** A command from a client (tunasynctl) to the manager: `POST /cmd`. */
export interface ClientCmd {
  cmd: CommandVerb;
  mirrorId: string;
  workerId: string;
  args: string[];
  options: Record<string, boolean>;
}

/** Wire form of ClientCmd. */
export interface ClientCmdJSON {
  cmd: CommandVerb;
  mirror_id: string;
  worker_id: string;
  args: string[];
  options: Record<string, boolean>;
}

/** A command from the manager to a worker's control server: `POST /`. */
export type WorkerCmd = Omit<ClientCmd, 'workerId'>;

/** Wire form of WorkerCmd. */
export type WorkerCmdJSON = Omit<ClientCmdJSON, 'worker_id'>;

/** One job's next run, as a worker reports it. */
export interface MirrorSchedule {
  name: string;
  nextSchedule: Date;
  /** tunasync-ts extension (`stale_after_s`): worker.conf `stale_after` in seconds; omitted when unset. */
  staleAfterS?: number;
  /** tunasync-ts extension (`interval_s`): the job's interval in seconds; omitted when unknown. */
  intervalS?: number;
}

/** Wire form of the `POST /workers/:id/schedules` body. */
export interface MirrorSchedulesJSON {
  schedules: { name: string; next_schedule: string; stale_after_s?: number; interval_s?: number }[];
}

/** Body of `POST /workers/:id/jobs/:job/size`. */
export interface SizeUpdate {
  name: string;
  size: string;
}

type Loose = Record<string, unknown>;
const validators = {
  MirrorStatus: ajv.compile<Loose>(mirrorStatusSchema),
  WebMirrorStatus: ajv.compile<Loose>(webMirrorStatusSchema),
  WorkerStatus: ajv.compile<Loose>(workerStatusSchema),
  ClientCmd: ajv.compile<Loose>(clientCmdSchema),
  WorkerCmd: ajv.compile<Loose>(workerCmdSchema),
  MirrorSchedules: ajv.compile<Loose>(schedulesSchema),
  SizeUpdate: ajv.compile<SizeUpdate>(sizeUpdateSchema),
};

function str(o: Loose, key: string): string {
  return typeof o[key] === 'string' ? (o[key] as string) : '';
}

/** Refuses a string over `max` UTF-8 bytes (the schema has bounded its characters already). */
function checkBytes(value: string, field: string, what: string, max = MAX_NAME_BYTES): string {
  if (Buffer.byteLength(value, 'utf8') > max) {
    throw new ValidationError(`invalid ${what}: ${field}: must not be longer than ${max} bytes`, field);
  }
  return value;
}

/**
 * Cuts an `error_msg` over MAX_ERROR_MSG_BYTES (4 KiB) to fit, at a character
 * boundary, ending with `… [truncated, N bytes in all]`; shorter ones are
 * returned as they are.
 */
export function truncateErrorMsg(message: string, max = MAX_ERROR_MSG_BYTES): string {
  const buf = Buffer.from(message, 'utf8');
  if (buf.length <= max) return message;
  const marker = ` … [truncated, ${buf.length} bytes in all]`;
  let keep = Math.max(0, max - Buffer.byteLength(marker, 'utf8'));
  while (keep > 0 && (buf[keep]! & 0xc0) === 0x80) keep--;
  return buf.subarray(0, keep).toString('utf8') + marker;
}

function time(o: Loose, key: string): Date {
  return o[key] === undefined ? zeroTime() : parseRfc3339(o[key], key);
}

/**
 * Parses a MirrorStatus body; missing fields take Go's zero values. Names over
 * 255 bytes and an `upstream` over 4 KiB are refused; an `error_msg` over
 * 4 KiB is truncated with a marker.
 */
export function parseMirrorStatus(json: unknown): MirrorStatus {
  assertValid(validators.MirrorStatus, json, 'MirrorStatus');
  return {
    name: checkBytes(str(json, 'name'), 'name', 'MirrorStatus'),
    worker: checkBytes(str(json, 'worker'), 'worker', 'MirrorStatus'),
    isMaster: json.is_master === undefined ? true : Boolean(json.is_master),
    status: json.status as SyncStatus,
    lastUpdate: time(json, 'last_update'),
    lastStarted: time(json, 'last_started'),
    lastEnded: time(json, 'last_ended'),
    nextSchedule: time(json, 'next_schedule'),
    upstream: checkBytes(str(json, 'upstream'), 'upstream', 'MirrorStatus', MAX_UPSTREAM_BYTES),
    size: str(json, 'size'),
    errorMsg: truncateErrorMsg(str(json, 'error_msg')),
  };
}

/** Serialises a MirrorStatus exactly as tunasync does. */
export function serializeMirrorStatus(s: MirrorStatus): MirrorStatusJSON {
  return {
    name: s.name,
    worker: s.worker,
    is_master: s.isMaster,
    status: s.status,
    last_update: formatRfc3339(s.lastUpdate),
    last_started: formatRfc3339(s.lastStarted),
    last_ended: formatRfc3339(s.lastEnded),
    next_schedule: formatRfc3339(s.nextSchedule),
    upstream: s.upstream,
    size: s.size,
    error_msg: s.errorMsg,
  };
}

/** Serialises a job for `GET /jobs`, text times in `timeZone` (default: local zone). */
export function serializeWebMirrorStatus(s: WebMirrorStatus, timeZone?: string): WebMirrorStatusJSON {
  return {
    name: s.name,
    is_master: s.isMaster,
    status: s.status,
    last_update: formatWebTime(s.lastUpdate, timeZone),
    last_update_ts: unixSeconds(s.lastUpdate),
    last_started: formatWebTime(s.lastStarted, timeZone),
    last_started_ts: unixSeconds(s.lastStarted),
    last_ended: formatWebTime(s.lastEnded, timeZone),
    last_ended_ts: unixSeconds(s.lastEnded),
    next_schedule: formatWebTime(s.nextSchedule, timeZone),
    next_schedule_ts: unixSeconds(s.nextSchedule),
    upstream: s.upstream,
    size: s.size,
  };
}

function webTime(o: Loose, key: string): Date {
  const ts = o[`${key}_ts`];
  if (typeof ts === 'number') return new Date(ts * 1000);
  return o[key] === undefined ? zeroTime() : parseWebTime(o[key], key);
}

/** Parses one entry of `GET /jobs` (the `*_ts` fields win over the text times). */
export function parseWebMirrorStatus(json: unknown): WebMirrorStatus {
  assertValid(validators.WebMirrorStatus, json, 'WebMirrorStatus');
  return {
    name: str(json, 'name'),
    isMaster: json.is_master === undefined ? true : Boolean(json.is_master),
    status: json.status as SyncStatus,
    lastUpdate: webTime(json, 'last_update'),
    lastStarted: webTime(json, 'last_started'),
    lastEnded: webTime(json, 'last_ended'),
    nextSchedule: webTime(json, 'next_schedule'),
    upstream: str(json, 'upstream'),
    size: str(json, 'size'),
  };
}

/** Parses a WorkerStatus body. */
export function parseWorkerStatus(json: unknown): WorkerStatus {
  assertValid(validators.WorkerStatus, json, 'WorkerStatus');
  return {
    id: checkBytes(str(json, 'id'), 'id', 'WorkerStatus'),
    url: str(json, 'url'),
    token: str(json, 'token'),
    lastOnline: time(json, 'last_online'),
    lastRegister: time(json, 'last_register'),
  };
}

/** Serialises a WorkerStatus; pass `redact` to replace the token with `"REDACTED"`. */
export function serializeWorkerStatus(w: WorkerStatus, redact = false): WorkerStatusJSON {
  return {
    id: w.id,
    url: w.url,
    token: redact ? 'REDACTED' : w.token,
    last_online: formatRfc3339(w.lastOnline),
    last_register: formatRfc3339(w.lastRegister),
  };
}

function cmdFields(json: Loose, what: string): WorkerCmd {
  return {
    cmd: json.cmd as CommandVerb,
    mirrorId: checkBytes(str(json, 'mirror_id'), 'mirror_id', what),
    args: (json.args as string[] | null | undefined) ?? [],
    options: (json.options as Record<string, boolean> | null | undefined) ?? {},
  };
}

/** Parses a ClientCmd; an unknown verb or an empty `worker_id` is rejected. */
export function parseClientCmd(json: unknown): ClientCmd {
  assertValid(validators.ClientCmd, json, 'ClientCmd');
  return { ...cmdFields(json, 'ClientCmd'), workerId: checkBytes(str(json, 'worker_id'), 'worker_id', 'ClientCmd') };
}

/** Serialises a ClientCmd. */
export function serializeClientCmd(c: ClientCmd): ClientCmdJSON {
  return { cmd: c.cmd, mirror_id: c.mirrorId, worker_id: c.workerId, args: [...c.args], options: { ...c.options } };
}

/** Parses a WorkerCmd; an unknown verb is rejected. */
export function parseWorkerCmd(json: unknown): WorkerCmd {
  assertValid(validators.WorkerCmd, json, 'WorkerCmd');
  return cmdFields(json, 'WorkerCmd');
}

/** Serialises a WorkerCmd. */
export function serializeWorkerCmd(c: WorkerCmd): WorkerCmdJSON {
  return { cmd: c.cmd, mirror_id: c.mirrorId, args: [...c.args], options: { ...c.options } };
}

/** Parses a `POST /workers/:id/schedules` body. */
export function parseMirrorSchedules(json: unknown): MirrorSchedule[] {
  assertValid(validators.MirrorSchedules, json, 'MirrorSchedules');
  const list = (json.schedules as MirrorSchedulesJSON['schedules'] | null) ?? [];
  return list.map((s, i) => {
    const out: MirrorSchedule = {
      name: checkBytes(s.name, `schedules[${i}].name`, 'MirrorSchedules'),
      nextSchedule: parseRfc3339(s.next_schedule, `schedules[${i}].next_schedule`),
    };
    if (s.stale_after_s !== undefined) out.staleAfterS = s.stale_after_s;
    if (s.interval_s !== undefined) out.intervalS = s.interval_s;
    return out;
  });
}

/** Serialises schedules for `POST /workers/:id/schedules`. */
export function serializeMirrorSchedules(list: MirrorSchedule[]): MirrorSchedulesJSON {
  return {
    schedules: list.map((s) => ({
      name: s.name,
      next_schedule: formatRfc3339(s.nextSchedule),
      ...(s.staleAfterS !== undefined ? { stale_after_s: s.staleAfterS } : {}),
      ...(s.intervalS !== undefined ? { interval_s: s.intervalS } : {}),
    })),
  };
}

/** Parses a `POST /workers/:id/jobs/:job/size` body. */
export function parseSizeUpdate(json: unknown): SizeUpdate {
  assertValid(validators.SizeUpdate, json, 'SizeUpdate');
  return { name: checkBytes(json.name, 'name', 'SizeUpdate'), size: json.size };
}

/** A MirrorStatus with every time zero, as a new job starts out. */
export function emptyMirrorStatus(name: string, worker: string): MirrorStatus {
  return {
    name,
    worker,
    isMaster: true,
    status: 'none',
    lastUpdate: zeroTime(),
    lastStarted: zeroTime(),
    lastEnded: zeroTime(),
    nextSchedule: zeroTime(),
    upstream: '',
    size: 'unknown',
    errorMsg: '',
  };
}
