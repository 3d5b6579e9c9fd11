/** A clock tests move by hand (inject it wherever a `Clock` is taken). */
import type { Clock } from '@tunasync/core';

/** A `Clock` that stands still until `advance` or `set` moves it. */
export class TestClock implements Clock {
  private t: number;
  constructor(start: string | Date = '2026-11-21T06:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  /** The current test time. */
  now(): Date {
    return new Date(this.t);
  }
  /** Moves the clock forward by `ms`; returns the new time. */
  advance(ms: number): Date {
    this.t += ms;
    return this.now();
  }
  /** Sets the clock to `to`. */
  set(to: string | Date): Date {
    this.t = new Date(to).getTime();
    return this.now();
  }
}
