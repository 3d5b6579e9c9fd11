/**
 * A wake-up that is not lost: `fire()` before `wait()` makes the next wait
 * return at once; several fires before a wait count as one.
 */
export class Signal {
  private dirty = false;
  private waiter: (() => void) | undefined;

  /** Wakes the waiter, or the next wait. */
  fire(): void {
    this.dirty = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Resolves at the next fire (at once when one came since the last wait). */
  wait(): Promise<void> {
    if (this.dirty) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.waiter = () => {
        this.dirty = false;
        resolve();
      };
    });
  }
}
