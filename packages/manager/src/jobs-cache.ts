/**
 * The body of `GET /jobs`, the largest answer (about 400 bytes a job) and the
 * one every status page polls: serialised once per change of the store when
 * the store declares the optional `generation()` capability, read and
 * serialised on every request when it does not.
 */
import { serializeWebMirrorStatus, type JobStore } from '@tunasync/core';

/** Caches `GET /jobs` per store generation. */
export class JobsCache {
  private cached: { generation: string; body: string } | undefined;

  /**
   * @param store where the jobs live
   * @param timeZone IANA zone of the text times (default: the process's zone)
   */
  constructor(
    private readonly store: JobStore,
    private readonly timeZone?: string,
  ) {}

  /** The JSON text of `GET /jobs` (tunasync's WebMirrorStatus list). */
  async body(): Promise<string> {
    const generation = this.store.generation ? await this.store.generation() : undefined;
    if (generation !== undefined && this.cached?.generation === generation) return this.cached.body;
    const all = await this.store.listAllMirrorStatus();
    const body = JSON.stringify(all.map((s) => serializeWebMirrorStatus(s, this.timeZone)));
    this.cached = generation === undefined ? undefined : { generation, body };
    return body;
  }
}
