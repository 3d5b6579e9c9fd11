/**
 * `GET /jobs/:mirror/log/stream?tail=N|offset=BYTES`: Server-Sent Events
 * following a job's log file. The process writes the file directly (as
 * always); this only reads it, from the last offset, when fs.watch says it
 * changed (and at each keep-alive). Events: `retry: 3000` first; `event:
 * line` per line with `id:` = the byte offset after it (send it back as
 * `Last-Event-ID` or `offset` to resume); a `: keep-alive` comment every
 * 15 s; `event: end` with `{"run_id", "result"}` when the run ends (at once,
 * after the lines asked for, when the job is idle). A retried run's next try
 * writes a new file: the stream moves on to it (offsets start again at 0).
 * Reading pauses while the client's socket is full.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Response } from 'express';
import type { RunEndEvent, RunStartEvent, WorkerEventEmitter } from '../events.js';
import type { MirrorJob } from '../mirror-job.js';
import type { TimerApi } from '../scheduler.js';
import { CHUNK_BYTES, tailStart, type OffsetLine } from './log-bytes.js';
import { readEventChunk, readLastPiece, type ChunkCache } from './event-chunks.js';
import type { ResolvedLog } from './log-files.js';
import type { Redactor } from './redact.js';
import type { RunIndex } from './run-index.js';
import { gone, writeText } from './response-sink.js';

/** Milliseconds between keep-alive comments. */
export const KEEP_ALIVE_MS = 15_000;
/** The reconnection delay the client is told. */
export const RETRY_MS = 3000;

/** How often a stream looks for a log whose directory cannot be watched yet, in ms. */
export const NO_WATCH_POLL_MS = 200;

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
  /** Formatted chunks shared by the followers of a file. */
  cache: ChunkCache;
  /** Where a try began writing `file` (a log of the same minute is appended to); 0 when unknown. */
  tryStart(file: string): number;
}

/** One SSE event's text for a log line (CR splits `data:` fields: SSE has no escaping). */
export function lineEvent(line: OffsetLine, redact: Redactor): string {
  const text = redact(line.text.endsWith('\r') ? line.text.slice(0, -1) : line.text);
  const data = text.includes('\r') ? text.split('\r').join('\ndata: ') : text;
  return `id: ${line.end}\nevent: line\ndata: ${data}\n\n`;
}

/** Follows a log for one client until the run ends or the client goes. */
export async function followLog(res: Response, o: FollowOptions): Promise<void> {
  const { job } = o;
  const mirror = job.name;
  let runId = o.log ? o.log.runId : job.currentRunId;
  let ended: { run_id: string | null; result: string } | undefined;
  let nextFile: string | undefined;
  let wake: (() => void) | undefined;
  let dirty = false;
  let watcher: FSWatcher | undefined;
  const poke = (): void => {
    dirty = true;
    const w = wake;
    wake = undefined;
    w?.();
  };
  /** Waits for a change, unless one came since the last wait. */
  const sleep = (): Promise<void> => {
    if (dirty) {
      dirty = false;
      return Promise.resolve();
    }
    // Without a watcher (the log directory does not exist yet), look again soon.
    const retry = watcher ? undefined : setTimeout(poke, NO_WATCH_POLL_MS);
    return new Promise<void>((r) => {
      wake = () => {
        if (retry) clearTimeout(retry);
        dirty = false;
        r();
      };
    });
  };
  const onStart = (e: RunStartEvent): void => {
    if (e.mirror !== mirror || (runId !== undefined && e.runId !== runId)) return;
    runId = e.runId;
    nextFile = e.logFile;
    poke();
  };
  const onEnd = (e: RunEndEvent): void => {
    if (e.mirror !== mirror || (runId !== undefined && e.runId !== runId)) return;
    ended = { run_id: e.runId, result: e.outcome };
    poke();
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
    poke();
  };
  timer = o.timers.set(tick, KEEP_ALIVE_MS);
  res.on('close', poke);

  let fh: FileHandle | undefined;
  const format = (text: string, end: number): string => lineEvent({ text, end }, o.redact);
  const closeFile = async (): Promise<void> => {
    watcher?.close();
    watcher = undefined;
    const f = fh;
    fh = undefined;
    await f?.close();
  };
  try {
    res.status(200);
    res.set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    if (runId !== undefined) res.set('x-run-id', runId);
    res.flushHeaders();
    await writeText(res, `retry: ${RETRY_MS}\n\n`);
    let file = o.log?.file;
    let first = true;
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    while (!gone(res)) {
      if (file === undefined) {
        if (nextFile !== undefined) {
          file = nextFile;
          nextFile = undefined;
          continue;
        }
        if (ended) break;
        await sleep();
        continue;
      }
      // Watch the directory first (a try's file may not exist yet; writes to it
      // show there too), so that a write between the last read and the wait is not missed.
      if (!watcher) {
        try {
          watcher = watch(dirname(file), { persistent: false }, poke);
          watcher.on('error', () => undefined);
        } catch {
          watcher = undefined; // the keep-alive tick still reads
        }
      }
      try {
        // A failed try's log is renamed to `.fail` as it ends.
        fh = await open(file, 'r').catch(() => open(`${file}.fail`, 'r'));
      } catch {
        if (nextFile === undefined && ended) break;
        if (nextFile !== undefined) {
          file = nextFile;
          nextFile = undefined;
        } else {
          await sleep();
        }
        continue;
      }
      let pos = o.tryStart(file);
      if (first) {
        const size = (await fh.stat()).size;
        if ('offset' in o.start) pos = Math.min(o.start.offset, size);
        else if ('tail' in o.start) pos = await tailStart(fh, size, o.start.tail);
        pos = Math.min(pos, size);
        first = false;
      }
      const st = await fh.stat();
      const id = `${st.dev}:${st.ino}`;
      for (;;) {
        if (gone(res)) break;
        const chunk = await readEventChunk(fh, id, pos, buf, o.cache, format);
        if (chunk.next > pos) {
          pos = chunk.next;
          if (!(await writeText(res, chunk.text))) break;
          continue;
        }
        // At the end of what is written: the try is over when a next one began or the run ended.
        if (nextFile !== undefined || ended) {
          const last = await readLastPiece(fh, pos, buf, format);
          if (last) await writeText(res, last);
          break;
        }
        await sleep();
      }
      const done = fh;
      fh = undefined;
      await done.close();
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
    res.off('close', poke);
    await closeFile();
  }
}
