// Benchmark of the worker's scheduling (issue 18), over the built packages
// (npm run bench:schedule):
//  1. 300 mirrors due at the same instant (never ran) with spread = "5m",
//     in-process, each running a real process when it starts: the most
//     starts in any one wall-clock second (target <= 3) and the scheduler's
//     lateness, the job's pre-job phase minus the start time it reported to
//     the manager (target p99 <= 50 ms). Takes the spread window (5 min).
//  2. a worker daemon (the real bin, a child process) with 1,000 mirrors,
//     each with blackout windows (one holding every run right now) and its
//     own priority: CPU over an idle window (target ~0 %).
// SPREAD (default "5m") and IDLE_S (the idle window, default 10 s) may be set.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startListening, stopProcess } from '../lib/processes.mjs';
import { createSilentLogger, parseWorkerConfig } from '@tunasync/core';
import { createWorker, parseDuration, realTimers } from '@tunasync/worker';

const SPREAD = process.env.SPREAD ?? '5m';
const IDLE_S = Number(process.env.IDLE_S ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'tunasync-schedule-bench-'));
const workerBin = new URL('../../../packages/worker/dist/cli.js', import.meta.url).pathname;
const managerBin = new URL('../../../packages/manager/dist/cli.js', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (x) => x.toFixed(1);
const hhmm = (d) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;

// The manager runs as its own process (the real bin), as on a real site.
const manager = await startListening(managerBin, ['--addr', '127.0.0.1', '--port', '0', '--db-file', join(dir, 'manager.db')]);

function conf(name, mirrors, global = '') {
  return `[global]\nname = "${name}"\nlog_dir = "${dir}/${name}/log/{{.Name}}"\nmirror_dir = "${dir}/${name}/data"\n${global}\n[manager]\napi_base = "${manager.url}"\n[server]\nhostname = "127.0.0.1"\nlisten_addr = "127.0.0.1"\nlisten_port = 0\n${mirrors}`;
}

try {
  // ------------------------------------------------------------ 1. spread
  {
    const spreadMs = parseDuration(SPREAD);
    const mirrors = Array.from({ length: 300 }, (_, i) => `[[mirrors]]\nname = "s${String(i).padStart(3, '0')}"\nprovider = "command"\ncommand = "true"\ninterval = 1440\n`).join('');
    const text = conf('spread', mirrors, `concurrent = 300\nspread = "${SPREAD}"`);
    // The real timers, each firing also recorded against the instant it was set for.
    const timerLateness = [];
    const timers = {
      set: (fn, ms) => {
        const target = Date.now() + Math.max(0, ms);
        return realTimers.set(() => {
          timerLateness.push(Date.now() - target);
          fn();
        }, ms);
      },
      clear: (h) => realTimers.clear(h),
    };
    const worker = await createWorker({ config: parseWorkerConfig(text, join(dir, 'spread.conf')).config, logger: createSilentLogger(), timers });
    const planned = new Map();
    worker.events.on('schedule', (e) => {
      if (!planned.has(e.mirror)) planned.set(e.mirror, e.next.getTime());
    });
    const lateness = [];
    const perSecond = new Map();
    for (const job of worker.jobs.values()) {
      job.on('phase', (e) => {
        if (e.phase !== 'pre-job' || !planned.has(e.job)) return;
        const now = Date.now();
        lateness.push(now - planned.get(e.job));
        planned.delete(e.job); // the first run only
        const sec = Math.floor(now / 1000);
        perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
      });
    }
    const t0 = Date.now();
    await worker.start();
    while (lateness.length < 300 && Date.now() - t0 < spreadMs + 30_000) await sleep(500);
    await sleep(1000); // the last runs end before the halt
    await worker.halt();
    const busiest = Math.max(...perSecond.values());
    console.log(`spread ${SPREAD}: 300 mirrors due at the same instant, ${lateness.length} started over ${fmt((Date.now() - t0) / 1000)} s in ${perSecond.size} distinct seconds; most starts in one second: ${busiest} (target <= 3)`);
    console.log(`scheduler lateness, timer fired minus the time it was set for (${timerLateness.length} firings): p50 ${fmt(pct(timerLateness, 50))} ms, p99 ${fmt(pct(timerLateness, 99))} ms, max ${fmt(Math.max(...timerLateness))} ms`);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`start lateness (the job's pre-job phase minus the start time reported to the manager): p50 ${fmt(pct(lateness, 50))} ms, p99 ${fmt(pct(lateness, 99))} ms, max ${fmt(Math.max(...lateness))} ms (target p99 <= 50 ms); load average ${load}`);
  }

  // ------------------------------------------------------------ 2. idle daemon
  {
    // A window from an hour ago to three hours on (UTC) holds every run: nothing is due while we measure.
    const from = new Date(Date.now() - 3600_000);
    const to = new Date(Date.now() + 3 * 3600_000);
    const mirrors = Array.from(
      { length: 1000 },
      (_, i) =>
        `[[mirrors]]\nname = "b${String(i).padStart(4, '0')}"\nprovider = "command"\ncommand = "true"\ninterval = ${60 + (i % 7) * 60}\npriority = ${i % 101}\n` +
        `blackout = ["${hhmm(from)}-${hhmm(to)}", "Sat 00:00-Sun 06:00"]\n${i % 3 === 0 ? 'interval_mode = "fixed-rate"\nfixed_rate_anchor = "00:05"\n' : ''}${i % 5 === 0 ? 'cron = "*/15 * * * *"\n' : ''}`,
    ).join('');
    writeFileSync(join(dir, 'big.conf'), conf('big', mirrors, 'timezone = "UTC"\nconcurrent = 10\nper_upstream_concurrent = 2\nspread = "10m"'));
    const child = spawn(process.execPath, [workerBin, '-c', join(dir, 'big.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    try {
      // Registered (its schedules are reported right after), then settled.
      const t0 = Date.now();
      for (;;) {
        const list = await (await fetch(`${manager.url}/workers`)).json().catch(() => []);
        if (Array.isArray(list) && list.some((w) => w.id === 'big')) break;
        if (child.exitCode !== null) throw new Error(`worker exited: ${err}`);
        if (Date.now() - t0 > 60_000) throw new Error('the worker did not register within 60 s');
        await sleep(500);
      }
      await sleep(5000);
      const runs = await (await fetch(`${manager.url}/workers/big/jobs`)).json().catch(() => []);
      const cpuTicks = () => {
        const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100/s)
      };
      const c0 = cpuTicks();
      await sleep(IDLE_S * 1000);
      const cpu = ((cpuTicks() - c0) / 100 / IDLE_S) * 100;
      const rss = /VmRSS:\s+(.*)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1];
      console.log(`idle worker with 1,000 mirrors (blackouts, priorities, fixed rate, cron, spread; ${runs.length} ran): CPU ${cpu.toFixed(2)} % over ${IDLE_S} s, RSS ${rss} (target ~0 % CPU)`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    }
  }
} finally {
  await stopProcess(manager.child);
  rmSync(dir, { recursive: true, force: true });
}
