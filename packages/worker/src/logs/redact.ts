/**
 * Redaction of secrets in served log lines: a mirror's `password` and the
 * worker's tokens become `***` before a line leaves the worker.
 */

/** The text a secret is replaced with. */
export const REDACTED = '***';

/** Replaces every secret in a text; `secretBytes` are the secrets as UTF-8, to look for them in bytes not yet decoded. */
export interface Redactor {
  (text: string): string;
  readonly secretBytes: readonly Buffer[];
}

/** A redactor for `secrets` (empty ones ignored; longest first, so a secret holding another is replaced whole). */
export function createRedactor(secrets: readonly string[]): Redactor {
  const list = [...new Set(secrets.filter((s) => s !== ''))].sort((a, b) => b.length - a.length);
  const redact = (text: string): string => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };
  return Object.assign(redact, { secretBytes: list.map((s) => Buffer.from(s, 'utf8')) });
}
