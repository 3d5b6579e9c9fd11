/**
 * The watch a shared log reader keeps on its file's directory while it
 * waits at the end of the file: a change wakes the reader. The reader
 * stops it while it reads (a fast writer would make an event per write,
 * each costing the writer) and starts it again before it sleeps; where the
 * directory cannot be watched, sleeping polls.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Signal } from './signal.js';

/** How often a reader looks for a log whose directory cannot be watched yet, in ms. */
export const NO_WATCH_POLL_MS = 200;

/** A stoppable watch on one directory, firing `wake`. */
export class DirWatch {
  private watcher: FSWatcher | undefined;
  private tried = false;

  constructor(
    private readonly dir: string,
    private readonly wake: Signal,
  ) {}

  /** True from start() until stop() (whether or not the watch could be made). */
  get started(): boolean {
    return this.tried;
  }

  /** Watches the directory (once until stop()). */
  start(): void {
    if (this.tried) return;
    this.tried = true;
    try {
      this.watcher = watch(this.dir, { persistent: false }, () => this.wake.fire());
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = undefined; // looked at again on a timer
    }
  }

  /** Stops watching. */
  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.tried = false;
  }

  /** Waits for `wake` (a change, or whatever else fires it); polls when the directory is not watched. */
  async sleep(): Promise<void> {
    const poll = this.watcher ? undefined : setTimeout(() => this.wake.fire(), NO_WATCH_POLL_MS);
    await this.wake.wait();
    if (poll) clearTimeout(poll);
  }
}
