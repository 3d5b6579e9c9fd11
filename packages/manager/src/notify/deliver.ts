/**
 * One delivery attempt to one receiver: the alert rendered in its format,
 * signed when it has a secret, POSTed with got (no retries here: the queue
 * retries). What the answer means for the queue item: 2xx delivered; 408,
 * 429, 5xx and no answer: retry later; any other 4xx: the receiver refuses
 * the body for good (dead).
 */
import type { createHttpClient } from '@tunasync/core';
import type { Alert } from './alert.js';
import { renderAlert, signBody } from './alert.js';
import type { Receiver } from './notifier.js';

/** The got instance alerts go out with (core's createHttpClient). */
export type HttpClient = ReturnType<typeof createHttpClient>;

/** What an attempt came to. */
export type Attempt = { ok: true } | { ok: false; permanent: boolean; error: string };

/** Header carrying the body's HMAC. */
export const SIGNATURE_HEADER = 'X-Tunasync-Signature';

/** POSTs `alert` to `receiver`; never throws. */
export async function deliverAlert(http: HttpClient, receiver: Receiver, alert: Alert, signal?: AbortSignal): Promise<Attempt> {
  const { body, contentType } = renderAlert(alert, receiver.format);
  const headers: Record<string, string> = { 'content-type': contentType };
  if (receiver.secret) headers[SIGNATURE_HEADER] = signBody(body, receiver.secret);
  try {
    await http.post(receiver.url, { body, headers, responseType: 'text', retry: { limit: 0 }, ...(signal ? { signal } : {}) });
    return { ok: true };
  } catch (err) {
    const status = (err as { response?: { statusCode?: number } }).response?.statusCode;
    if (status === undefined) return { ok: false, permanent: false, error: (err as Error).message };
    const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
    return { ok: false, permanent, error: `HTTP ${status}` };
  }
}
