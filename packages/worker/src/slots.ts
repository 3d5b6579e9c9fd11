/**
 * The `concurrent` limit: a counting semaphore whose waiters can be
 * let through past the limit (`start` with `force`) or give up (aborted).
 */

/** A granted slot; call release once when the run ends. */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  bypass: () => void;
}

/** Counts running jobs against `limit`. */
export class ConcurrencySlots {
  private running = 0;
  private readonly queue: Waiter[] = [];

  constructor(private limit: number) {}

  /** Jobs holding a slot (including forced ones). */
  get active(): number {
    return this.running;
  }

  /** Changes the limit (on reload); waiters start if room appears. */
  setLimit(limit: number): void {
    this.limit = Math.max(1, limit);
    this.drain();
  }

  private makeRelease(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.running -= 1;
      this.drain();
    };
  }

  private drain(): void {
    while (this.running < this.limit && this.queue.length > 0) {
      const w = this.queue.shift()!;
      this.running += 1;
      w.grant(this.makeRelease());
    }
  }

  /**
   * Waits for a slot. Resolves with its release, or with undefined when
   * `signal` aborts first. The returned `bypass` lets this waiter through
   * at once, past the limit.
   */
  acquire(signal: AbortSignal): { slot: Promise<Release | undefined>; bypass: () => void } {
    let bypass: () => void = () => {};
    const slot = new Promise<Release | undefined>((resolve) => {
      if (signal.aborted) return resolve(undefined);
      if (this.running < this.limit && this.queue.length === 0) {
        this.running += 1;
        return resolve(this.makeRelease());
      }
      const waiter: Waiter = {
        grant: (release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
        bypass: () => {
          const i = this.queue.indexOf(waiter);
          if (i < 0) return;
          this.queue.splice(i, 1);
          this.running += 1;
          waiter.grant(this.makeRelease());
        },
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      bypass = waiter.bypass;
    });
    return { slot, bypass: () => bypass() };
  }
}
