/**
 * Coalesced reads of the report path: the getWorker, getMirrorStatus and
 * countMirrorStatus calls of one turn of the event loop (the manager makes
 * them for each report it receives) are answered together by one query of
 * up to three statements, on one pooled connection, not by one query each.
 * A read is sent after it was asked for, never joined to one already on its
 * way, so it sees every write committed before it was asked.
 */
import type pg from 'pg';
import { escapeLiteral, type StatusRow, type WorkerRow } from './pg-rows.js';

interface Waiter<R> {
  resolve: (value: R | undefined) => void;
  reject: (err: unknown) => void;
}

/** Lookups by key waiting for the next query. */
class Waiting<K, R> {
  readonly entries = new Map<string, { key: K; waiters: Waiter<R>[] }>();

  add(text: string, key: K, waiter: Waiter<R>): void {
    const entry = this.entries.get(text);
    if (entry) entry.waiters.push(waiter);
    else this.entries.set(text, { key, waiters: [waiter] });
  }

  settle(found: Map<string, R>): void {
    for (const [text, e] of this.entries) for (const w of e.waiters) w.resolve(found.get(text));
  }

  fail(err: unknown): void {
    for (const e of this.entries.values()) for (const w of e.waiters) w.reject(err);
  }
}

interface JobKey {
  worker: string;
  mirror: string;
}

const jobText = (k: JobKey) => `${k.worker}\u0000${k.mirror}`;

/** The report path's reads, sent once per turn of the event loop. */
export class ReportReads {
  private workers = new Waiting<string, WorkerRow>();
  private statuses = new Waiting<JobKey, StatusRow>();
  private counts = new Waiting<string, number>();
  private scheduled = false;

  /** `pool` is called when the query is sent. */
  constructor(private readonly pool: () => pg.Pool) {}

  /** A worker's row, or undefined. */
  worker(id: string): Promise<WorkerRow | undefined> {
    // PostgreSQL text cannot hold NUL: no row has such a key (and it cannot be sent as a literal).
    if (id.includes('\0')) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => this.add(() => this.workers.add(id, id, { resolve, reject })));
  }

  /** A job's status row, or undefined. */
  status(worker: string, mirror: string): Promise<StatusRow | undefined> {
    if (worker.includes('\0') || mirror.includes('\0')) return Promise.resolve(undefined);
    const key = { worker, mirror };
    return new Promise((resolve, reject) => this.add(() => this.statuses.add(jobText(key), key, { resolve, reject })));
  }

  /** How many jobs a worker has. */
  async count(worker: string): Promise<number> {
    if (worker.includes('\0')) return 0;
    return (await new Promise<number | undefined>((resolve, reject) => this.add(() => this.counts.add(worker, worker, { resolve, reject })))) ?? 0;
  }

  private add(enqueue: () => void): void {
    enqueue();
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.send());
  }

  private async send(): Promise<void> {
    this.scheduled = false;
    const { workers, statuses, counts } = this;
    this.workers = new Waiting();
    this.statuses = new Waiting();
    this.counts = new Waiting();
    const list = (items: string[]) => items.map(escapeLiteral).join(', ');
    const sql: string[] = [];
    try {
      if (workers.entries.size > 0) sql.push(`SELECT * FROM workers WHERE id IN (${list([...workers.entries.keys()])})`);
      if (statuses.entries.size > 0) {
        const keys = [...statuses.entries.values()].map(({ key }) => `(${escapeLiteral(key.worker)}, ${escapeLiteral(key.mirror)})`);
        sql.push(`SELECT * FROM mirror_status WHERE (worker, name) IN (${keys.join(', ')})`);
      }
      if (counts.entries.size > 0) {
        sql.push(`SELECT worker, count(*)::int AS n FROM mirror_status WHERE worker IN (${list([...counts.entries.keys()])}) GROUP BY worker`);
      }
      const raw = (await this.pool().query(sql.join('; '))) as unknown as pg.QueryResult | pg.QueryResult[];
      const results = Array.isArray(raw) ? raw : [raw];
      let i = 0;
      if (workers.entries.size > 0) workers.settle(new Map((results[i++]!.rows as WorkerRow[]).map((r) => [r.id, r])));
      if (statuses.entries.size > 0) {
        statuses.settle(new Map((results[i++]!.rows as StatusRow[]).map((r) => [jobText({ worker: r.worker, mirror: r.name }), r])));
      }
      if (counts.entries.size > 0) counts.settle(new Map((results[i++]!.rows as { worker: string; n: number }[]).map((r) => [r.worker, r.n])));
    } catch (err) {
      for (const w of [workers, statuses, counts] as Waiting<unknown, unknown>[]) w.fail(err);
    }
  }
}
