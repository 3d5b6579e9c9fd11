/**
 * The worker's command line: parses flags and runs the worker (or, with
 * --dry-run, only validates the config and lists its jobs). Used by bin
 * `tunasync-worker` and by the compatibility bin `tunasync worker`.
 */
import { rmSync, writeFileSync } from 'node:fs';
import yargs from 'yargs';
import { ConfigError, createLogger, loadWorkerConfig, type Logger } from '@tunasync/core';
import { dryRun } from './dry-run.js';
import { createWorker, type Worker } from './worker.js';

/** Runs the worker with command-line `args` (without node and script); resolves the exit code once it has stopped. */
export async function runWorkerCli(args: string[], scriptName = 'tunasync-worker'): Promise<number> {
  const argv = await yargs(args)
    .scriptName(scriptName)
    .usage('$0 -c worker.conf [options]')
    .option('config', { alias: 'c', type: 'string', default: '/etc/tunasync/worker.conf', describe: 'worker.conf to load' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'log more' })
    .option('debug', { type: 'boolean', default: false, describe: 'log everything' })
    .option('with-systemd', { type: 'boolean', default: false, describe: 'log without timestamps, for journald' })
    .option('pidfile', { type: 'string', describe: 'write the process id to this file' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'validate the config, list the jobs, start nothing' })
    .strict()
    .version()
    .help()
    .parseAsync();

  if (argv['dry-run']) {
    const r = await dryRun(argv.config);
    for (const l of r.lines) process.stdout.write(`${l}\n`);
    for (const e of r.errors) process.stderr.write(`${e}\n`);
    return r.exitCode;
  }
  const logger = createLogger({ name: 'worker', verbose: argv.verbose, debug: argv.debug, systemd: argv['with-systemd'] });
  // createWorker runs checkWorkerConfig, the check --dry-run runs.
  let worker: Worker;
  try {
    worker = await load(argv.config, logger);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${scriptName}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (argv.pidfile) writeFileSync(argv.pidfile, `${process.pid}\n`);
  // Listening before start: a signal while starting (adopting syncs, waiting for a manager) halts
  // the worker once started, instead of killing it with its syncs unaccounted for.
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  await worker.start();
  const onHup = (): void => {
    logger.info('SIGHUP: reloading config');
    worker.reload().catch(() => undefined);
  };
  process.on('SIGHUP', onHup);
  const signal = await signalled;
  process.off('SIGHUP', onHup);
  // A second signal while halting is ignored; the watchdog below bounds the wait.
  const ignore = (): void => {};
  process.on('SIGTERM', ignore).on('SIGINT', ignore);
  logger.info(`${signal}: stopping jobs`);
  // Jobs get their grace period; a worker that still hangs is not kept alive by us.
  setTimeout(() => process.exit(1), 10_000).unref();
  // SIGTERM (systemctl stop/restart) keeps running syncs when keep_syncs_on_restart is on; SIGINT always stops them.
  await worker.halt({ terminate: signal === 'SIGTERM' }).catch(() => undefined);
  if (argv.pidfile) rmSync(argv.pidfile, { force: true });
  return 0;
}

async function load(file: string, logger: Logger): Promise<Worker> {
  const loaded = loadWorkerConfig(file);
  for (const w of loaded.warnings) logger.warn(w);
  return createWorker({ config: loaded.config, logger });
}
