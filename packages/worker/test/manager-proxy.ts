/**
 * A small HTTP proxy in front of a real manager for the reporter's tests:
 * it forwards every request, except those `refuse(method, path)` answers
 * itself (a status number, or a status and a JSON body). With `record`, it
 * hands over each forwarded request's body before forwarding it.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy answers instead of the manager: a status (body `{"error":"refused with <status>"}`), or a status and a body. */
export type Refusal = number | { status: number; body?: object } | undefined;

/** Starts the proxy to `target` on 127.0.0.1; its close goes to `cleanups`; resolves its base URL. */
export async function managerProxy(
  cleanups: (() => Promise<void> | void)[],
  target: string,
  refuse: (method: string, path: string) => Refusal,
  record?: (method: string, path: string, body: string) => void,
): Promise<string> {
  const server: Server = createServer((req, res) => {
    const r = refuse(req.method ?? '', req.url ?? '');
    if (r !== undefined) {
      const { status, body } = typeof r === 'number' ? { status: r, body: undefined } : r;
      req.resume();
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { error: `refused with ${status}` }));
      return;
    }
    const up = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (u) => {
      res.writeHead(u.statusCode ?? 502, u.headers);
      u.pipe(res);
    });
    if (!record) {
      req.pipe(up);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      record(req.method ?? '', req.url ?? '', body.toString('utf8'));
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
