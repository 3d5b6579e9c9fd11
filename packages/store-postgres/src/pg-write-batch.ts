/**
 * Group commit for the PostgreSQL store (as write-batcher.ts is for SQLite):
 * status merges and worker refreshes issued while a batch is being written
 * wait for the next one, and each batch is one transaction on one pooled
 * connection (pg-batch-apply.ts): one commit (one WAL flush) and a few
 * round trips for all of them instead of several round trips and a commit
 * each. A write's promise settles only after its batch's COMMIT, so an
 * acknowledged report is as durable as before. When the database rejects
 * something in a batch, the batch is rolled back and each of its writes is
 * run again on its own transaction, so one bad write fails alone.
 */
import pg from 'pg';
import type { MirrorStatus, WorkerStatus } from '@tunasync/core';
import { applyBatch, type BatchOutcome, type BatchWrite } from './pg-batch-apply.js';
import { mergeStatus, type RunStepOf, type StatusUpdate } from './pg-merge.js';
import { inTransaction, translatePgError } from './pg-pool.js';
import { toWorker, type WorkerRow } from './pg-rows.js';

/** An error the server answered with (a SQLSTATE): its transaction is rolled back, nothing committed. */
function isSqlError(err: unknown): boolean {
  return err instanceof pg.DatabaseError;
}

interface Pending {
  write: BatchWrite;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Options of PgWriteBatcher. */
export interface PgWriteBatcherOptions {
  /** Batches written at once, each on its own connection (default 1: the next batch gathers meanwhile). */
  maxInFlight?: number;
  /** Writes in one batch at most (default 256). */
  maxBatch?: number;
  /** false: every write on its own, at once (the behaviour without group commit). */
  grouped?: boolean;
}

/** Queues the report path's writes and commits them together. */
export class PgWriteBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private readonly grouped: boolean;
  private idle: (() => void)[] = [];
  /** Batches of more than one write committed so far (tests). */
  batches = 0;

  /** `pool` is called when a batch starts (it throws once the store is closed). */
  constructor(
    private readonly pool: () => pg.Pool,
    options: PgWriteBatcherOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.maxBatch = Math.max(1, options.maxBatch ?? 256);
    this.grouped = options.grouped ?? true;
  }

  /** JobStore.updateMirrorStatus through the next batch. */
  updateStatus(worker: string, mirror: string, update: StatusUpdate, run: RunStepOf | undefined): Promise<MirrorStatus> {
    return this.enqueue({ kind: 'status', worker, mirror, update, run }) as Promise<MirrorStatus>;
  }

  /** JobStore.refreshWorker through the next batch. */
  refreshWorker(worker: string, at: Date): Promise<WorkerStatus | undefined> {
    return this.enqueue({ kind: 'refresh', worker, at }) as Promise<WorkerStatus | undefined>;
  }

  /** Resolves once every write queued so far has settled. */
  async drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private enqueue(write: BatchWrite): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.grouped) this.start();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    // Writes issued in this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.start();
    });
  }

  private start(): void {
    while (this.queue.length > 0 && (!this.grouped || this.inFlight < this.maxInFlight)) {
      const batch = this.queue.splice(0, this.grouped ? this.maxBatch : 1);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
        else if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
      });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return this.runAlone(batch[0]!);
    let outcomes: BatchOutcome[];
    const progress = { commitSent: false };
    try {
      outcomes = await inTransaction(this.pool(), (db) => applyBatch(db, batch.map((p) => p.write), progress), true, true);
    } catch (err) {
      if (progress.commitSent && !isSqlError(err)) {
        // The connection failed with COMMIT on its way: the batch may have committed, so running it again
        // could apply a report twice. Each write fails (a worker sends its report again).
        for (const p of batch) p.reject(translatePgError(err, 'of this manager'));
        return;
      }
      // The database refused something, so nothing of the batch was committed: each write on its own, so one bad write fails alone.
      for (const p of batch) await this.runAlone(p);
      return;
    }
    this.batches++;
    outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(o.error)));
  }

  private async runAlone({ write, resolve, reject }: Pending): Promise<void> {
    try {
      if (write.kind === 'status') {
        const { worker, mirror, update, run } = write;
        resolve(await inTransaction(this.pool(), (db) => mergeStatus(db, worker, mirror, update, run, true), true));
      } else {
        // One statement (no transaction): the row lock of the UPDATE is enough.
        const { rows } = await this.pool().query<WorkerRow>('UPDATE workers SET last_online = $1 WHERE id = $2 RETURNING *', [write.at.getTime(), write.worker]);
        resolve(rows[0] ? toWorker(rows[0]) : undefined);
      }
    } catch (err) {
      reject(translatePgError(err, 'of this manager'));
    }
  }
}
