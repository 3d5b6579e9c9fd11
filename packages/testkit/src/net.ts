/** Ports and plain-HTTP servers on 127.0.0.1 for tests, and one request helper. */
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

/**
 * A port nothing listens on right now: bound on 127.0.0.1 and released.
 * For programs that cannot bind port 0 themselves (rsync --daemon), and for
 * "nothing answers here" addresses.
 */
export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A server listening on 127.0.0.1. */
export interface Served {
  server: Server;
  port: number;
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  /** Closes the server and every connection it holds. */
  close(): Promise<void>;
}

/** Serves `handler` (an express app or any request listener) over plain HTTP on 127.0.0.1:`port` (default 0). */
export async function serve(handler: RequestListener, port = 0): Promise<Served> {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A parsed HTTP answer. */
export interface Answer {
  status: number;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  contentType: string | null;
}

/** What `request` sends besides method and path. */
export interface RequestOptions {
  /** JSON-encoded as the body. */
  body?: unknown;
  /** A body sent as is (instead of `body`). */
  raw?: string | Buffer;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
}

/** Sends one request to `base + path` with fetch; never throws on an HTTP error status. */
export async function request(base: string, method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json; charset=utf-8';
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, contentType: res.headers.get('content-type') };
}

/** GETs `url` and parses the body as JSON. */
export async function getJson(url: string, init?: RequestInit): Promise<unknown> {
  const r = await fetch(url, init);
  return r.json();
}
