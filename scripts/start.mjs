#!/usr/bin/env node
// `npm start`: install what is missing, build, and run a small real system:
// a manager on 127.0.0.1 keeping its SQLite file in the demo's state
// directory, and a worker on examples/demo/worker.conf that mirrors the
// bundled sample tree with rsync and runs a `command` job. Prints where to
// look; Ctrl-C stops the worker, then the manager, and waits for both.
//
// Environment: TUNASYNC_DEMO_PORT (manager port, default 14242),
// TUNASYNC_DEMO_STATE_DIR (default .state/demo in the repository).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { installAndBuild, onPath, requireNode, root } from './bootstrap.mjs';

requireNode('npm start');
installAndBuild();

const port = Number(process.env.TUNASYNC_DEMO_PORT || 14242);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`TUNASYNC_DEMO_PORT must be a port number, got ${JSON.stringify(process.env.TUNASYNC_DEMO_PORT)}`);
  process.exit(1);
}
const state = resolve(root, process.env.TUNASYNC_DEMO_STATE_DIR || join('.state', 'demo'));
mkdirSync(state, { recursive: true });

// The committed config is written for the repository root; make its paths
// absolute and apply the port (see the header of examples/demo/worker.conf).
const workerConf = join(state, 'worker.conf');
const template = readFileSync(join(root, 'examples', 'demo', 'worker.conf'), 'utf8');
writeFileSync(
  workerConf,
  template
    .replaceAll('".state/demo', JSON.stringify(state).slice(0, -1))
    .replaceAll('"examples/demo/', JSON.stringify(`${join(root, 'examples', 'demo')}/`).slice(0, -1))
    .replaceAll('127.0.0.1:14242', `127.0.0.1:${port}`),
);

const base = `http://127.0.0.1:${port}`;
const children = [];
let stopping = false;

/** Starts a bin in its own process group, so Ctrl-C reaches only this script, which stops them in order. */
function start(name, script, args) {
  const child = spawn(process.execPath, [join(root, script), ...args], { cwd: state, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  child.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  child.exited.then(({ code, signal }) => {
    if (!stopping) {
      console.error(`demo: ${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

/** Stops the worker first (it reports its aborted jobs), then the manager. */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of [...children].reverse()) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await child.exited;
  }
  console.log('demo stopped');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));
// Should this script die another way, the daemons must not outlive it.
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGTERM')));

const manager = start('manager', 'packages/manager/dist/cli.js', ['--addr', '127.0.0.1', '--port', String(port), '--db-file', join(state, 'manager.db')]);
const deadline = Date.now() + 20_000;
for (;;) {
  const up = await fetch(`${base}/ping`).then((r) => r.ok, () => false);
  if (up || stopping) break;
  if (Date.now() > deadline) {
    console.error(`demo: the manager did not answer on ${base} (is the port taken? set TUNASYNC_DEMO_PORT)`);
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}
const worker = start('worker', 'packages/worker/dist/cli.js', ['-c', workerConf]);

const hasRsync = onPath('rsync');
console.log(`
tunasync-ts demo is running. Ctrl-C stops it.
  manager  ${base}  (pid ${manager.pid}; SQLite file ${join(state, 'manager.db')})
  worker   ${workerConf}  (pid ${worker.pid}; from examples/demo/worker.conf)
  status   npx tunasynctl list --all -m 127.0.0.1 -p ${port}
           curl ${base}/jobs
  mirrors  ${join(state, 'mirrors')}
  logs     ${join(state, 'log')}  (each job's last run: log/<job>/latest)
${hasRsync ? '' : '  note     rsync is not installed (apt-get install rsync): the "sample" job will fail and say so in its log\n'}`);
