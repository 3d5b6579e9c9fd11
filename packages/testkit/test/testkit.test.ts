/** The testkit's own helpers do what the other packages' tests rely on. */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TestClock,
  captureLogger,
  createTestWorker,
  fixturePath,
  freePort,
  makeTlsFiles,
  runProgram,
  runScript,
  startTestManager,
  tempDir,
  tempDirs,
  until,
  useTempDirs,
} from '@tunasync/testkit';

const temps = useTempDirs('all');

describe('until', () => {
  it('resolves with the first defined value, treating throws as "not yet"', async () => {
    let calls = 0;
    const v = await until(() => {
      calls++;
      if (calls < 3) throw new Error('not ready');
      return calls === 3 ? 'ready' : undefined;
    });
    expect(v).toBe('ready');
    expect(calls).toBe(3);
  });

  it('times out naming what it waited for and the last error', async () => {
    await expect(until(() => Promise.reject(new Error('connection refused')), 'the server answers', 100)).rejects.toThrow(
      'timed out after 100 ms waiting until the server answers (last error: connection refused)',
    );
  });
});

describe('captureLogger', () => {
  it('keeps every line a real core logger writes, debug included', () => {
    const { logger, lines, text } = captureLogger({ name: 'kit' });
    logger.debug('first');
    logger.info('two\nlines');
    expect(lines).toEqual(['[debug] [kit] first', '[info] [kit] two', '    lines']);
    expect(text()).toBe('[debug] [kit] first\n[info] [kit] two\n    lines\n');
  });
});

describe('temp dirs', () => {
  it('tempDir writes files and cleanup removes it all', () => {
    const t = tempDir();
    const file = t.write('a/b/c.txt', 'x');
    expect(readFileSync(file, 'utf8')).toBe('x');
    expect(t.path('a', 'b')).toBe(join(t.dir, 'a', 'b'));
    t.cleanup();
    expect(existsSync(t.dir)).toBe(false);
  });

  it('a registry removes every dir it made', () => {
    const dirs = tempDirs();
    const made = [dirs.make('kit-a-'), dirs.make('kit-b-')];
    expect(made.every((t) => existsSync(t.dir))).toBe(true);
    dirs.cleanup();
    expect(made.some((t) => existsSync(t.dir))).toBe(false);
  });
});

describe('programs and ports', () => {
  it('runScript and runProgram resolve with the exit code and both outputs', async () => {
    const t = temps.make();
    const script = t.write('s.mjs', 'console.log("out"); console.error("err"); process.exit(3);');
    expect(await runScript(script, [])).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(await runProgram('sh', ['-c', 'pwd'], { cwd: t.dir })).toEqual({ code: 0, stdout: `${t.dir}\n`, stderr: '' });
    await expect(runProgram(join(t.dir, 'no-such-program'), [])).rejects.toThrow(/ENOENT/);
  });

  it('freePort gives a port nothing listens on', async () => {
    const port = await freePort();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('TestClock stands still until moved', () => {
    const clock = new TestClock('2026-01-01T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(clock.advance(1500).toISOString()).toBe('2026-01-01T00:00:01.500Z');
    expect(clock.set('2027-02-03T04:05:06Z').toISOString()).toBe('2027-02-03T04:05:06.000Z');
  });
});

describe('a test manager and a test worker', () => {
  it('the manager is real (SQLite file, tokens enforced, logs captured) and close() removes its temp dir', async () => {
    const m = await startTestManager({ auth: { workerToken: 'wt' } });
    expect(m.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(m.dbFile)).toBe(true);
    const body = { id: 'w1', url: 'http://127.0.0.1:1/', token: '', last_online: '0001-01-01T00:00:00Z', last_register: '0001-01-01T00:00:00Z' };
    expect((await m.call('POST', '/workers', body)).status).toBe(401);
    expect((await m.call('POST', '/workers', body, 'wt')).status).toBe(200);
    expect((await m.call('GET', '/workers')).body).toEqual([expect.objectContaining({ id: 'w1' })]);
    expect(m.text()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    await m.close();
    expect(existsSync(m.dir)).toBe(false);
  });

  it('a test worker on a written worker.conf registers with it and reports its job', async () => {
    const t = temps.make();
    const m = await startTestManager({ dir: t.dir });
    try {
      const w = await createTestWorker({ dir: t.dir, apiBase: m.url, mirrors: '[[mirrors]]\nname = "j"\nprovider = "command"\ncommand = "true"\n' });
      try {
        expect(readFileSync(join(t.dir, 'worker.conf'), 'utf8')).toContain(`api_base = "${m.url}"`);
        await w.start();
        const jobs = await until(async () => {
          const list = (await m.call('GET', '/workers/w1/jobs')).body as { name: string; status: string }[];
          return list.some((j) => j.status === 'success') ? list : undefined;
        }, 'the job is reported as a success');
        expect(jobs).toEqual([expect.objectContaining({ name: 'j', status: 'success' })]);
      } finally {
        await w.halt();
      }
    } finally {
      await m.close();
    }
    expect(existsSync(t.dir)).toBe(true);
  });

  it('an HTTPS manager with makeTlsFiles certificates is verified by a client trusting the CA', async () => {
    const t = temps.make();
    const tls = await makeTlsFiles(t.dir);
    const m = await startTestManager({ dir: t.dir, server: { sslCert: tls.serverCert, sslKey: tls.serverKey } });
    try {
      expect(m.protocol).toBe('https');
      const ok = await runProgram('openssl', ['verify', '-CAfile', tls.caCert, tls.serverCert, tls.clientCert, tls.elsewhereCert]);
      expect(ok.code).toBe(0);
      const other = await runProgram('openssl', ['verify', '-CAfile', tls.otherCaCert, tls.serverCert]);
      expect(other.code).not.toBe(0);
      expect(() => m.call('GET', '/ping')).toThrow('plain HTTP only');
    } finally {
      await m.close();
    }
  });
});

describe('fixtures', () => {
  it('the large site worker.conf is in the repository', () => {
    const text = readFileSync(fixturePath('large-site-worker.conf'), 'utf8');
    expect(text).toContain('[[mirrors.mirrors.mirrors]]');
    for (const section of ['[docker]', '[cgroup]', '[zfs]', '[btrfs_snapshot]']) expect(text).toContain(section);
  });
});
