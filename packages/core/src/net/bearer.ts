/**
 * Bearer tokens, as both daemons read them: `Authorization: Bearer <token>`
 * with the scheme matched case-insensitively (RFC 9110 §11.1), and secrets
 * compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Constant-time equality of two secrets: both are hashed to equal-length
 * digests first, so neither the content nor the length leaks through timing.
 */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The token of an `Authorization` header value; undefined when absent or another scheme. */
export function parseBearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
