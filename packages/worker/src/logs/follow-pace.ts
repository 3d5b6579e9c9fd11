/**
 * How fast a shared reader follows a log, so that following never competes
 * with the job writing it: after a read that reached the end of the file
 * the next waits FOLLOW_INTERVAL_MS (a fast writer is followed in whole
 * chunks, not chased a few bytes at a time); while the file grows, the
 * reader takes at most FOLLOW_GROWING_BYTES per interval; once the file
 * stops growing, it reads as fast as its followers take. The waits are
 * real time: a rate limit, not behaviour a test clock drives.
 */
import type { FileHandle } from 'node:fs/promises';

/** After a read reached the end of the file, how long the reader lets more gather before the next, in ms. */
export const FOLLOW_INTERVAL_MS = 100;
/** Bytes the reader takes per interval while the file grows (2.5 MiB/s: about 26,000 lines of 100 bytes a second). */
export const FOLLOW_GROWING_BYTES = 256 * 1024;

/** The pace of one reader. */
export class FollowPace {
  /** No read before this time. */
  private until = 0;
  private tickStart = 0;
  private tickBytes = 0;
  /** The file's size at the last look (-1: not looked at yet). */
  private lastSize = -1;

  constructor(
    private readonly intervalMs = FOLLOW_INTERVAL_MS,
    private readonly growingBytes = FOLLOW_GROWING_BYTES,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds to wait before the next read of `fh` (0: read now). */
  async waitMs(fh: FileHandle): Promise<number> {
    const now = this.now();
    if (this.until > now) return this.until - now;
    if (now >= this.tickStart + this.intervalMs) {
      this.tickStart = now;
      this.tickBytes = 0;
    }
    if (this.growingBytes <= 0 || this.tickBytes < this.growingBytes) return 0;
    const size = (await fh.stat()).size;
    const growing = size !== this.lastSize;
    this.lastSize = size;
    if (!growing) return 0;
    this.until = this.tickStart + this.intervalMs;
    return Math.max(0, this.until - now);
  }

  /** Counts a read of `bytes`; `atEnd`: it reached the end of the file. */
  read(bytes: number, atEnd: boolean): void {
    this.tickBytes += bytes;
    if (atEnd) this.until = this.now() + this.intervalMs;
  }
}
