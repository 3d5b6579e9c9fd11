/**
 * The notification queue, maintenance and lease methods of SqliteJobStore
 * (issue 16), as a base class so the store's file stays about statuses and
 * runs: each read goes to the OpsTables at once, each write through the
 * store's group commit.
 */
import type { LeaseStore, MaintenanceState, MaintenanceStore, NotificationOutcome, NotificationStore, QueuedNotification, StoreChange } from '@tunasync/core';
import type { OpsTables } from './sqlite-ops.js';

/** NotificationStore, MaintenanceStore and LeaseStore over OpsTables. */
export abstract class SqliteOpsMethods implements NotificationStore, MaintenanceStore, LeaseStore {
  /** The open database's tables (throws when closed or not initialised). */
  protected abstract ops(): OpsTables;
  /** Runs `op` inside the next write transaction. */
  protected abstract writeOp<T>(op: () => T, changed?: (result: T) => StoreChange[]): Promise<T>;

  /** Queues notifications whose key is new; returns how many. */
  async enqueueNotifications(items: Parameters<OpsTables['enqueue']>[0]): Promise<number> {
    const ops = this.ops();
    return this.writeOp(() => ops.enqueue(items));
  }

  /** Claims due notifications for `holder`. */
  async claimNotifications(holder: string, limit: number, claimMs: number): Promise<QueuedNotification[]> {
    const ops = this.ops();
    return this.writeOp(() => ops.claim(holder, limit, claimMs));
  }

  /** Records a delivery attempt's outcome. */
  async finishNotification(id: string, outcome: NotificationOutcome): Promise<void> {
    const ops = this.ops();
    await this.writeOp(() => ops.finish(id, outcome));
  }

  /** Removes and returns the held notifications. */
  async takeHeldNotifications(): Promise<QueuedNotification[]> {
    const ops = this.ops();
    return this.writeOp(() => ops.takeHeld());
  }

  /** Notifications still queued. */
  async countNotifications(): Promise<number> {
    return this.ops().count();
  }

  /** The maintenance state, or undefined when off. */
  async getMaintenance(): Promise<MaintenanceState | undefined> {
    return this.ops().getMaintenance();
  }

  /** Switches maintenance on. */
  async setMaintenance(state: { message: string; until?: Date }): Promise<MaintenanceState> {
    const ops = this.ops();
    return this.writeOp(() => ops.setMaintenance(state), () => [{ kind: 'maintenance' }]);
  }

  /** Switches maintenance off; false when it was off. */
  async clearMaintenance(): Promise<boolean> {
    const ops = this.ops();
    return this.writeOp(() => ops.clearMaintenance(), (was) => (was ? [{ kind: 'maintenance' }] : []));
  }

  /** Takes or renews a lease. */
  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const ops = this.ops();
    return this.writeOp(() => ops.acquireLease(name, holder, ttlMs));
  }

  /** Gives a lease up. */
  async releaseLease(name: string, holder: string): Promise<void> {
    const ops = this.ops();
    await this.writeOp(() => ops.releaseLease(name, holder));
  }
}
