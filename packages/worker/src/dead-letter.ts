/**
 * Where reports go that a manager kept refusing: a file of JSON lines beside
 * the outbox journal (`<journal>.dead.jsonl` with the `.jsonl` of the journal
 * dropped), one line per report with when, why and after how many
 * attempts. Nothing reads it back; it is for the operator (and a tool) to
 * look at, resend or delete.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage } from '@tunasync/core';

/** The dead-letter file beside the outbox journal `journal`. */
export function deadLetterFile(journal: string): string {
  return `${journal.replace(/\.jsonl$/, '')}.dead.jsonl`;
}

/** One parked report, as a line of the dead-letter file. */
export interface DeadLetter {
  /** When it was parked (ISO time). */
  time: string;
  /** The manager that refused it. */
  manager: string;
  method: 'POST' | 'DELETE';
  path: string;
  /** What it was, for people (`status of debian`). */
  what: string;
  body: unknown;
  /** How many times the manager refused it. */
  attempts: number;
  /** The last refusal (`answered 500 internal error: …`). */
  reason: string;
}

/**
 * Appends `letter` to `file` (synchronously: it is rare, and must be on
 * disk before the report leaves the journal). Throws an error naming the
 * file when it cannot be written.
 */
export function writeDeadLetter(file: string, letter: DeadLetter): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(file, 'a');
    try {
      writeSync(fd, `${JSON.stringify(letter)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new Error(`cannot write the dead-letter file ${file}: ${errorMessage(err)}`, { cause: err });
  }
}
