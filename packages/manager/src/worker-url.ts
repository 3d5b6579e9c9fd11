/**
 * Which worker URLs the manager accepts: http(s) only, and no link-local
 * address (169.254.0.0/16, fe80::/10: cloud metadata services live there)
 * unless manager.conf `[server] allow_worker_urls` names it. The manager
 * posts commands to these URLs with a worker's token, so a worker token must
 * not be able to point them anywhere. Host names are checked when a command
 * is sent, on the addresses they resolve to.
 */
import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { ValidationError } from '@tunasync/core';

const linkLocal = new BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocal.addSubnet('fe80::', 10, 'ipv6');

/** True for a link-local IP address (IPv4, IPv6, or IPv4-mapped IPv6); hostnames are not resolved. */
export function isLinkLocalAddress(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  if (family === 4) return linkLocal.check(bare, 'ipv4');
  if (family === 6) return linkLocal.check(bare, 'ipv6');
  return false;
}

function allows(entry: string, url: URL): boolean {
  try {
    if (entry.includes('://')) return new URL(entry).origin === url.origin;
    const host = isIP(entry) === 6 ? `[${entry}]` : entry;
    return new URL(`http://${host}/`).hostname === url.hostname;
  } catch {
    return false;
  }
}

/**
 * Throws a ValidationError (field `url`) when `url` is not an http(s) URL, or
 * is link-local and not in `allowed` (hosts such as `169.254.1.1`, `fe80::1`,
 * or origins such as `http://[fe80::1]:6000`).
 */
export function checkWorkerUrl(url: string, allowed: readonly string[] = []): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`url: ${JSON.stringify(url)} is not a URL`, 'url');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ValidationError(`url: ${JSON.stringify(url)} must be http or https`, 'url');
  }
  if (isLinkLocalAddress(parsed.hostname) && !allowed.some((entry) => allows(entry, parsed))) {
    throw new ValidationError(
      `url: ${JSON.stringify(url)} is a link-local address; list it in manager.conf [server] allow_worker_urls to allow it`,
      'url',
      'worker_url_not_allowed',
    );
  }
}

/** The code of the error linkLocalGuard fails a lookup with. */
export const LINK_LOCAL_LOOKUP_ERROR = 'ERR_WORKER_URL_LINK_LOCAL';

/**
 * Wraps a DNS lookup (default `dns.lookup`) so that a host name resolving to
 * a link-local address fails with code LINK_LOCAL_LOOKUP_ERROR, unless
 * `allowed` names the host (as for checkWorkerUrl). Used as got's `dnsLookup`
 * when commands are forwarded.
 */
export function linkLocalGuard(base: LookupFunction = dnsLookup as unknown as LookupFunction, allowed: readonly string[] = []): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, options, (err, address, family) => {
      if (err) {
        callback(err, address, family);
        return;
      }
      const addresses = typeof address === 'string' ? [address] : address.map((a) => a.address);
      const bad = addresses.find(isLinkLocalAddress);
      if (bad !== undefined && !allowed.some((entry) => allows(entry, new URL(`http://${isIP(hostname) === 6 ? `[${hostname}]` : hostname}/`)))) {
        const e: NodeJS.ErrnoException = new Error(
          `${hostname} resolves to the link-local address ${bad}; list it in manager.conf [server] allow_worker_urls to allow it`,
        );
        e.code = LINK_LOCAL_LOOKUP_ERROR;
        callback(e, address, family);
        return;
      }
      callback(null, address, family);
    });
  };
}
