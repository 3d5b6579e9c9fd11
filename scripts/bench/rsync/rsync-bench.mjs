// Benchmark of the rsync provider (issue 5): the same pull of a generated
// tree (20,000 small files and a few large ones) from a local rsync daemon,
// once by hand (rsync with the argv the worker builds, output to a log file)
// and once through the worker's job engine (MirrorJob with the rsync provider
// and the standard hooks: log rotation, process group, size from the log),
// alternating which goes first, several rounds, each into a fresh empty
// destination. Prints the median times and the ratio (hand / worker: 1.00
// means the worker is as fast as rsync by hand; the target is >= 0.97).
// Wall-clock times on a shared machine are noisy, so two steadier figures
// follow: the worker's fixed cost per run (the same comparison on a
// one-file module, many rounds) and the CPU time this Node process spends
// per run (the engine's own work; rsync runs in its own processes).
// The trees live on tmpfs (/dev/shm) when there is one, so the disk's
// write-back does not drown the difference being measured; BENCH_DIR picks
// another place. Run: npm run bench:rsync. ROUNDS, SMALL_FILES, LARGE_FILES,
// LARGE_MB may be set in the environment.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRsyncArgv, createSilentLogger, parseWorkerConfig, systemClock } from '@tunasync/core';
import { ConcurrencySlots, ExecHook, LogRotationHook, MirrorJob, RsyncProvider } from '@tunasync/worker';

const ROUNDS = Number(process.env.ROUNDS ?? 9);
const SMALL_FILES = Number(process.env.SMALL_FILES ?? 20_000);
const LARGE_FILES = Number(process.env.LARGE_FILES ?? 3);
const LARGE_MB = Number(process.env.LARGE_MB ?? 32);
const base = process.env.BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const dir = mkdtempSync(join(base, 'tunasync-rsync-bench-'));

function makeTree(root) {
  const perDir = 100;
  for (let i = 0; i < SMALL_FILES; i++) {
    const d = join(root, `d${Math.floor(i / perDir / 10)}`, `s${Math.floor(i / perDir) % 10}`);
    if (i % perDir === 0) mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${i}.txt`), randomBytes(64 + (i % 64) * 32));
  }
  mkdirSync(join(root, 'large'), { recursive: true });
  for (let i = 0; i < LARGE_FILES; i++) writeFileSync(join(root, 'large', `image${i}.iso`), randomBytes(LARGE_MB * 1024 * 1024));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startDaemon(modules) {
  const logFile = join(dir, 'rsyncd.log');
  const ids = process.getuid?.() === 0 ? 'uid = root\ngid = root\n' : '';
  const conf = join(dir, 'rsyncd.conf');
  const sections = Object.entries(modules).map(([name, path]) => `[${name}]\npath = ${path}\nread only = yes\n${ids}`);
  writeFileSync(conf, `use chroot = no\nlog file = ${logFile}\npid file = ${join(dir, 'rsyncd.pid')}\n${sections.join('')}`);
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn('rsync', ['--daemon', '--no-detach', `--config=${conf}`, `--port=${port}`, '--address=127.0.0.1'], { stdio: 'ignore' });
    let exited = false;
    child.once('exit', () => (exited = true));
    for (let i = 0; i < 500 && !exited; i++) {
      if (existsSync(logFile) && readFileSync(logFile, 'utf8').includes(`listening on port ${port}`)) return { child, port };
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!exited) child.kill();
  }
  throw new Error(`rsync daemon did not start; see ${logFile}`);
}

function mirrorFor(url, dest) {
  const text = `[global]\nname = "bench"\nlog_dir = "${dir}/log/{{.Name}}"\nmirror_dir = "${dir}/unused"\n[[mirrors]]\nname = "bench"\nprovider = "rsync"\nupstream = "${url}"\nmirror_dir = "${dest}"\nretry = 1\n`;
  return parseWorkerConfig(text, join(dir, 'worker.conf')).config.mirrors[0];
}

const cpuMs = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

function byHand(argv, logFile, cpu = {}) {
  return new Promise((resolve, reject) => {
    const c0 = process.cpuUsage();
    const fd = openSync(logFile, 'a');
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      cpu.ms = cpuMs(c0);
      if (code !== 0) reject(new Error(`rsync by hand exited ${code}; see ${logFile}`));
      else resolve(ms);
    });
  });
}

async function throughWorker(mirror, cpu = {}) {
  const c0 = process.cpuUsage();
  const job = new MirrorJob({
    mirror,
    provider: new RsyncProvider(mirror),
    hooks: [new LogRotationHook(), new ExecHook('success', mirror.execOnSuccess), new ExecHook('failure', mirror.execOnFailure)],
    slots: new ConcurrencySlots(1),
    logger: createSilentLogger(),
    clock: systemClock,
  });
  let final;
  job.on('status', (e) => {
    if (e.final) final = e;
  });
  const ended = new Promise((r) => job.once('run-end', r));
  const t0 = process.hrtime.bigint();
  await job.control('start');
  const end = await ended;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  cpu.ms = cpuMs(c0);
  if (end.outcome !== 'success') throw new Error(`worker run failed: ${final?.errorMsg}`);
  return { ms, size: final.size };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Alternating rounds of the same pull by hand and through the worker; medians. */
async function compare(url, label, rounds, verbose) {
  const dest = (who, round) => join(dir, `dest-${label}-${who}-${round}`);
  const handArgv = (round) => buildRsyncArgv(mirrorFor(url, dest('hand', round)));
  // One untimed run of each warms the page cache and the daemon.
  await byHand(handArgv('warm'), join(dir, `hand-${label}.log`));
  await throughWorker(mirrorFor(url, dest('worker', 'warm')));
  for (const who of ['hand', 'worker']) rmSync(dest(who, 'warm'), { recursive: true, force: true });
  const t = { hand: [], worker: [] };
  const cpu = { hand: [], worker: [] };
  let size = '';
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['hand', 'worker'] : ['worker', 'hand'];
    for (const who of order) {
      const c = {};
      if (who === 'hand') t.hand.push(await byHand(handArgv(round), join(dir, `hand-${label}.log`), c));
      else {
        const r = await throughWorker(mirrorFor(url, dest('worker', round)), c);
        t.worker.push(r.ms);
        size = r.size;
      }
      cpu[who].push(c.ms);
      rmSync(dest(who, round), { recursive: true, force: true });
    }
    if (verbose) console.log(`  round ${round + 1} (${order[0]} first): by hand ${t.hand.at(-1).toFixed(0)} ms, worker ${t.worker.at(-1).toFixed(0)} ms`);
  }
  return { hand: median(t.hand), worker: median(t.worker), cpuHand: median(cpu.hand), cpuWorker: median(cpu.worker), size, argv: handArgv('N') };
}

let daemon;
try {
  const upstream = join(dir, 'upstream');
  const tiny = join(dir, 'tiny');
  const t0 = Date.now();
  makeTree(upstream);
  mkdirSync(tiny);
  writeFileSync(join(tiny, 'README'), 'one file\n');
  console.log(`tree under ${base}: ${SMALL_FILES} small files, ${LARGE_FILES} × ${LARGE_MB} MiB (generated in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  daemon = await startDaemon({ bench: upstream, tiny });
  const url = (module) => `rsync://127.0.0.1:${daemon.port}/${module}/`;

  const big = await compare(url('bench'), 'bench', ROUNDS, true);
  console.log(`argv: ${big.argv.join(' ')}`);
  console.log(`size reported by the worker: ${big.size}`);
  console.log(`median of ${ROUNDS} rounds: rsync by hand ${big.hand.toFixed(0)} ms, through the worker ${big.worker.toFixed(0)} ms`);
  console.log(`ratio (hand / worker, target >= 0.97): ${(big.hand / big.worker).toFixed(3)}`);
  console.log(`CPU of this Node process per run: by hand ${big.cpuHand.toFixed(1)} ms, worker ${big.cpuWorker.toFixed(1)} ms`);

  const small = await compare(url('tiny'), 'tiny', 30, false);
  console.log(`one-file module, median of 30 rounds: by hand ${small.hand.toFixed(1)} ms, worker ${small.worker.toFixed(1)} ms (fixed cost of the worker per run: ${(small.worker - small.hand).toFixed(1)} ms)`);
} finally {
  if (daemon) {
    const gone = new Promise((r) => daemon.child.once('exit', r));
    daemon.child.kill();
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
}
