/**
 * The run fields our worker adds to its status reports (issue 14,
 * wave2.md § Runs), as a real manager receives them: a recording proxy sits
 * between a real worker and a real manager and keeps every status body.
 * Commands are real scripts; rsync runs against a real rsync daemon.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestManager, until } from '@tunasync/testkit';
import type { RunEndEvent, Worker } from '@tunasync/worker';
import { makeWorker, type Cleanups } from './harness.js';
import { nextEvent, tempDir } from './helpers.js';
import { managerProxy } from './manager-proxy.js';
import { startRsyncDaemon } from './rsync-daemon.js';
import { rsyncHumanBytes } from './rsync-helpers.js';
import { put } from './trees.js';

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A status report body as the manager got it. */
type Body = Record<string, unknown>;

/** tunasync's status report keys, in tunasync's order (core's serializeMirrorStatus). */
const TUNASYNC_KEYS = ['name', 'worker', 'is_master', 'status', 'last_update', 'last_started', 'last_ended', 'next_schedule', 'upstream', 'size', 'error_msg'];

interface Setup {
  dir: string;
  worker: Worker;
  /** Status bodies the manager received for `mirror`, in order. */
  reports(mirror: string): Body[];
  /** Sends a command through the manager, as tunasynctl does. */
  cmd(cmd: string, mirror: string, options?: Record<string, boolean>): Promise<void>;
  /** Waits for the next run:end of `mirror` (listen before causing it). */
  runEnd(mirror: string): Promise<RunEndEvent>;
  /** Waits until every report was delivered, and checks the manager refused none. */
  flush(): Promise<void>;
  /** The job statuses the manager keeps for w1, by mirror. */
  stored(): Promise<Record<string, string>>;
}

/** A manager, a recording proxy in front of it and a worker `w1` (not started) with `mirrors`. */
async function setup(mirrors: (dir: string) => string): Promise<Setup> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const m = await startTestManager();
  cleanups.push(() => m.close());
  const seen: { path: string; body: Body }[] = [];
  const base = await managerProxy(cleanups, m.base, () => undefined, (method, path, body) => {
    if (method === 'POST' && /^\/workers\/w1\/jobs\/[^/]+$/.test(path)) seen.push({ path, body: JSON.parse(body) as Body });
  });
  const worker = await makeWorker(cleanups, t.dir, base, mirrors(t.dir));
  const refused: string[] = [];
  worker.events.on('report:refused', (e) => refused.push(JSON.stringify(e)));
  return {
    dir: t.dir,
    worker,
    reports: (mirror) => seen.filter((s) => s.path === `/workers/w1/jobs/${mirror}`).map((s) => s.body),
    async cmd(cmd, mirror, options = {}) {
      const r = await m.call('POST', '/cmd', { cmd, mirror_id: mirror, worker_id: 'w1', args: [], options });
      expect(r.status).toBe(200);
    },
    runEnd: (mirror) =>
      new Promise((resolve) => {
        const on = (e: RunEndEvent): void => {
          if (e.mirror !== mirror) return;
          worker.events.off('run:end', on);
          resolve(e);
        };
        worker.events.on('run:end', on);
      }),
    async flush() {
      expect(await worker.flushReports(10_000)).toBe(true);
      expect(refused).toEqual([]);
    },
    async stored() {
      const r = await m.call('GET', '/workers/w1/jobs');
      return Object.fromEntries((r.body as { name: string; status: string }[]).map((j) => [j.name, j.status]));
    },
  };
}

function script(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

const pick = (b: Body, keys: string[]): Body => Object.fromEntries(keys.filter((k) => k in b).map((k) => [k, b[k]]));
const RUN_KEYS = ['run_id', 'attempt', 'final', 'trigger', 'exit_code', 'duration_s', 'transferred_bytes', 'files_transferred', 'log_file'];
const LOG_NAME = (mirror: string, fail = false): RegExp => new RegExp(`^${mirror}_\\d{4}-\\d{2}-\\d{2}_\\d{2}_\\d{2}\\.log${fail ? '\\.fail' : ''}$`);

describe('run fields on status reports', () => {
  it('a run that fails twice and then succeeds: one run id, attempts 1..3, final only on the success', async () => {
    const s = await setup((dir) => {
      const flaky = script(dir, 'flaky.sh', `n=$(cat ${dir}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/count; echo "try $n"; [ $n -ge 3 ] && exit 0; exit 5`);
      return `[[mirrors]]\nname = "flaky"\nprovider = "command"\ncommand = "${flaky}"\nupstream = "https://example.org/"\nretry = 3\n`;
    });
    const end = s.runEnd('flaky');
    await s.worker.start();
    const e = await end;
    await s.flush();
    const reports = s.reports('flaky');
    expect(reports.map((b) => [b.status, b.attempt, b.final])).toEqual([
      ['pre-syncing', 1, false],
      ['syncing', 1, false],
      ['failed', 1, false],
      ['syncing', 2, false],
      ['failed', 2, false],
      ['syncing', 3, false],
      ['success', 3, true],
    ]);
    const runId = reports[0]!.run_id as string;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(reports.every((b) => b.run_id === runId && b.trigger === 'startup')).toBe(true);
    // The body is tunasync's, in tunasync's order, with the run fields after it.
    for (const b of reports) expect(Object.keys(b).slice(0, TUNASYNC_KEYS.length)).toEqual(TUNASYNC_KEYS);
    expect(Object.keys(reports[0]!).slice(TUNASYNC_KEYS.length)).toEqual(['run_id', 'attempt', 'final', 'trigger']);
    // Only the final report says how the run ended.
    for (const b of reports.slice(0, -1)) expect(Object.keys(pick(b, RUN_KEYS))).toEqual(['run_id', 'attempt', 'final', 'trigger']);
    const last = reports.at(-1)!;
    expect(last.exit_code).toBe(0);
    expect(last.duration_s).toEqual(expect.any(Number));
    expect(last.duration_s as number).toBeGreaterThanOrEqual(0);
    expect(last.log_file).toMatch(LOG_NAME('flaky'));
    expect(existsSync(join(s.dir, 'log', 'flaky', last.log_file as string))).toBe(true);
    expect(last).not.toHaveProperty('transferred_bytes');
    expect(last).not.toHaveProperty('files_transferred');
    // run:end says the same, for metrics.
    expect(e).toMatchObject({ runId, attempts: 3, outcome: 'success', exitCode: 0, trigger: 'startup' });
    expect(e.durationMs / 1000).toBe(last.duration_s);
    expect(e.logFile).toBe(join(s.dir, 'log', 'flaky', last.log_file as string));
    expect(e).not.toHaveProperty('transferredBytes');
    // The manager took every report.
    expect(await s.stored()).toEqual({ flaky: 'success' });
  });

  it('a timeout ends the run with a final failed report carrying the exit status and the duration', async () => {
    const s = await setup((dir) => {
      // Like timeout(1): exits 124 on SIGTERM.
      const slow = script(dir, 'slow.sh', 'trap "exit 124" TERM; echo waiting; sleep 60 & wait');
      return `[[mirrors]]\nname = "slow"\nprovider = "command"\ncommand = "${slow}"\ntimeout = 1\nretry = 2\n`;
    });
    const end = s.runEnd('slow');
    await s.worker.start();
    const e = await end;
    await s.flush();
    const reports = s.reports('slow');
    // A timeout is not retried.
    expect(reports.map((b) => [b.status, b.attempt, b.final])).toEqual([
      ['pre-syncing', 1, false],
      ['syncing', 1, false],
      ['failed', 1, true],
    ]);
    const last = reports.at(-1)!;
    expect(last.error_msg).toBe('timeout after 1s');
    expect(last.exit_code).toBe(124);
    expect(last.duration_s as number).toBeGreaterThanOrEqual(1);
    // log rotation renamed the failed try's log: the report names the file as it is now.
    expect(last.log_file).toMatch(LOG_NAME('slow', true));
    expect(existsSync(join(s.dir, 'log', 'slow', last.log_file as string))).toBe(true);
    expect(e).toMatchObject({ runId: last.run_id, outcome: 'failed', exitCode: 124, attempts: 1 });
  });

  it('a manual start is labelled manual and a forced one force', async () => {
    const s = await setup((dir) => `[[mirrors]]\nname = "quick"\nprovider = "command"\ncommand = "${script(dir, 'quick.sh', 'echo ok')}"\n`);
    const first = s.runEnd('quick');
    await s.worker.start();
    await first;
    for (const [options, trigger] of [[{}, 'manual'], [{ force: true }, 'force']] as const) {
      const end = s.runEnd('quick');
      await s.cmd('start', 'quick', options);
      expect((await end).trigger).toBe(trigger);
    }
    await s.flush();
    const reports = s.reports('quick');
    const runs = [...new Set(reports.map((b) => b.run_id))];
    expect(runs).toHaveLength(3);
    const triggers = runs.map((id) => [...new Set(reports.filter((b) => b.run_id === id).map((b) => b.trigger))]);
    expect(triggers).toEqual([['startup'], ['manual'], ['force']]);
    expect(reports.filter((b) => b.final === true).map((b) => b.status)).toEqual(['success', 'success', 'success']);
  });

  it('a stop mid-run sends nothing more, and run:end says aborted', async () => {
    const s = await setup((dir) => {
      const long = script(dir, 'long.sh', `echo started > ${dir}/started; sleep 60`);
      return `[[mirrors]]\nname = "long"\nprovider = "command"\ncommand = "${long}"\nretry = 3\n`;
    });
    const job = s.worker.jobs.get('long')!;
    const syncing = nextEvent(job, 'status', (x) => x.status === 'syncing');
    const end = s.runEnd('long');
    await s.worker.start();
    await syncing;
    await until(() => existsSync(join(s.dir, 'started')), 'the command started', 10_000);
    await s.cmd('stop', 'long');
    const e = await end;
    expect(e).toMatchObject({ outcome: 'aborted', attempts: 1 });
    expect(e.logFile).toMatch(/long_.*\.log\.fail$/);
    await s.flush();
    expect(s.reports('long').map((b) => [b.status, b.run_id])).toEqual([
      ['pre-syncing', e.runId],
      ['syncing', e.runId],
    ]);
  });

  it('a command job reports transferred_pattern\'s last match, and without the option no transfer fields', async () => {
    const s = await setup((dir) => {
      const fetch = script(dir, 'fetch.sh', 'echo "downloaded 12,345 bytes"; echo "downloaded 67,890 bytes"; echo done');
      return [
        `[[mirrors]]\nname = "counted"\nprovider = "command"\ncommand = "${fetch}"\ntransferred_pattern = "downloaded ([0-9,]+) bytes"\n`,
        `[[mirrors]]\nname = "plain"\nprovider = "command"\ncommand = "${fetch}"\n`,
        `[[mirrors]]\nname = "sized"\nprovider = "command"\ncommand = "${script(dir, 'sized.sh', 'echo "moved 1.5M"')}"\ntransferred_pattern = "moved ([0-9.]+[KMG])"\n`,
      ].join('');
    });
    const ends = ['counted', 'plain', 'sized'].map((m) => s.runEnd(m));
    await s.worker.start();
    const [counted, plain, sized] = await Promise.all(ends);
    await s.flush();
    const final = (m: string): Body => s.reports(m).find((b) => b.final === true)!;
    expect(final('counted')).toMatchObject({ status: 'success', transferred_bytes: 67_890 });
    expect(final('counted')).not.toHaveProperty('files_transferred');
    expect(final('plain').status).toBe('success');
    expect(final('plain')).not.toHaveProperty('transferred_bytes');
    expect(final('plain')).not.toHaveProperty('files_transferred');
    expect(final('sized').transferred_bytes).toBe(1.5 * 1024 * 1024);
    expect(counted!.transferredBytes).toBe(67_890);
    expect(plain).not.toHaveProperty('transferredBytes');
    expect(sized!.transferredBytes).toBe(1.5 * 1024 * 1024);
  });
});

describe('rsync runs report what rsync --stats says they moved', () => {
  /** The `--stats` numbers of a log, as rsync printed them. */
  const statsOf = (log: string): { bytes: string[]; files: string[] } => ({
    bytes: [...log.matchAll(/^Total transferred file size: (\S+) bytes$/gm)].map((m) => m[1]!),
    files: [...log.matchAll(/^Number of regular files transferred: (\S+)$/gm)].map((m) => m[1]!),
  });

  it('rsync, two-stage-rsync and rsync --no-h: the first run reports the files created, an identical second run 0', async () => {
    const src = tempDir();
    cleanups.push(src.cleanup);
    // Sizes rsync's -h (units of 1000, two decimals) prints exactly: 1.25M in all.
    put(src.dir, 'plain/a.bin', Buffer.alloc(1_000_000, 1));
    put(src.dir, 'plain/sub/b.bin', Buffer.alloc(200_000, 2));
    put(src.dir, 'plain/c.txt', Buffer.alloc(50_000, 3));
    // Stage 1 fetches the pool (1.02M), stage 2 the index (300 bytes) the profile held back.
    put(src.dir, 'debian/pool/main/p.deb', Buffer.alloc(1_000_000, 4));
    put(src.dir, 'debian/pool/main/q.deb', Buffer.alloc(20_000, 5));
    put(src.dir, 'debian/dists/stable/Release', Buffer.alloc(300, 6));
    // Any size is exact without -h.
    put(src.dir, 'exact/x', Buffer.alloc(123_457, 7));
    put(src.dir, 'exact/y', Buffer.alloc(9_876, 8));
    put(src.dir, 'exact/z', Buffer.alloc(1, 9));
    const daemon = await startRsyncDaemon(src.dir, {
      plain: { path: join(src.dir, 'plain') },
      debian: { path: join(src.dir, 'debian') },
      exact: { path: join(src.dir, 'exact') },
    });
    cleanups.push(() => daemon.stop());
    const s = await setup(() =>
      [
        `[[mirrors]]\nname = "plain"\nprovider = "rsync"\nupstream = "${daemon.url('plain')}"\n`,
        `[[mirrors]]\nname = "debian"\nprovider = "two-stage-rsync"\nstage1_profile = "debian"\nupstream = "${daemon.url('debian')}"\n`,
        `[[mirrors]]\nname = "exact"\nprovider = "rsync"\nrsync_options = ["--no-h"]\nupstream = "${daemon.url('exact')}"\n`,
      ].join(''),
    );
    const expected = { plain: { bytes: 1_250_000, files: 3 }, debian: { bytes: 1_020_300, files: 3 }, exact: { bytes: 133_334, files: 3 } };
    const names = Object.keys(expected) as (keyof typeof expected)[];

    const firstEnds = names.map((m) => s.runEnd(m));
    await s.worker.start();
    const first = await Promise.all(firstEnds);
    await s.flush();
    const finals = (m: string): Body[] => s.reports(m).filter((b) => b.final === true);
    for (const [i, m] of names.entries()) {
      const [report] = finals(m);
      expect(report).toMatchObject({ status: 'success', exit_code: 0, transferred_bytes: expected[m].bytes, files_transferred: expected[m].files });
      // rsync's own --stats in the log the report names say the same.
      const log = readFileSync(join(s.dir, 'log', m, report!.log_file as string), 'utf8');
      const stats = statsOf(log);
      expect(stats.bytes).toHaveLength(m === 'debian' ? 2 : 1);
      expect(stats.bytes.reduce((n, b) => n + (m === 'exact' ? Number(b) : rsyncHumanBytes(b)), 0)).toBe(expected[m].bytes);
      expect(stats.files.reduce((n, f) => n + Number(f), 0)).toBe(expected[m].files);
      expect(first[i]).toMatchObject({ outcome: 'success', transferredBytes: expected[m].bytes, filesTransferred: expected[m].files });
    }
    // The two stages are counted apart: stage 1 moved the pool, stage 2 the index only.
    const debianLog = readFileSync(join(s.dir, 'log', 'debian', finals('debian')[0]!.log_file as string), 'utf8');
    expect(statsOf(debianLog)).toEqual({ bytes: ['1.02M', '300'], files: ['2', '1'] });

    // Nothing changed upstream: the next run moves nothing (its log may be the same file, appended to).
    for (const m of names) {
      const end = s.runEnd(m);
      await s.cmd('start', m);
      expect(await end).toMatchObject({ outcome: 'success', transferredBytes: 0, filesTransferred: 0 });
    }
    await s.flush();
    for (const m of names) {
      const [, second] = finals(m);
      expect(second).toMatchObject({ status: 'success', trigger: 'manual', transferred_bytes: 0, files_transferred: 0 });
      expect(second!.run_id).not.toBe(finals(m)[0]!.run_id);
    }
  });
});
