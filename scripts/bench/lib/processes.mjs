// Shared by the benchmarks: the daemons they start (the built bins, each its
// own process, as on a real site), their CPU time, and percentiles.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Starts `node [nodeArgs] script ...args` and resolves once its output
 * matches `ready` (default: `listening on http://…`), with the child, the
 * match and its first group as `url`; rejects with its output when it exits
 * first.
 */
export function startListening(script, args, { env = {}, nodeArgs = [], ready = /listening on (http:\/\/[\d.]+:\d+)/ } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (b) => {
      out += b;
      const m = ready.exec(out);
      if (m) resolve({ child, url: m[1], match: m });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`${script} exited (${code ?? signal}): ${out.slice(-2000)}`)));
  });
}

/** Sends SIGTERM to `child` (unless it already exited) and resolves once it has exited. */
export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

const TICK_MS = 1000 / 100; // USER_HZ

/** CPU milliseconds process `pid` used so far (user + system), from /proc/<pid>/stat. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** The `p`th percentile of an ascending array. */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
