/**
 * A throwaway Redis server for tests: `redis-server` on 127.0.0.1 at a free
 * port, nothing saved to disk; `stop()` kills it. Each test file starts its
 * own in `beforeAll`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.js';
import { until } from './until.js';

const exec = promisify(execFile);

/** A running test Redis. */
export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>/<db>`. */
  url(db?: number): string;
  /** Runs one command through redis-cli (raw output). */
  cli(...args: string[]): Promise<string>;
  /** Empties every database. */
  flush(): Promise<void>;
  /** Kills the server and removes its dir. Idempotent. */
  stop(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.write('PING\r\n');
    });
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts a redis-server; rejects when it does not answer within 10 s. */
export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tunasync-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  child.once('error', () => undefined);
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(async () => (exited ? Promise.reject(new Error('redis-server exited')) : (await answers(port)) || undefined), 'redis-server answers', 10_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const cli = async (...args: string[]) => (await exec('redis-cli', ['-p', String(port), '--raw', ...args])).stdout;
  return {
    port,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    cli,
    async flush() {
      await cli('FLUSHALL');
    },
    stop,
  };
}
