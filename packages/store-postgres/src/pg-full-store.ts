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
import * as ops from './pg-ops.js';
import { PgJobStoreBase } from './pg-store.js';

/** JobStore, change feed, stats, notifications, maintenance and leases on one PostgreSQL database. */
export class PostgresJobStore extends PgJobStoreBase implements JobStatsStore, NotificationStore, MaintenanceStore, LeaseStore {
  async listJobStats(): Promise<JobStats[]> {
    return ops.listJobStats(this.use());
  }

  async getJobStats(workerId: string, mirrorId: string): Promise<JobStats> {
    return ops.getJobStats(this.use(), workerId, mirrorId);
  }

  async setJobMeta(workerId: string, metas: Omit<JobMeta, 'worker'>[]): Promise<void> {
    await this.write((db) => ops.setJobMeta(db, workerId, metas));
  }

  async listJobMeta(): Promise<JobMeta[]> {
    return ops.listJobMeta(this.use());
  }

  async enqueueNotifications(
    items: { receiver: string; dedupeKey: string; payload: string; held?: boolean; nextAttemptAt?: Date }[],
  ): Promise<number> {
    return this.write((db) => ops.enqueueNotifications(db, items));
  }

  async claimNotifications(holder: string, limit: number, claimMs: number): Promise<QueuedNotification[]> {
    return this.write((db) => ops.claimNotifications(db, holder, limit, claimMs));
  }

  async finishNotification(id: string, outcome: NotificationOutcome): Promise<void> {
    await this.write((db) => ops.finishNotification(db, id, outcome));
  }

  async takeHeldNotifications(): Promise<QueuedNotification[]> {
    return this.write((db) => ops.takeHeldNotifications(db));
  }

  async countNotifications(): Promise<number> {
    return ops.countNotifications(this.use());
  }

  async getMaintenance(): Promise<MaintenanceState | undefined> {
    return ops.getMaintenance(this.use());
  }

  async setMaintenance(state: { message: string; until?: Date }): Promise<MaintenanceState> {
    return this.write(async (db) => {
      const stored = await ops.setMaintenance(db, state);
      await PgJobStoreBase.announce(db, { kind: 'maintenance' });
      return stored;
    });
  }

  async clearMaintenance(): Promise<boolean> {
    return this.write(async (db) => {
      const was = await ops.clearMaintenance(db);
      await PgJobStoreBase.announce(db, { kind: 'maintenance' });
      return was;
    });
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return ops.acquireLease(this.use(), name, holder, ttlMs);
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await ops.releaseLease(this.use(), name, holder);
  }
}
