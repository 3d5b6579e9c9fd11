/**
 * JobStore on Redis in tunasync's own layout (see go-json.ts): a site on
 * tunasync's Redis backend points our manager at the same Redis and sees
 * every worker and job, and can switch back. Each read-modify-write is one
 * Lua script (scripts.ts): a compare-and-set of what JavaScript computed,
 * retried when another manager changed the job meanwhile. Run history, job
 * stats and metadata, notifications, maintenance and leases are under
 * `tunasync-ts:` keys that tunasync ignores (redis-ops.ts).
 */
import { Redis } from 'ioredis';
import {
  createSilentLogger,
  parseRunRecord,
  serializeRunRecord,
  type JobStats,
  type JobStore,
  type JobStatsStore,
  type LeaseStore,
  type MaintenanceStore,
  type NotificationStore,
  type Logger,
  type MirrorSchedule,
  type MirrorStatus,
  type RunHistoryStep,
  type RunQuery,
  type RunRecord,
  type WorkerStatus,
} from '@tunasync/core';
import { OWN_PREFIX, STATUS_KEY, WORKERS_KEY, readStatus, readWorker, statusField, statusJson, workerJson } from './go-json.js';
import { applyStep, zeroStats, type RunRow } from './run-steps.js';
import { CAS_FIELDS, FLUSH_DISABLED, PRUNE_JOB, PRUNE_OLD, UPDATE_STATUS } from './scripts.js';

/** Keys of ours. */
export const KEYS = {
  versions: `${OWN_PREFIX}ver`,
  runs: (mirror: string) => `${OWN_PREFIX}runs:${mirror}`,
  runIndex: (mirror: string) => `${OWN_PREFIX}runidx:${mirror}`,
  allRuns: `${OWN_PREFIX}runs-by-start`,
  runSeq: `${OWN_PREFIX}runseq`,
  stats: `${OWN_PREFIX}stats`,
  meta: `${OWN_PREFIX}meta`,
} as const;

/** The stats/meta field of a job. */
export const jobField = (worker: string, mirror: string): string => JSON.stringify([worker, mirror]);

/** Options of RedisJobStore. */
export interface RedisJobStoreOptions {
  logger?: Logger;
}

const newest = (a: RunRow, b: RunRow) => b.rec.startedAt.getTime() - a.rec.startedAt.getTime() || b.seq - a.seq;

/** The worker and mirror of a `mirror_status` entry: its JSON's when consistent with the field, else tunasync's split. */
function jobOf(field: string, s: MirrorStatus | undefined): { worker: string; name: string } {
  if (s && statusField(s.worker, s.name) === field) return { worker: s.worker, name: s.name };
  const i = field.indexOf('/');
  return i < 0 ? { worker: '', name: field } : { worker: field.slice(i + 1), name: field.slice(0, i) };
}

/** The store contract without its wave-2 parts (the full store class adds them). */
type BaseJobStore = Omit<JobStore, keyof JobStatsStore | keyof NotificationStore | keyof MaintenanceStore | keyof LeaseStore>;

/** JobStore on Redis, in tunasync's key layout. */
export class RedisJobStore implements BaseJobStore {
  protected redis: Redis | undefined;
  protected readonly logger: Logger;
  private closed = false;

  /** Remembers the URL; does no I/O (see init). */
  constructor(
    private readonly url: string,
    options: RedisJobStoreOptions = {},
  ) {
    this.logger = options.logger ?? createSilentLogger();
  }

  /** Connects and checks that `workers` and `mirror_status` are hashes (or absent). Idempotent. */
  async init(): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    if (this.redis) return;
    const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    redis.on('error', (err: Error) => this.logger.warn(`Redis: ${err.message}`));
    try {
      await redis.connect();
      for (const key of [WORKERS_KEY, STATUS_KEY]) {
        const type = await redis.type(key);
        if (type !== 'none' && type !== 'hash') throw new Error(`key ${key} is a ${type}, not tunasync's hash: is this the right Redis database?`);
      }
    } catch (err) {
      redis.disconnect();
      throw err;
    }
    this.redis = redis;
  }

  protected use(): Redis {
    if (this.closed) throw new Error('store is closed');
    if (!this.redis) throw new Error('store is not initialised: call and await init() before using it');
    return this.redis;
  }

  /** A cheap real read; rejects when Redis cannot answer. */
  async healthCheck(): Promise<void> {
    await this.use().exists(WORKERS_KEY, STATUS_KEY);
  }

  /** Every registered worker, ordered by id. */
  async listWorkers(): Promise<WorkerStatus[]> {
    const all = await this.use().hgetall(WORKERS_KEY);
    return Object.keys(all).sort().flatMap((id) => {
      const w = readWorker(all[id]);
      return w ? [w] : [];
    });
  }

  /** One worker, or undefined when not registered. */
  async getWorker(workerId: string): Promise<WorkerStatus | undefined> {
    return readWorker(await this.use().hget(WORKERS_KEY, workerId));
  }

  /** Inserts or replaces a worker; returns what was stored. */
  async createWorker(worker: WorkerStatus): Promise<WorkerStatus> {
    await this.use().hset(WORKERS_KEY, worker.id, workerJson(worker));
    return readWorker(workerJson(worker))!;
  }

  /** Sets a worker's `last_online`; undefined when it is not registered. */
  async refreshWorker(workerId: string, at: Date): Promise<WorkerStatus | undefined> {
    const redis = this.use();
    for (;;) {
      const text = await redis.hget(WORKERS_KEY, workerId);
      const w = readWorker(text);
      if (!w || text === null) return undefined;
      const next = { ...w, lastOnline: new Date(at) };
      if (await redis.eval(CAS_FIELDS, 1, WORKERS_KEY, workerId, text, workerJson(next))) return next;
    }
  }

  /** Removes a worker (its jobs stay, as in tunasync). */
  async deleteWorker(workerId: string): Promise<boolean> {
    return (await this.use().hdel(WORKERS_KEY, workerId)) > 0;
  }

  /** One job's status, or undefined. */
  async getMirrorStatus(workerId: string, mirrorId: string): Promise<MirrorStatus | undefined> {
    const s = readStatus(await this.use().hget(STATUS_KEY, statusField(workerId, mirrorId)));
    return s ? { ...s, worker: workerId, name: mirrorId } : undefined;
  }

  private async mirrorRuns(mirror: string): Promise<RunRow[]> {
    const all = await this.use().hgetall(KEYS.runs(mirror));
    return Object.entries(all).map(([seq, json]) => ({ seq: Number(seq), rec: parseRunRecord(JSON.parse(json)) }));
  }

  private async readStats(worker: string, mirror: string): Promise<JobStats> {
    const text = await this.use().hget(KEYS.stats, jobField(worker, mirror));
    return text ? { ...(JSON.parse(text) as JobStats), worker, mirror } : zeroStats(worker, mirror);
  }

  /**
   * Reads the job, computes the next status and the run step's rows, and
   * writes them with one script that checks the job's status and the
   * mirror's history version are what was read; retries when not.
   */
  async updateMirrorStatus(
    workerId: string,
    mirrorId: string,
    update: (previous: MirrorStatus | undefined) => MirrorStatus,
    run?: (previous: MirrorStatus | undefined, next: MirrorStatus) => RunHistoryStep | undefined,
  ): Promise<MirrorStatus> {
    const redis = this.use();
    const field = statusField(workerId, mirrorId);
    for (;;) {
      const [text, ver] = await Promise.all([redis.hget(STATUS_KEY, field), redis.hget(KEYS.versions, mirrorId)]);
      const read = readStatus(text);
      const previous = read ? { ...read, worker: workerId, name: mirrorId } : undefined;
      const next = update(previous);
      const stored: MirrorStatus = {
        ...next,
        worker: workerId,
        name: mirrorId,
        lastUpdate: new Date(next.lastUpdate),
        lastStarted: new Date(next.lastStarted),
        lastEnded: new Date(next.lastEnded),
        nextSchedule: new Date(next.nextSchedule),
      };
      const step = run?.(previous, stored);
      const rowArgs: string[] = [];
      let statsText = '';
      if (step) {
        const [rows, stats] = await Promise.all([this.mirrorRuns(mirrorId), this.readStats(workerId, mirrorId)]);
        const effect = applyStep(rows, stats, workerId, mirrorId, step);
        for (const r of effect.writes) {
          rowArgs.push(r.seq ? String(r.seq).padStart(16, '0') : '', String(r.rec.startedAt.getTime()), JSON.stringify(serializeRunRecord(r.rec)));
        }
        if (effect.stats) statsText = JSON.stringify(effect.stats);
      }
      const ok = await redis.eval(
        UPDATE_STATUS, 7, STATUS_KEY, KEYS.versions, KEYS.runs(mirrorId), KEYS.runIndex(mirrorId), KEYS.allRuns, KEYS.runSeq, KEYS.stats,
        field, text === null ? '0' : '1', text ?? '', statusJson(stored), mirrorId, ver ?? '0', jobField(workerId, mirrorId), statsText,
        String(rowArgs.length / 3), ...rowArgs,
      );
      if (ok) return stored;
    }
  }

  private async allStatuses(): Promise<{ field: string; text: string; job: { worker: string; name: string }; status: MirrorStatus }[]> {
    const all = await this.use().hgetall(STATUS_KEY);
    return Object.entries(all).flatMap(([field, text]) => {
      const s = readStatus(text);
      if (!s) return [];
      const job = jobOf(field, s);
      return [{ field, text, job, status: { ...s, worker: job.worker, name: job.name } }];
    });
  }

  /** A worker's jobs, ordered by name. */
  async listMirrorStatus(workerId: string): Promise<MirrorStatus[]> {
    return (await this.allStatuses())
      .filter((e) => e.job.worker === workerId)
      .map((e) => e.status)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** How many jobs a worker has. */
  async countMirrorStatus(workerId: string): Promise<number> {
    const fields = await this.use().hkeys(STATUS_KEY);
    return fields.filter((f) => jobOf(f, undefined).worker === workerId).length;
  }

  /** Every job of every worker, ordered by worker then name. */
  async listAllMirrorStatus(): Promise<MirrorStatus[]> {
    return (await this.allStatuses())
      .map((e) => e.status)
      .sort((a, b) => (a.worker < b.worker ? -1 : a.worker > b.worker ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** One script for all of the worker's jobs (all or none, retried on a concurrent change). */
  async setSchedules(workerId: string, schedules: MirrorSchedule[]): Promise<number> {
    const redis = this.use();
    for (;;) {
      const args: string[] = [];
      const fields = schedules.map((s) => statusField(workerId, s.name));
      const texts = fields.length ? await redis.hmget(STATUS_KEY, ...fields) : [];
      schedules.forEach((s, i) => {
        const cur = readStatus(texts[i]);
        if (!cur || texts[i] === null) return;
        args.push(fields[i]!, texts[i]!, statusJson({ ...cur, worker: workerId, name: s.name, nextSchedule: s.nextSchedule }));
      });
      if (args.length === 0) return 0;
      if (await redis.eval(CAS_FIELDS, 1, STATUS_KEY, ...args)) return args.length / 3;
    }
  }

  /** Deletes one job's status; false when it was not there. */
  async deleteMirrorStatus(workerId: string, mirrorId: string): Promise<boolean> {
    return (await this.use().hdel(STATUS_KEY, statusField(workerId, mirrorId))) > 0;
  }

  /** Deletes every disabled job; returns how many. */
  async flushDisabledJobs(): Promise<number> {
    return Number(await this.use().eval(FLUSH_DISABLED, 1, STATUS_KEY));
  }

  /** A mirror's runs, newest first (see JobStore.listRuns). */
  async listRuns(mirror: string, q: RunQuery): Promise<RunRecord[]> {
    let rows = (await this.mirrorRuns(mirror)).sort(newest);
    if (q.worker !== undefined) rows = rows.filter((r) => r.rec.worker === q.worker);
    if (q.before !== undefined) {
      const b = this.pick(rows, q.before, q.worker);
      if (!b) return [];
      rows = rows.filter((r) => newest(b, r) < 0);
    }
    if (q.result !== undefined) rows = rows.filter((r) => r.rec.result === q.result);
    return rows.slice(0, Math.max(0, Math.floor(q.limit))).map((r) => r.rec);
  }

  private pick(sorted: RunRow[], runId: string, worker?: string): RunRow | undefined {
    if (worker === undefined) return sorted.find((r) => r.rec.runId === runId);
    return sorted.filter((r) => r.rec.worker === worker && r.rec.runId === runId).sort((a, b) => a.seq - b.seq)[0];
  }

  /** One run of a mirror (on `worker` when given), or undefined. */
  async getRun(mirror: string, runId: string, worker?: string): Promise<RunRecord | undefined> {
    return this.pick((await this.mirrorRuns(mirror)).sort(newest), runId, worker)?.rec;
  }

  /** Deletes one job's runs beyond the newest `keep` and those started before `olderThan`. */
  async pruneRuns(workerId: string, mirrorId: string, retention: { keep: number; olderThan: Date }): Promise<number> {
    return Number(
      await this.use().eval(
        PRUNE_JOB, 4, KEYS.runs(mirrorId), KEYS.runIndex(mirrorId), KEYS.allRuns, KEYS.versions,
        workerId, mirrorId, String(retention.keep), String(retention.olderThan.getTime()),
      ),
    );
  }

  /** Deletes at most `limit` runs (of any job) started before `olderThan`. */
  async pruneOldRuns(olderThan: Date, limit: number): Promise<number> {
    return Number(await this.use().eval(PRUNE_OLD, 2, KEYS.allRuns, KEYS.versions, String(olderThan.getTime()), String(limit), OWN_PREFIX));
  }

  /** Closes the connection; further calls fail. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const redis = this.redis;
    this.redis = undefined;
    await redis?.quit().catch(() => redis.disconnect());
  }
}
