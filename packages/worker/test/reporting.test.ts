/**
 * Reliable reporting end to end: the durable outbox across a worker restart,
 * a worker started long before its manager, and the final statuses a
 * worker reports when it is stopped with SIGTERM.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MirrorStatus } from '@tunasync/core';
import { SqliteJobStore } from '@tunasync/manager';
import { getJson, makeWorker, startManager, until, type Cleanups } from './harness.js';
import { freePort, nextEvent, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '..', 'dist', 'cli.js');

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A SQLite store that records every status it is asked to store, in order. */
class RecordingStore extends SqliteJobStore {
  readonly seen: string[] = [];
  override async updateMirrorStatus(
    workerId: string,
    mirrorId: string,
    fn: (prev: MirrorStatus | undefined) => MirrorStatus,
  ): Promise<MirrorStatus> {
    const stored = await super.updateMirrorStatus(workerId, mirrorId, fn);
    this.seen.push(`${mirrorId}:${stored.status}`);
    return stored;
  }
}

const jobsOf = async (base: string): Promise<Record<string, unknown>[]> => (await getJson(`${base}/workers/w1/jobs`)) as Record<string, unknown>[];

describe('reliable reporting', () => {
  it('a result recorded while the manager was down survives a worker restart and is replayed in order', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const first = await makeWorker(cleanups, t.dir, base, `[[mirrors]]\nname = "solo"\nprovider = "command"\ncommand = "true"\n`, { registerWaitMs: 200 });
    const done = nextEvent(first.jobs.get('solo')!, 'run-end');
    await first.start();
    expect((await done).outcome).toBe('success');
    await first.halt();

    // Nothing reached a manager: the reports wait in the journal beside the logs.
    const outboxDir = join(t.dir, 'log', '.tunasync-state', 'w1', 'outbox');
    const [journal] = readdirSync(outboxDir);
    const lines = readFileSync(join(outboxDir, journal!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { what: string; body: { status?: string } });
    expect(lines.filter((l) => l.what === 'status of solo').map((l) => l.body.status)).toEqual(['pre-syncing', 'syncing', 'success']);

    const store = new RecordingStore(join(t.dir, 'manager.db'));
    const m = await startManager(join(t.dir, 'manager.db'), port, store);
    cleanups.push(() => m.close());
    // The restarted worker has the job on a far-away cron, so it does not run it again.
    const second = await makeWorker(cleanups, t.dir, base, `[[mirrors]]\nname = "solo"\nprovider = "command"\ncommand = "true"\ncron = "0 0 1 1 *"\n`);
    await second.start();
    expect(await second.flushReports()).toBe(true);
    expect(store.seen.filter((s) => s.startsWith('solo:'))).toEqual(['solo:pre-syncing', 'solo:syncing', 'solo:success']);
    const [job] = await jobsOf(m.base);
    expect(job).toMatchObject({ name: 'solo', status: 'success' });
    // The acknowledgements are committed (and the journal truncated) off the event loop, after the answers.
    await until(() => readFileSync(join(outboxDir, journal!), 'utf8') === '', 'the journal is emptied', 10_000);
  });

  it('a worker started 15 s before its manager registers and delivers its results once the manager is up', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const w = await makeWorker(cleanups, t.dir, base, `[[mirrors]]\nname = "early"\nprovider = "command"\ncommand = "true"\n`, {
      registerWaitMs: 500,
      maxBackoffMs: 2000,
    });
    const done = nextEvent(w.jobs.get('early')!, 'run-end');
    await w.start();
    expect((await done).outcome).toBe('success');
    // tunasync's worker gave up registering after 10 s (tunasync#125); ours keeps trying.
    await new Promise((r) => setTimeout(r, 15_000));
    const m = await startManager(join(t.dir, 'manager.db'), port);
    cleanups.push(() => m.close());
    const job = await until(async () => {
      const [j] = await jobsOf(m.base);
      return j?.status === 'success' ? j : undefined;
    });
    expect(job).toMatchObject({ name: 'early', status: 'success' });
    const workers = (await getJson(`${m.base}/workers`)) as { id: string; url: string }[];
    expect(workers).toEqual([expect.objectContaining({ id: 'w1', url: w.url })]);
  }, 40_000);

  it('SIGTERM aborts running jobs and reports their end to a live manager before exiting 0', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await startManager(join(t.dir, 'manager.db'));
    cleanups.push(() => m.close());
    const conf = join(t.dir, 'worker.conf');
    writeFileSync(
      conf,
      `[global]\nname = "w1"\nlog_dir = "${t.dir}/log/{{.Name}}"\nmirror_dir = "${t.dir}/data"\n[manager]\napi_base = "${m.base}"\n[server]\nlisten_port = 0\n` +
        `[[mirrors]]\nname = "long"\nprovider = "command"\ncommand = "sleep 600"\n`,
    );
    const child = spawn(process.execPath, [bin, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await until(async () => ((await jobsOf(m.base))[0]?.status === 'syncing' ? true : undefined));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const [job] = await jobsOf(m.base);
    expect(job).toMatchObject({ name: 'long', status: 'failed', error_msg: 'worker is halting' });
    expect(existsSync(join(t.dir, 'log', '.tunasync-state', 'w1', 'outbox'))).toBe(true);
  });
});
