/**
 * Which log file each run wrote, so that `run=RUN_ID` (a run id from the
 * manager's history) finds its log: fed by `run:end`, kept in memory and,
 * when a file is given, appended to a JSON-lines file in the worker's state
 * directory so that it survives a restart. Only file names are kept, never
 * paths: a file is always looked up inside the job's log directory.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { errorMessage, type Logger } from '@tunasync/core';

/** Runs remembered per mirror (the rotation hook keeps ten logs; a run may have several tries). */
export const RUNS_KEPT_PER_MIRROR = 100;

/** A finished run's log. */
export interface IndexedRun {
  runId: string;
  /** The last try's log file name (in the job's log directory). */
  file: string;
  result: string;
}

interface Line {
  m: string;
  r: string;
  f: string;
  res: string;
}

const isLine = (v: unknown): v is Line => {
  const o = v as Record<string, unknown> | null;
  return typeof o === 'object' && o !== null && typeof o.m === 'string' && typeof o.r === 'string' && typeof o.f === 'string' && typeof o.res === 'string';
};

/** Run id → log file name, per mirror. */
export class RunIndex {
  private readonly runs = new Map<string, IndexedRun[]>();
  private writes: Promise<void> = Promise.resolve();
  private lines = 0;

  /** `file`: where the index is kept (none: memory only). */
  constructor(
    private readonly path: string | undefined,
    private readonly logger: Logger,
  ) {
    if (path) this.load(path);
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      try {
        const v: unknown = JSON.parse(raw);
        if (isLine(v)) this.remember(v.m, { runId: v.r, file: basename(v.f), result: v.res });
      } catch {
        // a torn last line: skipped
      }
    }
    if (this.lines > 2 * RUNS_KEPT_PER_MIRROR * Math.max(1, this.runs.size)) this.compact();
  }

  private remember(mirror: string, run: IndexedRun): void {
    const list = this.runs.get(mirror) ?? [];
    const i = list.findIndex((r) => r.runId === run.runId);
    if (i >= 0) list.splice(i, 1);
    list.push(run);
    if (list.length > RUNS_KEPT_PER_MIRROR) list.splice(0, list.length - RUNS_KEPT_PER_MIRROR);
    this.runs.set(mirror, list);
    this.lines++;
  }

  private compact(): void {
    if (!this.path) return;
    const all: string[] = [];
    for (const [m, list] of this.runs) for (const r of list) all.push(JSON.stringify({ m, r: r.runId, f: r.file, res: r.result }));
    this.lines = all.length;
    const file = this.path;
    this.queue(() => writeFile(file, all.length ? `${all.join('\n')}\n` : ''));
  }

  private queue(write: () => Promise<void>): void {
    this.writes = this.writes.then(write).catch((err: unknown) => this.logger.warn(`run index: ${errorMessage(err)}`));
  }

  /** Records a finished run. */
  add(mirror: string, runId: string, logFile: string, result: string): void {
    const run = { runId, file: basename(logFile), result };
    this.remember(mirror, run);
    const file = this.path;
    if (!file) return;
    const line = `${JSON.stringify({ m: mirror, r: runId, f: run.file, res: result })}\n`;
    this.queue(async () => {
      await mkdir(dirname(file), { recursive: true });
      await appendFile(file, line);
    });
    if (this.lines > 4 * RUNS_KEPT_PER_MIRROR * Math.max(1, this.runs.size)) this.compact();
  }

  /** The log file name of run `runId` of `mirror`. */
  file(mirror: string, runId: string): string | undefined {
    return this.runs.get(mirror)?.find((r) => r.runId === runId)?.file;
  }

  /** How run `runId` of `mirror` ended, when known. */
  result(mirror: string, runId: string): string | undefined {
    return this.runs.get(mirror)?.find((r) => r.runId === runId)?.result;
  }

  /** The run that wrote log file `name` (its last try), with its result. */
  byFile(mirror: string, name: string): IndexedRun | undefined {
    const list = this.runs.get(mirror) ?? [];
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.file === name) return list[i];
    return undefined;
  }

  /** The run id that wrote log file `name`. */
  runOf(mirror: string, name: string): string | undefined {
    return this.byFile(mirror, name)?.runId;
  }

  /** Resolves once every queued write is done. */
  flush(): Promise<void> {
    return this.writes;
  }
}
