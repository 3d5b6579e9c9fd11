/**
 * Run records: one file per running sync in `<state dir>/runs/`, written
 * when the sync's process starts (so a crash leaves it too), next to the
 * exit status file the wrapper (status-wrapper.ts) writes when that process
 * ends. A worker starting later reads them to adopt, complete or kill what
 * its predecessor left (adoption.ts). Files are written whole (temporary
 * name, then rename), so a reader never sees half a record.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { RunTrigger } from '@tunasync/core';

/** The record of one running provider command of a run. */
export interface RunRecord {
  version: 1;
  runId: string;
  mirror: string;
  /** The try, from 1. */
  attempt: number;
  trigger: RunTrigger;
  /** When the run began (ISO time): its duration counts from there. */
  started: string;
  /** The wrapper's pid; it leads its own process group, so pgid = pid. */
  pid: number;
  pgid: number;
  /** Field 22 of `/proc/<pid>/stat`: a reused pid has another one. */
  procStart: string;
  /** The try's log file. */
  logFile: string;
  /** When the try's `timeout` runs out (epoch ms), or null without one. */
  deadline: number | null;
  /** The provider's kind (`rsync`, `command`, …). */
  provider: string;
  /** Which of the try's provider commands this is, from 0 (two-stage-rsync runs two). */
  exec: number;
  /** The Docker container running the command, when the mirror runs in Docker. */
  container?: string;
}

/** A command's end as its exit status file tells it. */
export interface RecordedExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/** Reads a wrapper's exit status text: a number; above 128 the command was killed by signal (number − 128). */
export function parseExitStatus(text: string): RecordedExit | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  const signal = n > 128 ? SIGNAL_NAMES.get(n - 128) : undefined;
  return signal ? { exitCode: null, signal } : { exitCode: n, signal: null };
}

function isRecord(v: unknown): v is RunRecord {
  const r = v as Partial<RunRecord> | null;
  return (
    typeof r === 'object' && r !== null && r.version === 1 && typeof r.runId === 'string' && typeof r.mirror === 'string' &&
    typeof r.pid === 'number' && typeof r.pgid === 'number' && typeof r.procStart === 'string' && typeof r.logFile === 'string' &&
    typeof r.attempt === 'number' && typeof r.exec === 'number' && typeof r.started === 'string'
  );
}

/** The run records of one state directory. */
export class RunRecords {
  /** `<state dir>/runs`. */
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'runs');
  }

  /** The record file of a mirror's run. */
  recordFile(mirror: string): string {
    return join(this.dir, `${mirror}.json`);
  }

  /** The exit status file of a mirror's running command. */
  statusFile(mirror: string): string {
    return join(this.dir, `${mirror}.status`);
  }

  /** Makes the directory and removes a stale exit status, before a command of `mirror` starts. */
  prepare(mirror: string): string {
    mkdirSync(this.dir, { recursive: true });
    const file = this.statusFile(mirror);
    rmSync(file, { force: true });
    return file;
  }

  /** Writes (replaces) a mirror's record. */
  write(record: RunRecord): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.recordFile(record.mirror);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(record)}\n`);
    renameSync(tmp, file);
  }

  /** Removes a mirror's record and exit status. */
  remove(mirror: string): void {
    rmSync(this.recordFile(mirror), { force: true });
    rmSync(this.statusFile(mirror), { force: true });
  }

  /** The recorded exit of a mirror's command, when its wrapper wrote one. */
  exitOf(mirror: string): RecordedExit | undefined {
    try {
      return parseExitStatus(readFileSync(this.statusFile(mirror), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Every readable record; unreadable files are returned by name in `bad` (the caller logs and removes them). */
  list(): { records: RunRecord[]; bad: string[] } {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return { records: [], bad: [] };
    }
    const records: RunRecord[] = [];
    const bad: string[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      try {
        const r: unknown = JSON.parse(readFileSync(join(this.dir, n), 'utf8'));
        if (isRecord(r) && `${r.mirror}.json` === n) records.push(r);
        else bad.push(join(this.dir, n));
      } catch {
        bad.push(join(this.dir, n));
      }
    }
    return { records, bad };
  }
}
