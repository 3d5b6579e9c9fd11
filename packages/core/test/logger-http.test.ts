import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createHttpClient, createLogger, createSilentLogger, type Logger, type LoggerOptions } from '@tunasync/core';

/** A logger writing into an array of lines. */
function capture(options: Omit<LoggerOptions, 'stream'> = {}): { logger: Logger; lines: () => Promise<string[]> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ ...options, stream });
  return {
    logger,
    // winston pipes through streams; let pending writes land.
    lines: async () => {
      await new Promise((r) => setTimeout(r, 20));
      return chunks.join('').split('\n').filter((l) => l.length > 0);
    },
  };
}

/** Logs one line at every level, `verbose` through winston's own method. */
function logEveryLevel(logger: Logger): void {
  logger.error('e');
  logger.warn('w');
  logger.info('i');
  logger.verbose('v');
  logger.debug('d');
}

const levelsOf = (lines: string[]): string[] => lines.map((l) => /\[(\w+)\]/.exec(l)?.[1] ?? '?');

describe('log lines cannot be forged', () => {
  it('indents a newline from a value, so no line of its own starts with a timestamp', async () => {
    const { logger, lines } = capture();
    logger.info('Job [x\n2026-11-30 07:00:00 [info] [manager] FORGED] @<w1> success', { job: 'a\n2026-11-30 07:00:00 [warn] B' });
    const out = await lines();
    expect(out.length).toBeGreaterThan(1);
    expect(out.filter((l) => /^\d{4}-\d\d-\d\d /.test(l))).toHaveLength(1);
    expect(out.slice(1).every((l) => l.startsWith('    '))).toBe(true);
  });

  it('shows ESC, CR, BEL and C1 controls as \\xNN', async () => {
    const { logger, lines } = capture({ systemd: true });
    logger.warn('upstream \u001b]0;t\u0007\u001b[2K\r\u009b end', { url: 'http://x/\u001b[31m' });
    const [line] = await lines();
    expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(line).toContain('\\x1b]0;t\\x07\\x1b[2K\\x0d\\x9b end');
    expect(line).toContain('url=http://x/\\x1b[31m');
  });
});

describe('createLogger', () => {
  it('logs info and above by default', async () => {
    const { logger, lines } = capture({ systemd: true });
    logEveryLevel(logger);
    expect(levelsOf(await lines())).toEqual(['error', 'warn', 'info']);
  });

  it('adds verbose with --verbose, and everything with --debug', async () => {
    const v = capture({ systemd: true, verbose: true });
    logEveryLevel(v.logger);
    expect(levelsOf(await v.lines())).toEqual(['error', 'warn', 'info', 'verbose']);
    const d = capture({ systemd: true, debug: true, verbose: true });
    logEveryLevel(d.logger);
    expect(levelsOf(await d.lines())).toEqual(['error', 'warn', 'info', 'verbose', 'debug']);
  });

  it('writes the systemd format without a timestamp', async () => {
    const { logger, lines } = capture({ systemd: true, name: 'worker' });
    logger.info('sync started', { job: 'debian', attempt: 2 });
    logger.child({ job: 'arch' }).warn('slow');
    expect(await lines()).toEqual(['[info] [worker] sync started job=debian attempt=2', '[warn] [worker] slow job=arch']);
  });

  it('prefixes a timestamp otherwise', async () => {
    const { logger, lines } = capture({ name: 'manager' });
    logger.info('listening', { port: 14242 });
    const [line, ...rest] = await lines();
    expect(rest).toEqual([]);
    expect(line).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[info\] \[manager\] listening port=14242$/);
  });

  it('writes nothing when silent', async () => {
    const silent = createSilentLogger();
    expect(() => logEveryLevel(silent)).not.toThrow();
    expect(typeof silent.child({ a: 1 }).info).toBe('function');
  });
});

describe('createHttpClient', () => {
  let server: Server;
  let base: string;
  const seen: { url: string; method: string; auth: string | undefined; agent: string | undefined }[] = [];
  let flakyHits = 0;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      seen.push({ url: req.url ?? '', method: req.method ?? '', auth: req.headers.authorization, agent: req.headers['user-agent'] });
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/slow') return void setTimeout(() => json(200, { late: true }), 3_000).unref();
      if (req.url?.startsWith('/flaky')) {
        flakyHits += 1;
        return flakyHits < 2 ? json(503, { error: 'busy' }) : json(200, { hits: flakyHits });
      }
      if (req.url === '/missing') return json(404, { error: 'no such job' });
      return json(200, { message: 'pong', path: req.url });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends the bearer token and parses JSON', async () => {
    const client = createHttpClient({ token: 's3cret', prefixUrl: base });
    const res = await client.get('ping');
    expect(res.statusCode).toBe(200);
    expect(res.body).toEqual({ message: 'pong', path: '/ping' });
    expect(seen.at(-1)).toEqual({ url: '/ping', method: 'GET', auth: 'Bearer s3cret', agent: 'tunasync-ts' });
  });

  it('sends no Authorization header without a token, and posts JSON', async () => {
    const client = createHttpClient();
    const body = await client.post(`${base}/cmd`, { json: { cmd: 'ping', worker_id: 'w' } }).json<{ path: string }>();
    expect(body.path).toBe('/cmd');
    expect(seen.at(-1)).toMatchObject({ method: 'POST', auth: undefined });
  });

  it('times out', async () => {
    const client = createHttpClient({ timeoutMs: 200, retries: 0 });
    const started = Date.now();
    await expect(client.get(`${base}/slow`)).rejects.toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('retries a GET on 5xx but not a POST', async () => {
    flakyHits = 0;
    const client = createHttpClient({ retries: 1, prefixUrl: base });
    await expect(client.post('flaky', { json: {} })).rejects.toMatchObject({ name: 'HTTPError', response: { statusCode: 503 } });
    expect(flakyHits).toBe(1);
    flakyHits = 0;
    const res = await client.get('flaky');
    expect(res.body).toEqual({ hits: 2 });
  });

  it('rejects a 4xx with the parsed error body', async () => {
    const client = createHttpClient({ retries: 0, prefixUrl: base });
    await expect(client.get('missing')).rejects.toMatchObject({ response: { statusCode: 404, body: { error: 'no such job' } } });
  });
});
