/**
 * Helpers of the restart tests (issue 20): a real manager behind a
 * recording proxy, `tunasync-worker` processes (the built bin) on one
 * config and state directory, and the status bodies the manager got.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { builtBin, startTestManager, tempDir, until, type TestManager } from '@tunasync/testkit';
import type { Cleanups } from './harness.js';
import { managerProxy } from './manager-proxy.js';

const bin = builtBin('worker');

/** A status body the manager got. */
export type Body = Record<string, unknown>;

/** A worker process. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves with its exit code once it has exited. */
  exited: Promise<number | null>;
  /** What it printed so far. */
  output(): string;
}

/** One restart scenario's world. */
export interface World {
  dir: string;
  manager: TestManager;
  conf: string;
  stateDir: string;
  logDir: string;
  /** Status bodies the manager got for mirror `m`, in order. */
  reports(m: string): Body[];
  /** Starts a worker process on the config. */
  startWorker(): WorkerProcess;
  /** Sends a command through the manager, as tunasynctl does. */
  cmd(cmd: string, mirror: string): Promise<void>;
  /** Waits for a status of `m` matching `pred`; returns it. */
  waitReport(m: string, pred: (b: Body) => boolean, what: string, timeoutMs?: number): Promise<Body>;
}

/** A manager, a recording proxy and a worker.conf (`[global]` extra lines, then `mirrors`). */
export async function makeWorld(cleanups: Cleanups, globalExtra: string, mirrors: (dir: string) => string): Promise<World> {
  const t = tempDir('tunasync-adopt-');
  cleanups.push(t.cleanup);
  const manager = await startTestManager();
  cleanups.push(() => manager.close());
  const bodies: Body[] = [];
  const proxy = await managerProxy(cleanups, manager.base, () => undefined, (method, path, body) => {
    if (method === 'POST' && /^\/workers\/[^/]+\/jobs\/[^/]+$/.test(path)) bodies.push(JSON.parse(body) as Body);
  });
  const stateDir = join(t.dir, 'state');
  const logDir = join(t.dir, 'log');
  const conf = join(t.dir, 'worker.conf');
  writeFileSync(
    conf,
    `[global]\nname = "w1"\nlog_dir = "${logDir}/{{.Name}}"\nmirror_dir = "${t.dir}/data"\nstate_dir = "${stateDir}"\ninterval = 600\n${globalExtra}\n` +
      `[manager]\napi_base = "${proxy}"\n[server]\nhostname = "127.0.0.1"\nlisten_addr = "127.0.0.1"\nlisten_port = 0\n${mirrors(t.dir)}`,
  );
  const children: ChildProcess[] = [];
  cleanups.push(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  const reports = (m: string): Body[] => bodies.filter((b) => b.name === m);
  const outputs: (() => string)[] = [];
  return {
    dir: t.dir,
    manager,
    conf,
    stateDir,
    logDir,
    reports,
    startWorker() {
      const child = spawn(process.execPath, [bin, '-c', conf, '--debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      outputs.push(() => out);
      return { child, exited, output: () => out };
    },
    async cmd(cmd, mirror) {
      const r = await manager.call('POST', '/cmd', { cmd, mirror_id: mirror, worker_id: 'w1', args: [], options: {} });
      if (r.status !== 200) throw new Error(`${cmd} ${mirror}: ${r.status} ${r.text}`);
    },
    async waitReport(m, pred, what, timeoutMs = 30_000) {
      try {
        return await until(async () => reports(m).find(pred), what, timeoutMs);
      } catch (err) {
        // Say what the manager got and what each worker printed, so a failure can be told apart from a slow machine.
        const got = reports(m).map((b) => `${String(b.status)} ${String(b.run_id)}`).join(', ');
        const printed = outputs.map((o, i) => `worker ${i + 1}:\n${o().slice(-3000)}`).join('\n');
        throw new Error(`${(err as Error).message}; reports of ${m}: [${got}]\n${printed}`);
      }
    },
  };
}

/** The pid a job script wrote to `file`, once written. */
export function waitPid(file: string, what: string): Promise<number> {
  return until(async () => (existsSync(file) && /^\d+\n$/.test(readFileSync(file, 'utf8')) ? Number(readFileSync(file, 'utf8')) : undefined), what, 30_000);
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** Sleeps until `ms` after `t0` (Date.now() time). */
export async function at(t0: number, ms: number): Promise<void> {
  const wait = t0 + ms - Date.now();
  if (wait > 0) await sleep(wait);
}

/** A job script: writes its pid, says `start <pid>`, sleeps `seconds`, says `end <pid>`, exits `code`. */
export function jobScript(dir: string, name: string, seconds: number, code = 0, extra = ''): { script: string; pidFile: string } {
  const pidFile = join(dir, `${name}.pid`);
  const script = join(dir, `${name}.sh`);
  writeFileSync(script, `echo $$ > ${pidFile}\necho "start $$"\n${extra}\nsleep ${seconds}\necho "end $$"\nexit ${code}\n`);
  return { script, pidFile };
}
