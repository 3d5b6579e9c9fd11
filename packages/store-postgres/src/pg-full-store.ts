/**
 * The PostgreSQL store with every wave-2 part of the contract (core
 * store-ops.ts): job stats and metadata, the notification queue, maintenance
 * state and leases, on top of PgJobStoreBase. Writes run in transactions;
 * times are the database's clock.
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
import { CHANGE_CHANNEL, changeText } from './pg-feed.js';
import * as ops from './pg-ops.js';
import { PgJobStoreBase } from './pg-store.js';

/** JobStore, change feed, stats, notifications, maintenance and leases on one PostgreSQL database. */
export class PostgresJobStore extends PgJobStoreBase implements JobStatsStore, NotificationStore, MaintenanceStore, LeaseStore {
  /** Every job's stats, ordered by worker then mirror. */
  async listJobStats(): Promise<JobStats[]> {
    return ops.listJobStats(this.use());
  }

  /** One job's stats (zeros when it has none). */
  async getJobStats(workerId: string, mirrorId: string): Promise<JobStats> {
    return ops.getJobStats(this.use(), workerId, mirrorId);
  }

  /** Replaces the metadata of each named job of a worker; a job whose metadata changed is announced. */
  async setJobMeta(workerId: string, metas: Omit<JobMeta, 'worker'>[]): Promise<void> {
    await this.write(async (db) => {
      const changed = (await ops.setJobMeta(db, workerId, metas)).map((mirror) => changeText({ kind: 'status', worker: workerId, mirror }));
      if (changed.length > 0) await db.query(`SELECT pg_notify('${CHANGE_CHANNEL}', c) FROM unnest($1::text[]) AS c`, [changed]);
    });
  }

  /** Every job's metadata, ordered by worker then mirror. */
  async listJobMeta(): Promise<JobMeta[]> {
    return ops.listJobMeta(this.use());
  }

  /** One job's metadata, or undefined. */
  async getJobMeta(workerId: string, mirrorId: string): Promise<JobMeta | undefined> {
    return ops.getJobMeta(this.use(), workerId, mirrorId);
  }

  /** Queues events, skipping keys queued or delivered before; returns how many were new. */
  async enqueueNotifications(
    items: { receiver: string; dedupeKey: string; payload: string; held?: boolean; nextAttemptAt?: Date }[],
  ): Promise<number> {
    return this.write((db) => ops.enqueueNotifications(db, items));
  }

  /** Claims up to `limit` due items for `holder` (see NotificationStore). */
  async claimNotifications(holder: string, limit: number, claimMs: number): Promise<QueuedNotification[]> {
    return this.write((db) => ops.claimNotifications(db, holder, limit, claimMs));
  }

  /** Records an attempt's outcome. */
  async finishNotification(id: string, outcome: NotificationOutcome): Promise<void> {
    await this.write((db) => ops.finishNotification(db, id, outcome));
  }

  /** Removes and returns every held item, oldest first. */
  async takeHeldNotifications(): Promise<QueuedNotification[]> {
    return this.write((db) => ops.takeHeldNotifications(db));
  }

  /** Items still queued (held or not). */
  async countNotifications(): Promise<number> {
    return ops.countNotifications(this.use());
  }

  /** The current maintenance state, undefined when off or expired. */
  async getMaintenance(): Promise<MaintenanceState | undefined> {
    return ops.getMaintenance(this.use());
  }

  /** Switches maintenance on (`since` = the store's now). */
  async setMaintenance(state: { message: string; until?: Date }): Promise<MaintenanceState> {
    return this.write(async (db) => {
      const stored = await ops.setMaintenance(db, state);
      await PgJobStoreBase.announce(db, { kind: 'maintenance' });
      return stored;
    });
  }

  /** Switches maintenance off; false when it was off. */
  async clearMaintenance(): Promise<boolean> {
    return this.write(async (db) => {
      const was = await ops.clearMaintenance(db);
      await PgJobStoreBase.announce(db, { kind: 'maintenance' });
      return was;
    });
  }

  /** Takes or renews a lease; true when `holder` holds it afterwards. */
  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return ops.acquireLease(this.use(), name, holder, ttlMs);
  }

  /** Gives a lease up if `holder` holds it. */
  async releaseLease(name: string, holder: string): Promise<void> {
    await ops.releaseLease(this.use(), name, holder);
  }
}
