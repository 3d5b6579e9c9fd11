/**
 * Timers for a worker under test (its scheduler, keep-alives, stall
 * timers): nothing fires until the test calls `fire(ms)`, which runs every
 * pending timer that was set for exactly `ms` milliseconds.
 */
import type { TimerApi } from '@tunasync/core';

/** TimerApi whose timers fire only on `fire(ms)`; returns how many fired. */
export function manualTimers(): TimerApi & { fire(ms: number): number } {
  let next = 0;
  const pending = new Map<number, { fn: () => void; ms: number }>();
  return {
    set: (fn, ms) => {
      pending.set(++next, { fn, ms });
      return next;
    },
    clear: (h) => void pending.delete(h as number),
    fire: (ms) => {
      const due = [...pending].filter(([, t]) => t.ms === ms);
      for (const [id, t] of due) {
        pending.delete(id);
        t.fn();
      }
      return due.length;
    },
  };
}
