import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorker, startTestManager, type TestManager } from '@tunasync/testkit';
import type { Worker } from '@tunasync/worker';
import { nextEvent, tempDir } from './helpers.js';
import { startRsyncDaemon, type RsyncDaemon } from './rsync-daemon.js';
import { captureLogger, latestLog, runLogs, totalFileSizes } from './rsync-helpers.js';
import { makeSampleTree, snapshot } from './trees.js';

const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const WRONG = `wrong-${randomBytes(12).toString('hex')}`;

let root: string;
let cleanup: () => void;
let daemon: RsyncDaemon;
let manager: TestManager;
let worker: Worker | undefined;

beforeAll(async () => {
  const t = tempDir('tunasync-rsync-auth-');
  root = t.dir;
  cleanup = t.cleanup;
  makeSampleTree(join(root, 'up'), 1024 * 1024);
  daemon = await startRsyncDaemon(root, { secret: { path: join(root, 'up'), users: { alice: PASSWORD } } });
  manager = await startTestManager({ dir: root });
});

afterAll(async () => {
  await worker?.halt();
  await manager?.close();
  await daemon?.stop();
  cleanup?.();
});

/** Every process's command line, as seen in /proc, and the environment of those that match `interesting`. */
class ProcWatch {
  readonly cmdlines = new Set<string>();
  readonly environs = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly interesting: (cmdline: string) => boolean) {}

  start(): void {
    this.timer = setInterval(() => this.scan(), 5);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private scan(): void {
    for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
        if (!cmdline) continue;
        this.cmdlines.add(cmdline);
        if (this.interesting(cmdline) && !this.environs.has(pid)) {
          this.environs.set(pid, readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0'));
        }
      } catch {
        // The process ended while being read.
      }
    }
  }
}

describe('rsync with a password-protected module, through the worker and a real manager', () => {
  it('syncs with username/password; the password is in no log, no process argument, no report', async () => {
    const url = daemon.url('secret');
    const mirrors = [
      // --bwlimit keeps rsync running long enough for /proc to be watched (about half a second).
      `[[mirrors]]\nname = "secret"\nprovider = "rsync"\nupstream = "${url}"\nusername = "alice"\npassword = "${PASSWORD}"\nrsync_options = ["--bwlimit=2000"]\nretry = 1`,
      `[[mirrors]]\nname = "wrong"\nprovider = "rsync"\nupstream = "${url}"\nusername = "alice"\npassword = "${WRONG}"\nretry = 1`,
    ].join('\n');
    const captured = captureLogger();
    worker = await createTestWorker({ dir: root, apiBase: manager.url, mirrors, global: { interval: 60 }, options: { logger: captured.logger } });
    const watch = new ProcWatch((c) => c.includes(url) && !c.includes('--daemon'));
    const secretEnd = nextEvent(worker.jobs.get('secret')!, 'run-end');
    const wrongEnd = nextEvent(worker.jobs.get('wrong')!, 'run-end');
    watch.start();
    await worker.start();
    const [secret, wrong] = await Promise.all([secretEnd, wrongEnd]);
    watch.stop();
    expect(secret.outcome).toBe('success');
    expect(wrong.outcome).toBe('failed');
    expect(await worker.flushReports()).toBe(true);

    // The sync worked and its size reached the manager.
    expect(snapshot(join(root, 'data', 'secret'))).toEqual(
      (() => {
        const s = snapshot(join(root, 'up'));
        delete s.entries['a/unsafe-link'];
        return s;
      })(),
    );
    const jobsText = await (await fetch(`${manager.url}/workers/w1/jobs`)).text();
    const jobs = JSON.parse(jobsText) as { name: string; status: string; size: string; error_msg: string }[];
    const byName = Object.fromEntries(jobs.map((j) => [j.name, j]));
    expect(byName.secret).toMatchObject({ status: 'success', size: totalFileSizes(latestLog(join(root, 'log', 'secret'))).at(-1) });
    expect(byName.wrong).toMatchObject({ status: 'failed', error_msg: 'rsync exited with code 5: error starting client-server protocol' });
    expect(latestLog(join(root, 'log', 'wrong'))).toMatch(/auth failed on module secret/);

    // The running rsync was seen (the failing one may end before /proc is read), and had the credentials in its environment.
    const clients = [...watch.environs.values()];
    expect(clients.length).toBeGreaterThan(0);
    expect(clients.some((env) => env.includes(`RSYNC_PASSWORD=${PASSWORD}`) && env.includes('USER=alice'))).toBe(true);

    // Nowhere else: process arguments, run logs, the worker's debug log, the daemon's log, the manager.
    const cmdlines = [...watch.cmdlines];
    expect(cmdlines.filter((c) => c.includes(url)).length).toBeGreaterThan(0);
    const places: Record<string, string> = {
      ...Object.fromEntries(cmdlines.map((c, i) => [`argv ${i}`, c])),
      ...runLogs(join(root, 'log', 'secret')),
      ...runLogs(join(root, 'log', 'wrong')),
      'worker log': captured.text(),
      'daemon log': readFileSync(daemon.logFile, 'utf8'),
      'manager jobs': jobsText,
    };
    expect(captured.text()).toContain(`exec: rsync -aHvh`);
    for (const secretText of [PASSWORD, WRONG]) {
      expect(Object.entries(places).filter(([, v]) => v.includes(secretText)).map(([k]) => k)).toEqual([]);
    }
  });
});
