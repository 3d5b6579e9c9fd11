/**
 * The testkit's TestClock with timers that fire only when the test moves
 * time (`run`), each at its own instant, for the scheduler's TimerApi.
 */
import { TestClock } from '@tunasync/testkit';
import type { TimerApi } from '@tunasync/worker';

/** A TestClock and the timers that go with it. */
export class TimedClock extends TestClock {
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  /** Timers on this clock: `set(fn, ms)` fires when `run` reaches now + ms. */
  readonly timers: TimerApi = {
    set: (fn, ms) => {
      const id = ++this.seq;
      this.pending.set(id, { at: this.now().getTime() + Math.max(0, ms), fn });
      return id;
    },
    clear: (handle) => {
      this.pending.delete(handle as number);
    },
  };

  /** Moves time forward by `ms`, firing due timers in order, each at its own instant. */
  run(ms: number): void {
    const end = this.now().getTime() + ms;
    for (;;) {
      const next = [...this.pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.pending.delete(next[0]);
      this.set(new Date(next[1].at));
      next[1].fn();
    }
    this.set(new Date(end));
  }

  /** Moves to `iso` (forward), firing what falls due on the way. */
  runTo(iso: string): void {
    this.run(Date.parse(iso) - this.now().getTime());
  }
}
