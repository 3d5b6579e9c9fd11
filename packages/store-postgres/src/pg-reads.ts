/**
 * Coalesced reads of the report path: the getWorker, getMirrorStatus and
 * countMirrorStatus calls of one turn of the event loop (the manager makes
 * them for each report it receives) are answered by one query each, not one
 * query and one pooled connection per call. A read is sent after it was asked
 * for, never joined to one already on its way, so it sees every write
 * committed before it was asked.
 */
import type pg from 'pg';
import type { StatusRow, WorkerRow } from './pg-rows.js';

interface Waiter<R> {
  resolve: (row: R | undefined) => void;
  reject: (err: unknown) => void;
}

/** Batches lookups by key per turn of the event loop; `fetch` answers many keys at once. */
export class TickReads<K, R> {
  private waiting = new Map<string, { key: K; waiters: Waiter<R>[] }>();

  constructor(
    private readonly keyText: (key: K) => string,
    private readonly fetch: (keys: K[]) => Promise<Map<string, R>>,
  ) {}

  /** The value of `key` (undefined when there is none). */
  get(key: K): Promise<R | undefined> {
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) setImmediate(() => void this.send());
      const text = this.keyText(key);
      const entry = this.waiting.get(text);
      if (entry) entry.waiters.push({ resolve, reject });
      else this.waiting.set(text, { key, waiters: [{ resolve, reject }] });
    });
  }

  private async send(): Promise<void> {
    const waiting = this.waiting;
    this.waiting = new Map();
    try {
      const found = await this.fetch([...waiting.values()].map((e) => e.key));
      for (const [text, e] of waiting) for (const w of e.waiters) w.resolve(found.get(text));
    } catch (err) {
      for (const e of waiting.values()) for (const w of e.waiters) w.reject(err);
    }
  }
}

const jobKey = (k: { worker: string; mirror: string }) => `${k.worker}\u0000${k.mirror}`;

/** The three coalesced reads of a store on `pool` (called when a query is sent). */
export function reportReads(pool: () => pg.Pool) {
  return {
    workers: new TickReads<string, WorkerRow>(
      (id) => id,
      async (ids) => {
        const { rows } = await pool().query<WorkerRow>('SELECT * FROM workers WHERE id = ANY($1::text[])', [ids]);
        return new Map(rows.map((r) => [r.id, r]));
      },
    ),
    statuses: new TickReads<{ worker: string; mirror: string }, StatusRow>(jobKey, async (keys) => {
      const { rows } = await pool().query<StatusRow>(
        'SELECT m.* FROM mirror_status m JOIN unnest($1::text[], $2::text[]) AS k(worker, name) ON m.worker = k.worker AND m.name = k.name',
        [keys.map((k) => k.worker), keys.map((k) => k.mirror)],
      );
      return new Map(rows.map((r) => [jobKey({ worker: r.worker, mirror: r.name }), r]));
    }),
    counts: new TickReads<string, number>(
      (id) => id,
      async (ids) => {
        const { rows } = await pool().query<{ worker: string; n: number }>(
          'SELECT worker, count(*)::int AS n FROM mirror_status WHERE worker = ANY($1::text[]) GROUP BY worker',
          [ids],
        );
        return new Map(rows.map((r) => [r.worker, r.n]));
      },
    ),
  };
}
