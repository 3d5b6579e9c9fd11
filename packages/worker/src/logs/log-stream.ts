/**
 * `GET /jobs/:mirror/log/stream?tail=N|offset=BYTES`: Server-Sent Events
 * following a job's log file. The process writes the file directly (as
 * always); the file's shared reader (log-fanout.ts) reads each new piece
 * once and sends the same events to every follower. Events: `retry: 3000`
 * first; `event: line` per line with `id:` = the byte offset after it (send
 * it back as `Last-Event-ID` or `offset` to resume); a `: keep-alive`
 * comment every 15 s; `event: end` with `{"run_id", "result"}` when the run
 * ends (at once, after the lines asked for, when the job is idle); `event:
 * error` before the stream is cut when the client fell too far behind. A
 * retried run's next try writes a new file: the stream moves on to it
 * (offsets start again at 0).
 */
import { basename } from 'node:path';
import type { Response } from 'express';
import type { RunEndEvent, RunStartEvent, WorkerEventEmitter } from '../events.js';
import type { MirrorJob } from '../mirror-job.js';
import type { TimerApi } from '../scheduler.js';
import { tailStart } from './log-bytes.js';
import type { LogFanout, LogSubscription, StartAt } from './log-fanout.js';
import type { ResolvedLog } from './log-files.js';
import type { Redactor } from './redact.js';
import type { RunIndex } from './run-index.js';
import { gone, writeText } from './response-sink.js';
import { Signal } from './signal.js';

/** Milliseconds between keep-alive comments. */
export const KEEP_ALIVE_MS = 15_000;
/** The reconnection delay the client is told. */
export const RETRY_MS = 3000;

/** Where a stream starts in its first file: a byte offset, the last lines, or where the current try began writing. */
export type StreamStart = { offset: number } | { tail: number } | { fromTry: true };

/** What a follow needs. */
export interface FollowOptions {
  job: MirrorJob;
  /** The file to start with (the current try's or the latest log); undefined while the run waits for its first try. */
  log: ResolvedLog | undefined;
  start: StreamStart;
  events: WorkerEventEmitter;
  redact: Redactor;
  index: RunIndex;
  timers: TimerApi;
  /** The shared readers of followed files. */
  fanout: LogFanout;
  /** Names the secrets `redact` hides (followers share a reader only when theirs are the same). */
  redactKey: string;
  /** Where a try began writing `file` (a log of the same minute is appended to); 0 when unknown. */
  tryStart(file: string): number;
}

/** Follows a log for one client until the run ends or the client goes. */
export async function followLog(res: Response, o: FollowOptions): Promise<void> {
  const { job } = o;
  const mirror = job.name;
  let runId = o.log ? o.log.runId : job.currentRunId;
  let ended: { run_id: string | null; result: string } | undefined;
  let nextFile: string | undefined;
  let current: LogSubscription | undefined;
  const wake = new Signal();
  /** The file followed now is complete once a next try began or the run ended. */
  const changed = (): void => {
    if (current && (nextFile !== undefined || ended)) current.complete();
    wake.fire();
  };
  const onStart = (e: RunStartEvent): void => {
    if (e.mirror !== mirror || (runId !== undefined && e.runId !== runId)) return;
    runId = e.runId;
    nextFile = e.logFile;
    changed();
  };
  const onEnd = (e: RunEndEvent): void => {
    if (e.mirror !== mirror || (runId !== undefined && e.runId !== runId)) return;
    ended = { run_id: e.runId, result: e.outcome };
    changed();
  };
  if (!o.log?.live && !job.running) {
    // Idle: the latest log, then the end of the run that wrote it.
    const known = o.log ? o.index.byFile(mirror, basename(o.log.file)) : undefined;
    ended = {
      run_id: known?.runId ?? o.log?.runId ?? null,
      result: known?.result ?? (o.log?.file.endsWith('.fail') ? 'failed' : 'success'),
    };
  } else {
    o.events.on('run:start', onStart);
    o.events.on('run:end', onEnd);
    // The run may have ended while the request was being resolved.
    if (runId !== undefined && job.currentRunId !== runId) ended = { run_id: runId, result: o.index.result(mirror, runId) ?? 'unknown' };
  }
  let timer: unknown;
  const tick = (): void => {
    timer = o.timers.set(tick, KEEP_ALIVE_MS);
    void writeText(res, ': keep-alive\n\n');
    current?.poke();
  };
  timer = o.timers.set(tick, KEEP_ALIVE_MS);
  const onClose = (): void => wake.fire();
  res.on('close', onClose);
  try {
    res.status(200);
    res.set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    if (runId !== undefined) res.set('x-run-id', runId);
    res.flushHeaders();
    await writeText(res, `retry: ${RETRY_MS}\n\n`);
    let file = o.log?.file;
    let first = true;
    while (!gone(res)) {
      if (file === undefined) {
        if (nextFile !== undefined) {
          file = nextFile;
          nextFile = undefined;
          continue;
        }
        if (ended) break;
        await wake.wait();
        continue;
      }
      const from = o.tryStart(file);
      const start = o.start;
      const startAt: StartAt = first
        ? async (fh, size) => Math.min('offset' in start ? start.offset : 'tail' in start ? await tailStart(fh, size, start.tail) : from, size)
        : async (_fh, size) => Math.min(from, size);
      first = false;
      const sub = o.fanout.subscribe(file, o.redact, o.redactKey, res, startAt);
      current = sub;
      if (nextFile !== undefined || ended) sub.complete();
      const how = await sub.done;
      current = undefined;
      if (how === 'gone' || how === 'dropped') break;
      file = nextFile;
      nextFile = undefined;
      if (file === undefined && ended) break;
    }
    if (!gone(res)) {
      if (ended) await writeText(res, `event: end\ndata: ${JSON.stringify(ended)}\n\n`);
      res.end();
    }
  } finally {
    o.timers.clear(timer);
    o.events.off('run:start', onStart);
    o.events.off('run:end', onEnd);
    res.off('close', onClose);
  }
}
