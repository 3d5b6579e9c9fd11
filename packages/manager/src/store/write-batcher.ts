/**
 * Group commit for SQLite: write operations issued in the same turn of the
 * event loop run in one IMMEDIATE transaction, each inside its own savepoint,
 * and their promises settle only after the COMMIT. So every answered write is
 * as durable as with one transaction per write (with `synchronous = FULL`,
 * synced to disk), but concurrent requests share one fsync instead of paying
 * one each. An operation that throws rolls back its savepoint only; when its
 * error made SQLite roll back the whole transaction (SQLITE_FULL can), the
 * batch is run again one operation per transaction, so each operation still
 * succeeds or fails on its own and none is committed behind a rejection.
 */
import type Database from 'better-sqlite3';

interface Pending {
  op: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Thrown out of a batch whose transaction SQLite already rolled back. */
class BatchAborted extends Error {
  constructor(readonly error: unknown) {
    super('transaction rolled back by SQLite');
  }
}

/** Queues write operations and commits them together. */
export class WriteBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly batch: Database.Transaction<(ops: Pending[]) => Outcome[]>;
  private readonly single: Database.Transaction<(op: () => unknown) => unknown>;

  /** `grouped` false runs each operation at once in its own transaction. */
  constructor(
    db: Database.Database,
    private readonly grouped = true,
    private readonly onCommit: () => void = () => undefined,
  ) {
    // Called inside `batch`, a better-sqlite3 transaction function becomes a savepoint.
    const one = db.transaction((op: () => unknown) => op());
    this.single = one;
    this.batch = db.transaction((ops: Pending[]) =>
      ops.map((p): Outcome => {
        try {
          return { ok: true, value: one(p.op) };
        } catch (error) {
          // Outside a transaction now, later operations would commit one by one.
          if (!db.inTransaction) throw new BatchAborted(error);
          return { ok: false, error };
        }
      }),
    );
  }

  /** Runs `op` in the next batch; resolves with its result once committed. */
  run<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.grouped) {
        this.flush();
      } else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now (also used before closing). */
  flush(): void {
    this.scheduled = false;
    const ops = this.queue;
    if (ops.length === 0) return;
    this.queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.batch.immediate(ops);
      this.onCommit();
    } catch (err) {
      if (err instanceof BatchAborted && ops.length > 1) {
        // Nothing of this batch was written: run each operation on its own.
        for (const p of ops) this.runAlone(p);
        return;
      }
      // BEGIN or COMMIT failed: nothing of this batch was written.
      const error = err instanceof BatchAborted ? err.error : err;
      for (const p of ops) p.reject(error);
      return;
    }
    outcomes.forEach((o, i) => (o.ok ? ops[i]!.resolve(o.value) : ops[i]!.reject(o.error)));
  }

  private runAlone(p: Pending): void {
    let value: unknown;
    try {
      value = this.single.immediate(p.op);
    } catch (err) {
      p.reject(err);
      return;
    }
    this.onCommit();
    p.resolve(value);
  }
}
