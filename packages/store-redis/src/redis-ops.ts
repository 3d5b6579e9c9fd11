/**
 * The wave-2 parts of the Redis store (core store-ops.ts) under our own
 * `tunasync-ts:` keys: job stats (kept by the status script) and metadata,
 * the notification queue, maintenance state and leases, each change one Lua
 * script, times from Redis's own clock (`TIME`, key expiry).
 */
import type {
  JobMeta,
  JobStats,
  JobStatsStore,
  LeaseStore,
  MaintenanceState,
  MaintenanceStore,
  NotificationOutcome,
  NotificationStore,
  QueuedNotification,
} from '@tunasync/core';
import { OWN_PREFIX } from './go-json.js';
import { KEYS, RedisJobStore, jobField } from './redis-store.js';
import { zeroStats } from './run-steps.js';
import { ACQUIRE_LEASE, CLAIM, ENQUEUE, FINISH, RELEASE_LEASE, SET_MAINTENANCE, TAKE_HELD } from './scripts.js';

const Q = {
  items: `${OWN_PREFIX}notify:items`,
  due: `${OWN_PREFIX}notify:due`,
  held: `${OWN_PREFIX}notify:held`,
  keys: `${OWN_PREFIX}notify:keys`,
  seq: `${OWN_PREFIX}notify:seq`,
} as const;
const MAINTENANCE = `${OWN_PREFIX}maintenance`;
const lease = (name: string) => `${OWN_PREFIX}lease:${name}`;

interface ItemJson {
  id: string;
  receiver: string;
  dedupeKey: string;
  payload: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  held: boolean;
  lastError?: string;
}

function toItem(text: string): QueuedNotification {
  const j = JSON.parse(text) as ItemJson;
  const n: QueuedNotification = {
    id: String(j.id),
    receiver: j.receiver,
    dedupeKey: j.dedupeKey,
    payload: j.payload,
    createdAt: new Date(j.createdAt),
    attempts: j.attempts,
    nextAttemptAt: new Date(j.nextAttemptAt),
    held: Boolean(j.held),
  };
  if (typeof j.lastError === 'string') n.lastError = j.lastError;
  return n;
}

const byAge = (a: QueuedNotification, b: QueuedNotification) => a.createdAt.getTime() - b.createdAt.getTime() || Number(a.id) - Number(b.id);

function parseJob(field: string): [string, string] | undefined {
  try {
    const v = JSON.parse(field) as unknown;
    return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' ? [v[0], v[1]] : undefined;
  } catch {
    return undefined;
  }
}

const byJob = <T extends { worker: string; mirror: string }>(a: T, b: T) =>
  a.worker < b.worker ? -1 : a.worker > b.worker ? 1 : a.mirror < b.mirror ? -1 : a.mirror > b.mirror ? 1 : 0;

/** A stored metadata value as JobMeta (only the fields it has). */
function metaOf(text: string): JobMeta {
  const m = JSON.parse(text) as JobMeta;
  return { worker: m.worker, mirror: m.mirror, ...(m.staleAfterS !== undefined ? { staleAfterS: m.staleAfterS } : {}), ...(m.intervalS !== undefined ? { intervalS: m.intervalS } : {}) };
}

/** RedisJobStore with every wave-2 store part. */
export class RedisFullStore extends RedisJobStore implements JobStatsStore, NotificationStore, MaintenanceStore, LeaseStore {
  /** Every job's stats, ordered by worker then mirror. */
  async listJobStats(): Promise<JobStats[]> {
    const all = await this.use().hgetall(KEYS.stats);
    return Object.entries(all)
      .flatMap(([f, text]) => {
        const job = parseJob(f);
        return job ? [{ ...(JSON.parse(text) as JobStats), worker: job[0], mirror: job[1] }] : [];
      })
      .sort(byJob);
  }

  /** One job's stats (zeros when it has none). */
  async getJobStats(workerId: string, mirrorId: string): Promise<JobStats> {
    const text = await this.use().hget(KEYS.stats, jobField(workerId, mirrorId));
    return text ? { ...(JSON.parse(text) as JobStats), worker: workerId, mirror: mirrorId } : zeroStats(workerId, mirrorId);
  }

  /** Replaces the metadata of each named job of a worker. */
  async setJobMeta(workerId: string, metas: Omit<JobMeta, 'worker'>[]): Promise<void> {
    if (metas.length === 0) return;
    const args = metas.flatMap((m) => [jobField(workerId, m.mirror), JSON.stringify({ ...m, worker: workerId })]);
    await this.use().hset(KEYS.meta, ...args);
  }

  /** Every job's metadata, ordered by worker then mirror. */
  async listJobMeta(): Promise<JobMeta[]> {
    const all = await this.use().hgetall(KEYS.meta);
    return Object.values(all).map(metaOf).sort(byJob);
  }

  /** One job's metadata, or undefined. */
  async getJobMeta(workerId: string, mirrorId: string): Promise<JobMeta | undefined> {
    const text = await this.use().hget(KEYS.meta, jobField(workerId, mirrorId));
    return text ? metaOf(text) : undefined;
  }

  /** Queues events, skipping keys queued or delivered before; returns how many were new. */
  async enqueueNotifications(
    items: { receiver: string; dedupeKey: string; payload: string; held?: boolean; nextAttemptAt?: Date }[],
  ): Promise<number> {
    if (items.length === 0) return 0;
    const args = items.flatMap((i) => [i.receiver, i.dedupeKey, i.payload, i.held ? '1' : '0', i.nextAttemptAt ? String(i.nextAttemptAt.getTime()) : '']);
    return Number(await this.use().eval(ENQUEUE, 5, Q.items, Q.due, Q.held, Q.keys, Q.seq, ...args));
  }

  /** Claimed items' due time moves to now + `claimMs`: unfinished, they come due again (the holder died). */
  async claimNotifications(_holder: string, limit: number, claimMs: number): Promise<QueuedNotification[]> {
    const texts = (await this.use().eval(CLAIM, 2, Q.items, Q.due, String(Math.max(0, Math.floor(limit))), String(Math.max(1, Math.round(claimMs))))) as string[];
    return texts.map(toItem).sort(byAge);
  }

  /** Records an attempt's outcome. */
  async finishNotification(id: string, outcome: NotificationOutcome): Promise<void> {
    const at = outcome.kind === 'retry' ? String(outcome.at.getTime()) : '0';
    const error = outcome.kind === 'delivered' ? '' : outcome.error;
    await this.use().eval(FINISH, 2, Q.items, Q.due, id, outcome.kind, at, error);
  }

  /** Removes and returns every held item, oldest first. */
  async takeHeldNotifications(): Promise<QueuedNotification[]> {
    const texts = (await this.use().eval(TAKE_HELD, 2, Q.items, Q.held)) as string[];
    return texts.map(toItem).sort(byAge);
  }

  /** Items still queued (held or not). */
  async countNotifications(): Promise<number> {
    return this.use().hlen(Q.items);
  }

  /** The current maintenance state, undefined when off or expired. */
  async getMaintenance(): Promise<MaintenanceState | undefined> {
    const text = await this.use().get(MAINTENANCE);
    if (!text) return undefined;
    const j = JSON.parse(text) as { message: string; since: number; until?: number };
    if (j.until !== undefined && j.until <= Date.now()) return undefined;
    return { message: j.message, since: new Date(j.since), ...(j.until !== undefined ? { until: new Date(j.until) } : {}) };
  }

  /** Switches maintenance on (`since` = the store's now). */
  async setMaintenance(state: { message: string; until?: Date }): Promise<MaintenanceState> {
    const text = (await this.use().eval(SET_MAINTENANCE, 1, MAINTENANCE, state.message, state.until ? String(state.until.getTime()) : '')) as string;
    const j = JSON.parse(text) as { message: string; since: number; until?: number };
    return { message: j.message, since: new Date(j.since), ...(j.until !== undefined ? { until: new Date(j.until) } : {}) };
  }

  /** Switches maintenance off; false when it was off. */
  async clearMaintenance(): Promise<boolean> {
    return (await this.use().del(MAINTENANCE)) > 0;
  }

  /** Takes or renews a lease; true when `holder` holds it afterwards. */
  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return Number(await this.use().eval(ACQUIRE_LEASE, 1, lease(name), holder, String(Math.round(ttlMs)))) === 1;
  }

  /** Gives a lease up if `holder` holds it. */
  async releaseLease(name: string, holder: string): Promise<void> {
    await this.use().eval(RELEASE_LEASE, 1, lease(name), holder);
  }
}
