// Benchmark of live logs (issue 15), over the built packages:
// a worker daemon (the real bin) runs a command job that writes 50 MB of
// log at full speed; it runs RUNS times with no follower and RUNS times
// with FOLLOWERS (default 20) SSE clients following it through a manager
// daemon (the real bin), alternately. PIN=1 puts the worker and its jobs
// on CPU 0 and the manager and the followers on CPU 1, as if they ran on
// other hosts (as on a site). The job times its own writing (so the number is
// the job's run time, not the worker's bookkeeping). Targets: the job's
// median run time with followers within 5 % of the one without; the
// manager's peak RSS under 200 MB. Also printed: the worker's peak RSS and
// how long the followers took to receive the whole log.
import { execFileSync } from 'node:child_process';
import { get, request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs as processCpuMs, startListening } from '../lib/processes.mjs';

const FOLLOWERS = Number(process.env.FOLLOWERS ?? 20);
const RUNS = Number(process.env.RUNS ?? 3);
const BYTES = 50 * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'tunasync-log-bench-'));
const workerBin = new URL('../../../packages/worker/dist/cli.js', import.meta.url).pathname;
const managerBin = new URL('../../../packages/manager/dist/cli.js', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (kb) => (kb / 1024).toFixed(1);

function rssKb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process used so far, in ms; 0 once it is gone. */
function cpuMs(pid) {
  try {
    return processCpuMs(pid);
  } catch {
    return 0;
  }
}

/** Read and write system calls a process made so far (from /proc/<pid>/io). */
function syscalls(pid) {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { r: Number(/syscr: (\d+)/.exec(io)[1]), w: Number(/syscw: (\d+)/.exec(io)[1]) };
  } catch {
    return { r: 0, w: 0 };
  }
}

/** The bench process's own CPU time so far, in ms (its follower clients). */
const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function daemon(bin, args, ready) {
  // PROF_DIR=dir: V8 CPU profiles of the daemons, written as they exit.
  const nodeArgs = process.env.PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROF_DIR}`] : [];
  const started = await startListening(bin, args, { nodeArgs, ready });
  children.push(started.child);
  return started;
}

function httpJson(method, url, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const children = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
});
const manager = await daemon(managerBin, ['--addr', '127.0.0.1', '--port', '0', '--db-file', join(dir, 'manager.db')], /listening on (http:\/\/[\d.]+:\d+)/);
const base = manager.match[1];

// The job: wait a moment (followers attach to the new try), then write 50 MB of
// 100-byte lines as fast as `yes | head` goes, and print how long that took.
const job = join(dir, 'job.sh');
writeFileSync(
  job,
  `#!/bin/sh\nsleep 1\nstart=$(date +%s%N)\nyes 'Get:1 http://deb.example.org/debian bookworm/main amd64 libexample1 amd64 1.2.3-4 [123 kB] ....' | head -c ${BYTES}\nend=$(date +%s%N)\necho\necho "elapsed_ns $((end - start))"\n`,
  { mode: 0o755 },
);
writeFileSync(
  join(dir, 'worker.conf'),
  `[global]\nname = "bench"\nlog_dir = "${dir}/log/{{.Name}}"\nmirror_dir = "${dir}/data"\nconcurrent = 2\n` +
    `[manager]\napi_base = "${base}"\n[server]\nhostname = "127.0.0.1"\nlisten_addr = "127.0.0.1"\nlisten_port = 0\n` +
    `[[mirrors]]\nname = "big"\nprovider = "command"\nupstream = "x"\ncommand = "${job}"\ncron = "0 0 1 1 *"\n`,
);
const worker = await daemon(workerBin, ['-c', join(dir, 'worker.conf')], /control server on/);
if (process.env.PIN === '1') {
  // The mirror box (the worker and the jobs it starts) on CPU 0; the manager and the followers on CPU 1, as on other hosts.
  execFileSync('taskset', ['-a', '-p', '-c', '0', String(worker.child.pid)], { stdio: 'ignore' });
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(manager.child.pid)], { stdio: 'ignore' });
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
}
for (let i = 0; ; i++) {
  const r = await httpJson('GET', `${base}/workers`);
  if (r.status === 200 && JSON.parse(r.text).some((w) => w.id === 'bench')) break;
  if (i > 200) throw new Error('the worker did not register');
  await sleep(50);
}

/**
 * One follower through the manager: resolves with the bytes received and when
 * `end` came. It works on the Buffers as they come (it counts bytes and looks
 * for the `end` event in the last bytes only): the clients run in this process,
 * on the same CPU as the worker and the manager, so they must cost little.
 */
const END = Buffer.from('event: end\n');
function follow() {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const req = get(`${base}/jobs/big/log/stream?from=run`, { headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`stream answered ${res.statusCode}`));
      let bytes = 0;
      let last = Buffer.alloc(0);
      let done = false;
      res.on('data', (b) => {
        bytes += b.length;
        // `end` comes last: look only at the end of what came (with the bytes before, in case it is split).
        last = Buffer.concat([last, b.subarray(-256)]).subarray(-256);
        if (last.includes(END)) {
          done = true;
          resolve({ bytes, ms: Date.now() - t0 });
          req.destroy();
        }
      });
      res.on('close', () => {
        if (!done) reject(new Error(`a follower's stream closed after ${bytes} bytes without end: ${last.toString('utf8').slice(-200)}`));
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
  });
}

// Peak RSS per phase (runs alone, runs followed), sampled every 50 ms.
const peaks = { alone: { manager: 0, worker: 0 }, followed: { manager: 0, worker: 0 } };
let phase = 'alone';
const sampler = setInterval(() => {
  const p = peaks[phase];
  p.manager = Math.max(p.manager, rssKb(manager.child.pid));
  p.worker = Math.max(p.worker, rssKb(worker.child.pid));
}, 50);

async function run(followers) {
  const cpu0 = { worker: cpuMs(worker.child.pid), manager: cpuMs(manager.child.pid), bench: selfCpuMs() };
  const io0 = { worker: syscalls(worker.child.pid), manager: syscalls(manager.child.pid) };
  const r = await httpJson('POST', `${base}/cmd`, { cmd: 'start', mirror_id: 'big', worker_id: 'bench', args: [], options: {} });
  if (r.status !== 200) throw new Error(`start: ${r.status} ${r.text}`);
  await sleep(300); // the try has begun (the job sleeps 1 s before writing)
  const streams = Array.from({ length: followers }, () => follow());
  const got = await Promise.all(streams);
  // Wait for the run to end and its log to show the elapsed time.
  for (let i = 0; ; i++) {
    const tail = await httpJson('GET', `${base}/jobs/big/log?tail=1`);
    const m = /elapsed_ns (\d+)/.exec(tail.text);
    const jobs = JSON.parse((await httpJson('GET', `${base}/workers/bench/jobs`)).text);
    if (m && jobs[0]?.status === 'success') {
      const cpu = { worker: cpuMs(worker.child.pid) - cpu0.worker, manager: cpuMs(manager.child.pid) - cpu0.manager, bench: selfCpuMs() - cpu0.bench };
      const io = {};
      for (const who of ['worker', 'manager']) {
        const now = syscalls((who === 'worker' ? worker : manager).child.pid);
        io[who] = { r: now.r - io0[who].r, w: now.w - io0[who].w };
      }
      return { jobMs: Number(m[1]) / 1e6, followers: got, cpu, io };
    }
    if (i > 1200) throw new Error('the run did not end');
    await sleep(50);
  }
}

const alone = [];
const followed = [];
const cpuAlone = [];
const cpuFollowed = [];
const ioFollowed = [];
const loads = [readFileSync('/proc/loadavg', 'utf8').split(' ')[0]];
const followerMs = [];
const startPeak = { manager: rssKb(manager.child.pid), worker: rssKb(worker.child.pid) };
// Runs alone and followed alternate, so that a change in the machine's load
// over the bench weighs on both alike.
for (let i = 0; i < RUNS; i++) {
  phase = 'alone';
  const r0 = await run(0);
  alone.push(r0.jobMs);
  cpuAlone.push(r0.cpu);
  phase = 'followed';
  const r = await run(FOLLOWERS);
  followed.push(r.jobMs);
  cpuFollowed.push(r.cpu);
  ioFollowed.push(r.io);
  for (const f of r.followers) {
    if (f.bytes < BYTES) throw new Error(`a follower got ${f.bytes} bytes, fewer than the log`);
    followerMs.push(f.ms);
  }
}
clearInterval(sampler);
loads.push(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

const a = median(alone);
const f = median(followed);
const slower = ((f - a) / a) * 100;
// Each followed run against the run alone just before it: the machine's drift weighs on both alike.
const paired = median(followed.map((x, i) => ((x - alone[i]) / alone[i]) * 100));
console.log(`job writing ${BYTES / 1024 / 1024} MB of log, ${RUNS} runs each:`);
console.log(`  no followers:          median ${a.toFixed(0)} ms  (${alone.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`  ${FOLLOWERS} SSE followers:      median ${f.toFixed(0)} ms  (${followed.map((x) => x.toFixed(0)).join(', ')})  ${slower >= 0 ? '+' : ''}${slower.toFixed(1)} %  (target: within 5 %)`);
console.log(`  median of each followed run against the run alone before it: ${paired >= 0 ? '+' : ''}${paired.toFixed(1)} %`);
console.log(`  followers received the whole log in: median ${median(followerMs)} ms, max ${Math.max(...followerMs)} ms (from connecting)`);
console.log(`manager RSS: at start ${mb(startPeak.manager)} MB, peak without followers ${mb(peaks.alone.manager)} MB, peak with followers ${mb(peaks.followed.manager)} MB (target: < 200 MB)`);
const cpuLine = (who) => {
  const al = median(cpuAlone.map((c) => c[who]));
  const fo = median(cpuFollowed.map((c) => c[who]));
  const perMb = FOLLOWERS > 0 ? (fo - al) / ((FOLLOWERS * BYTES) / 1024 / 1024) : 0;
  return `median ${al.toFixed(0)} ms alone, ${fo.toFixed(0)} ms with followers (${cpuFollowed.map((c) => c[who].toFixed(0)).join(', ')}): ${perMb.toFixed(2)} ms per MB followed`;
};
console.log(`CPU per run (from /proc/<pid>/stat, utime + stime):`);
console.log(`  worker:  ${cpuLine('worker')}`);
console.log(`  manager: ${cpuLine('manager')}`);
console.log(`  bench clients: ${cpuLine('bench')}`);
for (const who of ['worker', 'manager']) {
  const io = ioFollowed.map((x) => x[who]);
  console.log(`  ${who} read/write system calls per run with followers${who === 'worker' ? ' (with the jobs it reaped: /proc/<pid>/io counts them)' : ''}: ${io.map((x) => `${x.r}/${x.w}`).join(', ')}`);
}
console.log(`load average (1 min) at start and at the end: ${loads.join(', ')}`);
console.log(`worker RSS:  at start ${mb(startPeak.worker)} MB, peak without followers ${mb(peaks.alone.worker)} MB, peak with followers ${mb(peaks.followed.worker)} MB`);

worker.child.kill('SIGTERM');
manager.child.kill('SIGTERM');
await sleep(500);
rmSync(dir, { recursive: true, force: true });
