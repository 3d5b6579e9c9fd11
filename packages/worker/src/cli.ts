#!/usr/bin/env node
/**
 * `tunasync-worker`: parses flags and runs the worker (or, with --dry-run,
 * only validates the config and lists its jobs).
 */
import { writeFileSync, rmSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, createLogger, errorMessage, loadWorkerConfig } from '@tunasync/core';
import { dryRun } from './dry-run.js';
import { createWorker } from './worker.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('tunasync-worker')
  .usage('$0 -c worker.conf [options]')
  .option('config', { alias: 'c', type: 'string', default: '/etc/tunasync/worker.conf', describe: 'worker.conf to load' })
  .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'log more' })
  .option('debug', { type: 'boolean', default: false, describe: 'log everything' })
  .option('with-systemd', { type: 'boolean', default: false, describe: 'log without timestamps, for journald' })
  .option('pidfile', { type: 'string', describe: 'write the process id to this file' })
  .option('dry-run', { type: 'boolean', default: false, describe: 'validate the config, list the jobs, start nothing' })
  .strict()
  .help()
  .parseSync();

async function main(): Promise<number> {
  if (argv['dry-run']) {
    const r = dryRun(argv.config);
    for (const l of r.lines) process.stdout.write(`${l}\n`);
    for (const e of r.errors) process.stderr.write(`${e}\n`);
    return r.exitCode;
  }
  const logger = createLogger({ name: 'worker', verbose: argv.verbose, debug: argv.debug, systemd: argv['with-systemd'] });
  let loaded;
  try {
    loaded = loadWorkerConfig(argv.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tunasync-worker: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  for (const w of loaded.warnings) logger.warn(w);
  const worker = await createWorker({ config: loaded.config, logger });
  if (argv.pidfile) writeFileSync(argv.pidfile, `${process.pid}\n`);
  await worker.start();
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading config');
    worker.reload().catch(() => undefined);
  });
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      logger.info(`${sig}: stopping jobs`);
      setTimeout(() => process.exit(1), 10_000).unref();
      worker.halt().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  if (argv.pidfile) rmSync(argv.pidfile, { force: true });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tunasync-worker: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
