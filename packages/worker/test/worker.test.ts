import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import { createSilentLogger } from '@tunasync/core';
import { createWorker } from '@tunasync/worker';
import { getJson, startManager, makeWorker, until, workerConf, type Cleanups } from './harness.js';
import { nextEvent, tempDir } from './helpers.js';

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('worker with a real manager', () => {
  it('registers, runs a due job, reports its status, size and next schedule', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await startManager(join(t.dir, 'manager.db'));
    cleanups.push(() => m.close());
    writeFileSync(join(t.dir, 'sync.sh'), '#!/bin/sh\necho "size-sum: 42.5M"\n', { mode: 0o755 });
    const w = await makeWorker(cleanups, t.dir, m.base, `[[mirrors]]\nname = "demo"\nprovider = "command"\nupstream = "https://example.org/"\ncommand = "${t.dir}/sync.sh"\nsize_pattern = "size-sum: ([0-9.]+[KMGTP])"\n`);
    const done = nextEvent(w.jobs.get('demo')!, 'run-end');
    await w.start();
    expect((await done).outcome).toBe('success');
    expect(await w.flushReports()).toBe(true);
    const workers = (await getJson(`${m.base}/workers`)) as { id: string; url: string }[];
    expect(workers.map((x) => x.id)).toEqual(['w1']);
    expect(workers[0]!.url).toBe(w.url);
    const jobs = (await getJson(`${m.base}/workers/w1/jobs`)) as Record<string, unknown>[];
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ name: 'demo', status: 'success', size: '42.5M', upstream: 'https://example.org/', is_master: true });
    const next = new Date(jobs[0]!.next_schedule as string).getTime();
    expect(next - Date.now()).toBeGreaterThan(59 * 60_000);
    expect(next - Date.now()).toBeLessThanOrEqual(60 * 60_000);
  });

  it('obeys commands forwarded by the manager: stop pauses a running job', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await startManager(join(t.dir, 'manager.db'));
    cleanups.push(() => m.close());
    const w = await makeWorker(cleanups, t.dir, m.base, `[[mirrors]]\nname = "slow"\nprovider = "command"\ncommand = "sleep 60"\n`);
    const job = w.jobs.get('slow')!;
    const syncing = nextEvent(job, 'status', (e) => e.status === 'syncing');
    await w.start();
    await syncing;
    expect(await w.flushReports()).toBe(true);
    const end = nextEvent(job, 'run-end');
    const r = await fetch(`${m.base}/cmd`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cmd: 'stop', mirror_id: 'slow', worker_id: 'w1', args: [], options: {} }),
    });
    expect(r.status).toBe(200);
    await end;
    expect(job.state).toBe('paused');
    const jobs = (await getJson(`${m.base}/workers/w1/jobs`)) as Record<string, unknown>[];
    expect(jobs[0]).toMatchObject({ name: 'slow', status: 'paused' });
    // The control server rejects unknown mirrors as tunasync does.
    const bad = await fetch(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cmd: 'start', mirror_id: 'nope' }) });
    expect(bad.status).toBe(404);
    expect(await bad.json()).toEqual({ msg: 'Mirror nope not found' });
  });

  it('keeps a result while the manager is down and delivers it when it is back', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const db = join(t.dir, 'manager.db');
    let m = await startManager(db);
    const port = m.port;
    writeFileSync(join(t.dir, 'sync.sh'), '#!/bin/sh\nsleep 1\n', { mode: 0o755 });
    const w = await makeWorker(cleanups, t.dir, m.base, `[[mirrors]]\nname = "late"\nprovider = "command"\ncommand = "${t.dir}/sync.sh"\n`);
    const job = w.jobs.get('late')!;
    const syncing = nextEvent(job, 'status', (e) => e.status === 'syncing');
    await w.start();
    await syncing;
    await w.flushReports();
    await m.close();
    await nextEvent(job, 'run-end');
    m = await startManager(db, port);
    cleanups.push(() => m.close());
    const status = await until(async () => {
      const jobs = (await getJson(`${m.base}/workers/w1/jobs`)) as Record<string, unknown>[];
      return jobs[0]?.status === 'success' ? jobs[0] : undefined;
    });
    expect(status).toMatchObject({ name: 'late', status: 'success' });
  });

  it('reload adds, changes and removes jobs; an invalid config changes nothing', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await startManager(join(t.dir, 'manager.db'));
    cleanups.push(() => m.close());
    const mirror = (n: string, cmd: string): string => `[[mirrors]]\nname = "${n}"\nprovider = "command"\ncommand = "${cmd}"\ninterval = 600\n`;
    const w = await makeWorker(cleanups, t.dir, m.base, mirror('keep', 'true') + mirror('change', 'true') + mirror('gone', 'true'));
    await w.start();
    await w.command({ cmd: 'disable', mirrorId: 'change', args: [], options: {} });
    await w.reload(workerConf(t.dir, m.base, mirror('keep', 'true') + mirror('change', 'echo changed') + mirror('added', 'true')));
    expect([...w.jobs.keys()].sort()).toEqual(['added', 'change', 'keep']);
    expect(w.jobs.get('change')!.mirror.command).toBe('echo changed');
    expect(w.jobs.get('change')!.state).toBe('disabled');
    // The removed job disappears from the manager too (DELETE /workers/w1/jobs/gone).
    const names = await until(async () => {
      const jobs = (await getJson(`${m.base}/workers/w1/jobs`)) as { name: string }[];
      return jobs.some((j) => j.name === 'gone') || !jobs.some((j) => j.name === 'added') ? undefined : jobs.map((j) => j.name);
    });
    expect(names).toEqual(expect.arrayContaining(['added', 'keep']));
    expect(names).not.toContain('gone');
    writeFileSync(join(t.dir, 'worker.conf'), '[global]\nname = \n');
    await expect(w.reload()).rejects.toThrow(/TOML syntax error/);
    expect([...w.jobs.keys()].sort()).toEqual(['added', 'change', 'keep']);
  });

  it('refuses to start when [server] ssl_cert cannot be read, naming the key', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const conf = workerConf(t.dir, 'http://127.0.0.1:9', `[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "true"\n`);
    conf.server.sslCert = join(t.dir, 'missing.crt');
    conf.server.sslKey = join(t.dir, 'missing.key');
    // checkWorkerConfig refuses it in createWorker, before anything is set up.
    const refused = createWorker({ config: conf, logger: createSilentLogger() }).then((w) => w.start());
    await expect(refused).rejects.toThrow(`${conf.file}: server.ssl_cert: cannot read ${join(t.dir, 'missing.crt')} (ENOENT)`);
  });

  it('restores disabled and paused jobs from the manager at start-up and does not run them', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await startManager(join(t.dir, 'manager.db'));
    cleanups.push(() => m.close());
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${m.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/workers', { id: 'w1', url: 'http://127.0.0.1:1/' })).status).toBe(200);
    for (const [name, status] of [['off', 'disabled'], ['held', 'paused']]) {
      expect((await post(`/workers/w1/jobs/${name}`, { name, worker: 'w1', status, is_master: true, upstream: '', size: '', error_msg: '' })).status).toBe(200);
    }
    const mirror = (n: string): string => `[[mirrors]]\nname = "${n}"\nprovider = "command"\ncommand = "touch ${t.dir}/${n}.ran"\n`;
    const w = await makeWorker(cleanups, t.dir, m.base, mirror('off') + mirror('held') + mirror('fresh'));
    const fresh = nextEvent(w.jobs.get('fresh')!, 'run-end');
    await w.start();
    await fresh;
    expect(w.jobs.get('off')!.state).toBe('disabled');
    expect(w.jobs.get('held')!.state).toBe('paused');
    expect(existsSync(join(t.dir, 'fresh.ran'))).toBe(true);
    expect(existsSync(join(t.dir, 'off.ran'))).toBe(false);
    expect(existsSync(join(t.dir, 'held.ran'))).toBe(false);
  });
});
