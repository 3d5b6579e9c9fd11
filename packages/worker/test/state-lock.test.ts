/**
 * One worker per state directory (issue 13): the lock is taken before the
 * outbox journal is read or rewritten, so a second worker process refuses
 * to start, names the holder's pid and leaves the first one's journal
 * alone; a lock left by a dead process is taken over with a warning.
 * The holders are real node processes (needs `npx tsc -b`: they import the
 * built package).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHttpClient, createSilentLogger, type Logger } from '@tunasync/core';
import { Reporter, StateDirLockedError, lockStateDir, outboxFile } from '@tunasync/worker';
import { until } from './harness.js';
import { runScript, tempDir } from './helpers.js';
import { captureLogger } from './rsync-helpers.js';

const packages = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MANAGER = 'http://127.0.0.1:9';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/**
 * A worker-like process: builds a Reporter on the state directory (argv[2]),
 * reports `first` and says `ready`; then reads
 * commands from stdin: `report <name>`, `close` (closes and exits 0).
 * When the Reporter refuses, prints the error and exits 3.
 */
function holderScript(dir: string): string {
  const file = join(dir, 'holder.mjs');
  writeFileSync(
    file,
    `import { createInterface } from 'node:readline';
const { Reporter } = await import(${JSON.stringify(pathToFileURL(join(packages, 'worker', 'dist', 'index.js')).href)});
const core = await import(${JSON.stringify(pathToFileURL(join(packages, 'core', 'dist', 'index.js')).href)});
const status = (name) => ({ ...core.emptyMirrorStatus(name, 'w1'), status: 'success' });
let r;
try {
  r = new Reporter({
    apiBaseList: [${JSON.stringify(MANAGER)}],
    http: core.createHttpClient({ timeoutMs: 500 }),
    self: () => ({ id: 'w1', url: 'http://127.0.0.1:1/', token: '', lastOnline: new Date(), lastRegister: new Date() }),
    logger: core.createSilentLogger(),
    stateDir: process.argv[2],
  });
} catch (err) {
  process.stderr.write(String(err.message) + '\\n');
  process.exit(3);
}
r.reportStatus(status('first'));
await r.flush(0);
process.stdout.write('ready\\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.split(' ');
  if (cmd === 'report') r.reportStatus(status(arg));
  if (cmd === 'close') { await r.close(); process.exit(0); }
}
`,
  );
  return file;
}

/** A running holder process; resolves once it said `ready`. */
async function startHolder(script: string, state: string): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, [script, state]);
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await waitFor(child, 'ready');
  return child;
}

/** Resolves when `child` prints `word` on a line of its own. */
function waitFor(child: ChildProcessWithoutNullStreams, word: string): Promise<void> {
  return new Promise((res, rej) => {
    let out = '';
    let err = '';
    const onData = (c: Buffer): void => {
      out += c.toString();
      if (out.split('\n').includes(word)) {
        child.stdout.off('data', onData);
        res();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => rej(new Error(`holder exited ${code} before ${word}: ${err}`)));
  });
}

const exited = (child: ChildProcessWithoutNullStreams): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));

function reporterOn(state: string, logger: Logger = createSilentLogger()): Reporter {
  const r = new Reporter({
    apiBaseList: [MANAGER],
    http: createHttpClient({ timeoutMs: 500 }),
    self: () => ({ id: 'w1', url: 'http://127.0.0.1:1/', token: '', lastOnline: new Date(), lastRegister: new Date() }),
    logger,
    stateDir: state,
  });
  cleanups.push(() => r.close());
  return r;
}

describe('the state directory lock', () => {
  it('makes a second worker process refuse to start, naming the holder, and leaves its journal untouched', async () => {
    const t = tempDir('tunasync-lock-');
    cleanups.push(t.cleanup);
    const state = join(t.dir, 'state');
    const script = holderScript(t.dir);
    const first = await startHolder(script, state);
    const journal = outboxFile(state, MANAGER);
    await until(async () => (readFileSync(journal, 'utf8').includes('"first"') ? true : undefined), 'the first holder to journal its message', 60_000);
    const before = { ino: statSync(journal).ino, text: readFileSync(journal, 'utf8') };
    expect(before.text).toContain('"first"');

    const second = await runScript(script, [state]);
    expect(second.code).toBe(3);
    expect(second.stderr).toContain(`pid ${first.pid}`);
    expect(second.stderr).toContain(state);
    // In this process too.
    expect(() => reporterOn(state)).toThrow(StateDirLockedError);
    expect(statSync(journal).ino).toBe(before.ino);
    expect(readFileSync(journal, 'utf8')).toBe(before.text);

    // The first worker's journal is still the file it appends to.
    first.stdin.write('report second\n');
    await until(async () => (readFileSync(journal, 'utf8').includes('"second"') ? true : undefined), 'the second holder to journal its message', 60_000);
    first.stdin.write('close\n');
    await exited(first);
    expect(first.exitCode).toBe(0);
    expect(existsSync(join(state, 'worker.lock'))).toBe(false);

    // Released: the next worker starts and has both reports to send.
    const { logger, text } = captureLogger();
    reporterOn(state, logger);
    expect(text()).toContain('2 report(s)');
  }, 120_000);

  it('takes over a lock left by a dead process, with a warning naming it', async () => {
    const t = tempDir('tunasync-lock-');
    cleanups.push(t.cleanup);
    const state = join(t.dir, 'state');
    const holder = await startHolder(holderScript(t.dir), state);
    const pid = holder.pid;
    const journal = outboxFile(state, MANAGER);
    await until(async () => (readFileSync(journal, 'utf8').includes('"first"') ? true : undefined), 'the first holder to journal its message', 60_000);
    holder.kill('SIGKILL');
    await exited(holder);
    expect(existsSync(join(state, 'worker.lock'))).toBe(true);
    const { logger, text } = captureLogger();
    reporterOn(state, logger);
    expect(text()).toMatch(new RegExp(`warn.*lock.*pid ${pid}.*(not running|no longer)`));
    expect(text()).toContain('1 report(s)');
    expect(JSON.parse(readFileSync(join(state, 'worker.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
  }, 120_000);

  it('is released by close() and can be taken again in the same process', async () => {
    const t = tempDir('tunasync-lock-');
    cleanups.push(t.cleanup);
    const state = join(t.dir, 'state');
    const lock = lockStateDir(state);
    expect(() => lockStateDir(state)).toThrow(new RegExp(`pid ${process.pid}`));
    lock.release();
    lock.release();
    const again = lockStateDir(state);
    expect(existsSync(again.file)).toBe(true);
    again.release();
    expect(existsSync(again.file)).toBe(false);
  });

  it('a Reporter given a held lock uses it and leaves releasing it to the owner', async () => {
    const t = tempDir('tunasync-lock-');
    cleanups.push(t.cleanup);
    const state = join(t.dir, 'state');
    const lock = lockStateDir(state);
    const r = new Reporter({
      apiBaseList: [MANAGER],
      http: createHttpClient({ timeoutMs: 500 }),
      self: () => ({ id: 'w1', url: 'http://127.0.0.1:1/', token: '', lastOnline: new Date(), lastRegister: new Date() }),
      logger: createSilentLogger(),
      stateDir: state,
      stateLock: lock,
    });
    await r.close();
    expect(existsSync(lock.file)).toBe(true);
    lock.release();
  });

  describe('judging a lock file left in place', () => {
    /** The start time of `pid` as the lock records it. */
    const startOf = (pid: number): string => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
    };
    const lockWith = (holder: object): string => {
      const t = tempDir('tunasync-lock-');
      cleanups.push(t.cleanup);
      const state = join(t.dir, 'state');
      mkdirSync(state, { recursive: true });
      writeFileSync(join(state, 'worker.lock'), JSON.stringify({ host: hostname(), nonce: 'n', ...holder }));
      return state;
    };

    it('respects a running holder (here: the parent process, with its real start time)', () => {
      const state = lockWith({ pid: process.ppid, start: startOf(process.ppid) });
      expect(() => lockStateDir(state)).toThrow(new RegExp(`pid ${process.ppid}\\)`));
    });

    it('takes over a pid now used by another process (its start time differs)', () => {
      const state = lockWith({ pid: process.ppid, start: '1' });
      const { logger, text } = captureLogger();
      lockStateDir(state, { logger }).release();
      expect(text()).toMatch(new RegExp(`pid ${process.ppid}, which is no longer running \\(the pid belongs to another process now\\)`));
    });

    it('respects a lock of another host, which it cannot check, and names the host', () => {
      const state = lockWith({ pid: 1, host: 'elsewhere.example' });
      expect(() => lockStateDir(state)).toThrow(/pid 1 on host elsewhere\.example/);
    });

    it('takes over a lock file that is not a lock (garbage), with a warning', () => {
      const t = tempDir('tunasync-lock-');
      cleanups.push(t.cleanup);
      const state = join(t.dir, 'state');
      mkdirSync(state, { recursive: true });
      writeFileSync(join(state, 'worker.lock'), 'garbage');
      const { logger, text } = captureLogger();
      const lock = lockStateDir(state, { logger });
      expect(text()).toContain('unreadable lock');
      expect(JSON.parse(readFileSync(lock.file, 'utf8'))).toMatchObject({ pid: process.pid });
      lock.release();
    });
  });
});
