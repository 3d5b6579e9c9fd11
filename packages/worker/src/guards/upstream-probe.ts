/**
 * `check_upstream` (issue 18): before a run, is the upstream answering?
 * rsync upstreams (`rsync://` and `host::module`) are listed with a short
 * timeout (`rsync --list-only`, one directory, no recursion); http(s)
 * upstreams get a HEAD request. Any HTTP answer below 500 counts as alive.
 */
import { spawn } from 'node:child_process';
import got from 'got';
import { errorMessage } from '@tunasync/core';

/** How an upstream is probed. */
export interface ProbeOptions {
  /** Seconds for the connection and the answer (default 10). */
  timeoutS?: number;
  /** rsync daemon credentials (USER, RSYNC_PASSWORD), as the provider uses them. */
  username?: string;
  password?: string;
  /** The rsync program (default `rsync`). */
  rsync?: string;
  signal?: AbortSignal;
}

/** Why `url` did not answer, or undefined when it did. */
export type UpstreamProbe = (url: string, options: ProbeOptions) => Promise<string | undefined>;

function isRsyncUrl(url: string): boolean {
  return url.startsWith('rsync://') || /^[^/:\s]+::/.test(url);
}

function probeRsync(url: string, o: ProbeOptions): Promise<string | undefined> {
  const t = String(o.timeoutS ?? 10);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (o.username) env.USER = o.username;
  if (o.password) env.RSYNC_PASSWORD = o.password;
  return new Promise((resolve) => {
    const child = spawn(o.rsync ?? 'rsync', ['--list-only', '--no-motd', `--contimeout=${t}`, `--timeout=${t}`, url], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(o.signal ? { signal: o.signal } : {}),
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 2000) stderr += d;
    });
    // A host that never answers a connection: rsync's own timeouts are the limit, plus a margin.
    const timer = setTimeout(() => child.kill('SIGKILL'), (Number(t) + 5) * 1000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve(errorMessage(err));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(undefined);
      else resolve((stderr.trim().split('\n').at(-1) ?? '') || (signal ? `rsync killed by ${signal}` : `rsync exit status ${code}`));
    });
  });
}

async function probeHttp(url: string, o: ProbeOptions): Promise<string | undefined> {
  try {
    const r = await got.head(url, {
      timeout: { request: (o.timeoutS ?? 10) * 1000 },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: true,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return r.statusCode < 500 ? undefined : `HTTP ${r.statusCode}`;
  } catch (err) {
    return errorMessage(err);
  }
}

/** Probes an rsync or http(s) upstream; the reason it failed, or undefined when it answered. */
export const probeUpstream: UpstreamProbe = (url, options) => (isRsyncUrl(url) ? probeRsync(url, options) : probeHttp(url, options));
