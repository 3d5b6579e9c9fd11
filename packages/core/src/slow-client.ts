/**
 * What the worker and the manager do to a log follower that stayed a whole
 * queue behind for the stall wait: after what it was already sent, an SSE
 * `event: error` with code `slow_client` (it reconnects with its last
 * event id), then the end of the answer; a connection that cannot take
 * even that within DROP_GRACE_MS is cut.
 */
import type { TimerApi } from './time.js';

/** How long a sender waits for a follower a whole queue behind before dropping it, in ms. */
export const STALL_MS = 10_000;
/** How long a dropped follower's queue may take to go out before its connection is cut, in ms. */
export const DROP_GRACE_MS = 5_000;

/** The part of an HTTP answer a drop uses (node's ServerResponse). */
export interface DroppableAnswer {
  end(chunk: string): unknown;
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** Ends `res` as a follower that stayed `queueBytes` behind for STALL_MS. */
export function dropSlowClient(res: DroppableAnswer, queueBytes: number, timers: TimerApi): void {
  const error = { error: `this client stayed ${queueBytes} bytes behind the log for ${STALL_MS / 1000} s: reconnect with its last event id`, code: 'slow_client' };
  res.end(`event: error\ndata: ${JSON.stringify(error)}\n\n`);
  const timer = timers.set(() => res.destroy(), DROP_GRACE_MS);
  res.once('close', () => timers.clear(timer));
}
