/**
 * The in-process change feed of the SQLite store (core's `ChangeFeed`): a
 * list of listeners called after a write committed. With no listener the
 * store builds no change at all, so the report hot path pays one length check.
 */
import type { StoreChange } from '@tunasync/core';

/** Listeners of one store's committed changes. */
export class ChangeEmitter {
  private listeners: ((change: StoreChange) => void)[] = [];

  /** Whether anyone listens (callers skip building changes when not). */
  get active(): boolean {
    return this.listeners.length > 0;
  }

  /** Adds a listener; returns the function that removes it. */
  watch(listener: (change: StoreChange) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Calls every listener with `change`; a throwing listener does not stop the others or the write. */
  emit(change: StoreChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // a watcher's bug is not the writer's problem
      }
    }
  }
}
