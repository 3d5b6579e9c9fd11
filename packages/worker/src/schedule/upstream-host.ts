/**
 * The host an upstream is fetched from, for `per_upstream_concurrent`:
 * `rsync://host[:port]/module/`, `http(s)://host/...`, rsync's daemon form
 * `[user@]host::module` and the remote-shell form `[user@]host:path`.
 * Lower-cased, without user or port; empty when there is none (a local path,
 * a command provider without upstream).
 */

/** The upstream's host, or '' when it names none. */
export function upstreamHost(upstream: string): string {
  const u = upstream.trim();
  if (u === '') return '';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) {
    try {
      return new URL(u).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    } catch {
      return '';
    }
  }
  // [user@]host::module or [user@]host:path (not a local path, not a bare word).
  const m = /^(?:[^@/\s]+@)?(\[[^\]]+\]|[^:/\s]+)::?/.exec(u);
  if (!m || u.startsWith('/')) return '';
  return m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
}
