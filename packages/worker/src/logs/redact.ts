/**
 * Redaction of secrets in served log lines: a mirror's `password` and the
 * worker's tokens become `***` before a line leaves the worker.
 */

/** The text a secret is replaced with. */
export const REDACTED = '***';

/** Replaces every secret in a text. */
export type Redactor = (text: string) => string;

/** A redactor for `secrets` (empty ones ignored; longest first, so a secret holding another is replaced whole). */
export function createRedactor(secrets: readonly string[]): Redactor {
  const list = [...new Set(secrets.filter((s) => s !== ''))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };
}
