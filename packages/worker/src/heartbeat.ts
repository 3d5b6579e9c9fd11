/**
 * Heartbeats to each manager (issue 16): `POST /workers/:id/heartbeat`
 * (tunasync-rs's route) every `[manager] heartbeat_interval` seconds, and
 * once right after start (after registering). The answer's `maintenance`
 * object feeds the MaintenanceGate. A manager without the route (tunasync's:
 * 404 or 405) gets one log line and no more heartbeats; one that does not
 * know the worker yet (not registered) or cannot be reached is tried again
 * sooner (within 5 s).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Got } from 'got';
import { DEFAULT_HEARTBEAT_INTERVAL_S, createHttpClient, parseMaintenance, type Logger, type MaintenanceState, type WorkerConfig } from '@tunasync/core';
import type { MaintenanceGate } from './maintenance.js';

/** Options of Heartbeat. */
export interface HeartbeatOptions {
  apiBaseList: string[];
  /** The client the reports use (token, CA, client certificate). */
  http: Got;
  /** The worker's id now. */
  workerId: () => string;
  /** Between heartbeats, in ms (default 60 s). */
  intervalMs?: number;
  logger: Logger;
  /** Told each manager's maintenance state after each answer. */
  onMaintenance: (base: string, state: MaintenanceState | undefined) => void;
}

/** What one beat came to. */
export type BeatResult = 'ok' | 'unsupported' | 'retry';

/** Sends heartbeats to every manager. */
export class Heartbeat {
  private readonly stop = new AbortController();
  private readonly unsupported = new Set<string>();
  private loops: Promise<void>[] = [];

  constructor(private readonly o: HeartbeatOptions) {}

  /** Starts one loop per manager; the first beat goes at once. */
  start(): void {
    this.loops = [...new Set(this.o.apiBaseList)].map((base) => this.loop(base));
  }

  /** Managers found without the route. */
  get unsupportedManagers(): string[] {
    return [...this.unsupported];
  }

  private async loop(base: string): Promise<void> {
    const interval = this.o.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_S * 1000;
    while (!this.stop.signal.aborted) {
      const r = await this.beat(base);
      if (r === 'unsupported') return;
      try {
        await sleep(r === 'ok' ? interval : Math.min(interval, 5000), undefined, { signal: this.stop.signal });
      } catch {
        return;
      }
    }
  }

  /** Sends one heartbeat to `base` now (a manager found without the route is skipped). */
  async beat(base: string): Promise<BeatResult> {
    if (this.unsupported.has(base)) return 'unsupported';
    const url = `${base}/workers/${encodeURIComponent(this.o.workerId())}/heartbeat`;
    try {
      // A heartbeat is idempotent: a kept-alive connection the manager closed meanwhile (restart) is retried once, at once.
      const retry = { limit: 1, methods: ['POST' as const], statusCodes: [], errorCodes: ['ECONNRESET', 'EPIPE'], backoffLimit: 0 };
      const res = await this.o.http.post(url, { json: {}, retry, signal: this.stop.signal, responseType: 'json' });
      const body = res.body as { maintenance?: unknown } | undefined;
      this.o.onMaintenance(base, parseMaintenance(body?.maintenance));
      return 'ok';
    } catch (err) {
      if (this.stop.signal.aborted) return 'retry';
      const status = (err as { response?: { statusCode?: number } }).response?.statusCode;
      if (status === 404 || status === 405) {
        this.unsupported.add(base);
        this.o.onMaintenance(base, undefined);
        this.o.logger.info(`manager ${base} has no heartbeat route (answered ${status}): no heartbeats are sent to it`);
        return 'unsupported';
      }
      this.o.logger.debug(`heartbeat to ${base}: ${(err as Error).message}`);
      return 'retry';
    }
  }

  /** Stops every loop. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.loops);
  }
}

/** The worker's heartbeat from its config (`[manager]`: managers, token, CA, client certificate, `heartbeat_interval`), feeding `gate`. */
export function createWorkerHeartbeat(config: () => WorkerConfig, logger: Logger, gate: MaintenanceGate): Heartbeat {
  const m = config().manager;
  const http = createHttpClient({ caFile: m.caCert || undefined, clientCertFile: m.clientCert || undefined, clientKeyFile: m.clientKey || undefined, token: m.token, timeoutMs: 5000 });
  return new Heartbeat({
    apiBaseList: m.apiBaseList,
    http,
    workerId: () => config().global.name,
    intervalMs: (m.heartbeatIntervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S) * 1000,
    logger,
    onMaintenance: (base, state) => gate.set(base, state),
  });
}
