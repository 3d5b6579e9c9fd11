/**
 * Coalesced worker reads: every getWorker of one turn of the event loop (the
 * report path asks for the worker on each report) is answered by one query.
 * A read is sent after it was asked for, never joined to one already on its
 * way, so it sees every write committed before it was asked.
 */
import type pg from 'pg';
import type { WorkerRow } from './pg-rows.js';

interface Waiter {
  resolve: (row: WorkerRow | undefined) => void;
  reject: (err: unknown) => void;
}

/** Batches `SELECT … FROM workers WHERE id = …` by turn of the event loop. */
export class WorkerReads {
  private waiting = new Map<string, Waiter[]>();

  /** `pool` is called when the query is sent. */
  constructor(private readonly pool: () => pg.Pool) {}

  /** The worker's row, or undefined. */
  get(id: string): Promise<WorkerRow | undefined> {
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) setImmediate(() => void this.send());
      const list = this.waiting.get(id);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(id, [{ resolve, reject }]);
    });
  }

  private async send(): Promise<void> {
    const waiting = this.waiting;
    this.waiting = new Map();
    try {
      const { rows } = await this.pool().query<WorkerRow>('SELECT * FROM workers WHERE id = ANY($1::text[])', [[...waiting.keys()]]);
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const [id, list] of waiting) for (const w of list) w.resolve(byId.get(id));
    } catch (err) {
      for (const list of waiting.values()) for (const w of list) w.reject(err);
    }
  }
}
