/**
 * startManager's server limits (issue 22): header and request timeouts and a
 * connection cap, with defaults and overrides.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startManager } from '@tunasync/manager';
import { makeConfig } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunasync-server-options-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string) {
  return makeConfig({ files: { dbFile: join(dir, `${name}.db`) } });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

describe('server limits', () => {
  it('default to headersTimeout 30 s, requestTimeout 60 s and a connection cap', async () => {
    const m = await startManager(config('defaults'));
    try {
      expect(m.server.headersTimeout).toBe(30_000);
      expect(m.server.requestTimeout).toBe(60_000);
      expect(m.server.maxConnections).toBe(4096);
    } finally {
      await m.close();
    }
  });

  it('take options, and connections over maxConnections are dropped', async () => {
    const m = await startManager(config('options'), { headersTimeoutMs: 5_000, requestTimeoutMs: 7_000, maxConnections: 1 });
    const sockets: Socket[] = [];
    try {
      expect(m.server.headersTimeout).toBe(5_000);
      expect(m.server.requestTimeout).toBe(7_000);
      sockets.push(await open(m.port));
      const second = await open(m.port);
      sockets.push(second);
      await new Promise<void>((resolve) => second.once('close', () => resolve()));
      expect(second.destroyed).toBe(true);
      const first = sockets[0]!;
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        first.on('data', (b: Buffer) => {
          text += b.toString();
          if (text.includes('pong')) resolve(text);
        });
        first.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      for (const s of sockets) s.destroy();
      await m.close();
    }
  });
});
