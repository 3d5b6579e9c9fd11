/**
 * A real `rsync --daemon` on 127.0.0.1 for tests: modules from a plain
 * description, an explicit free port (rsync cannot bind port 0: a port is
 * taken from the kernel by binding 0 and closing, and a collision is retried
 * with another), ready once the daemon's log says it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { freePort } from '@tunasync/testkit';
import { join } from 'node:path';

/** One `[module]` of rsyncd.conf. */
export interface RsyncModule {
  /** The directory served. */
  path: string;
  /** `auth users` with their passwords (written to a `secrets file`, mode 0600). */
  users?: Record<string, string>;
  /**
   * Serve as an unprivileged user (as root: uid and gid 65534, "nobody"), so
   * a file with mode 000 cannot be read and the client exits 23. Otherwise,
   * as root, the module runs as root.
   */
  unprivileged?: boolean;
}

/** A running daemon. */
export interface RsyncDaemon {
  port: number;
  /** The daemon's own log file. */
  logFile: string;
  /** `rsync://127.0.0.1:<port>/<module>/` (with the trailing slash tunasync needs). */
  url(module: string): string;
  /** Stops the daemon and waits for it to exit. */
  stop(): Promise<void>;
}

/** True when the tests run as root (the daemon may then switch users per module). */
export const isRoot = process.getuid?.() === 0;

function writeConfig(dir: string, modules: Record<string, RsyncModule>, logFile: string): string {
  const lines = ['use chroot = no', `log file = ${logFile}`, `pid file = ${join(dir, 'rsyncd.pid')}`];
  for (const [name, m] of Object.entries(modules)) {
    lines.push(`[${name}]`, `path = ${m.path}`, 'read only = yes', 'list = yes');
    if (isRoot) lines.push(m.unprivileged ? 'uid = 65534' : 'uid = root', m.unprivileged ? 'gid = 65534' : 'gid = root');
    if (m.users) {
      const secrets = join(dir, `${name}.secrets`);
      writeFileSync(secrets, Object.entries(m.users).map(([u, p]) => `${u}:${p}\n`).join(''), { mode: 0o600 });
      chmodSync(secrets, 0o600);
      lines.push(`auth users = ${Object.keys(m.users).join(', ')}`, `secrets file = ${secrets}`, 'strict modes = yes');
    }
  }
  const file = join(dir, 'rsyncd.conf');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Resolves true once the daemon logs that it listens on `port`, false if it exits first. */
async function ready(child: ChildProcess, logFile: string, port: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited(child).then(() => (gone = true));
  while (Date.now() < deadline) {
    if (existsSync(logFile) && readFileSync(logFile, 'utf8').includes(`listening on port ${port}`)) return true;
    if (gone) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`rsync daemon did not start within ${timeoutMs} ms`);
}

/** Starts a daemon serving `modules`; its files live in `dir`. */
export async function startRsyncDaemon(dir: string, modules: Record<string, RsyncModule>): Promise<RsyncDaemon> {
  const logFile = join(dir, 'rsyncd.log');
  const config = writeConfig(dir, modules, logFile);
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn('rsync', ['--daemon', '--no-detach', `--config=${config}`, `--port=${port}`, '--address=127.0.0.1'], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    if (await ready(child, logFile, port)) {
      return {
        port,
        logFile,
        url: (module) => `rsync://127.0.0.1:${port}/${module}/`,
        stop: async () => {
          child.kill('SIGTERM');
          await exited(child);
        },
      };
    }
    // The port was taken between choosing and binding: try another.
  }
  throw new Error(`rsync daemon failed to start; see ${logFile}`);
}
