/** `GET /stale` entries as tunasynctl reads them (issue 16). */

/** One entry of `GET /stale`, as the manager sends it. */
export interface StaleMirror {
  mirror: string;
  worker: string;
  /** RFC 3339, or null when the mirror never succeeded. */
  last_success: string | null;
  /** The threshold applied, in seconds. */
  stale_after_s: number;
  /** `older_than_stale_after`, `older_than_default` or `never_succeeded`. */
  reason: string;
}

/** What tunasynctl says when the manager has no `/stale` route. */
export const NO_STALE_MESSAGE = "this manager does not report stale mirrors (tunasync's manager?)";

/** An entry of `GET /stale`, checked; throws naming what it lacks. */
export function parseStaleMirror(x: unknown): StaleMirror {
  const o = (x ?? {}) as Record<string, unknown>;
  const ok =
    typeof o.mirror === 'string' && typeof o.worker === 'string' && (o.last_success === null || typeof o.last_success === 'string') &&
    typeof o.stale_after_s === 'number' && typeof o.reason === 'string';
  if (!ok) throw new Error('an entry lacks mirror, worker, last_success, stale_after_s or reason');
  return { mirror: o.mirror as string, worker: o.worker as string, last_success: o.last_success as string | null, stale_after_s: o.stale_after_s as number, reason: o.reason as string };
}
