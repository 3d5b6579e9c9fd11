/**
 * The change feed of the PostgreSQL store: every write sends
 * `pg_notify('tunasync_changes', <change JSON>)` in its transaction (so it is
 * delivered at commit, to every manager on the database); a dedicated
 * connection LISTENs while anyone watches. Notifications are hints: watchers
 * are told `resync` once the connection listens (changes made before were
 * not announced to them) and again after it dropped and reconnected
 * (backing off up to 5 s), because changes may have been missed meanwhile.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger, StoreChange } from '@tunasync/core';

/** The channel every tunasync-ts manager on a database uses. */
export const CHANGE_CHANNEL = 'tunasync_changes';

/** The SQL that announces a change (its one parameter: `changeText(change)`). */
export const NOTIFY_SQL = `SELECT pg_notify('${CHANGE_CHANNEL}', $1)`;

/** A change as notification payload. */
export function changeText(change: StoreChange): string {
  return JSON.stringify(change);
}

function parseChange(text: string | undefined): StoreChange | undefined {
  try {
    const c = JSON.parse(text ?? '') as StoreChange;
    return c && typeof c === 'object' && typeof c.kind === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}

/** LISTENs on one connection while it has watchers; reconnects and reports `resync` after a drop. */
export class PgChangeListener {
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private client: pg.Client | undefined;
  private running = false;
  private stopping = new AbortController();
  /** Reconnections so far (tests and metrics). */
  reconnects = 0;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  /** Adds a watcher (starting the listening connection on the first); returns its unsubscribe. */
  watch(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    if (!this.running) {
      this.running = true;
      void this.loop();
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(change: StoreChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (err) {
        this.logger.warn(`store change watcher failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Drops the listening connection as if the network had (tests). */
  async dropConnection(): Promise<void> {
    const c = this.client;
    if (c) (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  }

  private async loop(): Promise<void> {
    let delay = 250;
    let first = true;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const client = new pg.Client({ connectionString: this.url, application_name: 'tunasync-manager-listen' });
      const ended = new Promise<void>((resolve) => {
        client.once('end', resolve);
        client.on('error', () => resolve());
      });
      try {
        await client.connect();
        client.on('notification', (n) => {
          const change = parseChange(n.payload);
          if (change) this.emit(change);
        });
        await client.query(`LISTEN ${CHANGE_CHANNEL}`);
        this.client = client;
        delay = 250;
        // Changes committed before the feed was live (or while it was down) may have been missed.
        if (!first) this.reconnects++;
        first = false;
        this.emit({ kind: 'resync' });
        await Promise.race([ended, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
      } catch (err) {
        if (!signal.aborted) this.logger.warn(`store change feed: cannot listen: ${err instanceof Error ? err.message : String(err)}`);
        first = false;
      }
      this.client = undefined;
      await client.end().catch(() => undefined);
      if (signal.aborted) break;
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      delay = Math.min(delay * 2, 5_000);
    }
  }

  /** Stops listening for good. */
  async close(): Promise<void> {
    this.stopping.abort();
    this.listeners.clear();
    await this.client?.end().catch(() => undefined);
  }
}
