/**
 * The manager's command line: tunasync's manager flags, then startManager.
 * On SIGTERM/SIGINT it stops accepting, finishes in-flight requests, closes
 * the store and resolves 0. Used by bin `tunasync-manager` and by the
 * compatibility bin `tunasync manager`.
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import yargs from 'yargs';
import { createLogger, errorMessage, loadManagerConfig, type ManagerOverrides } from '@tunasync/core';
import { startManager } from './server.js';
import { redactDbUrl } from './store/open-store.js';

/** Runs the manager with command-line `args` (without node and script); resolves the exit code once it has stopped. */
export async function runManagerCli(args: string[], scriptName = 'tunasync-manager'): Promise<number> {
  // `tunasync-manager import --from URL`: moving a site over from a running tunasync manager.
  if (args[0] === 'import') return (await import('./import.js')).runImportCli(args.slice(1), scriptName);
  const argv = await yargs(args)
    .scriptName(scriptName)
    .usage(
      '$0 [options]\n$0 import --from URL [--token T] [-c manager.conf]\n\n' +
        'The tunasync-ts manager: workers report to it, tunasynctl and status pages read from it.',
    )
    .options({
      config: { alias: 'c', type: 'string', describe: 'manager.conf (TOML)' },
      addr: { type: 'string', describe: 'listen address (default 127.0.0.1)' },
      port: { type: 'number', describe: 'listen port (default 14242)' },
      cert: { type: 'string', describe: 'TLS certificate file (PEM)' },
      key: { type: 'string', describe: 'TLS key file (PEM)' },
      'db-file': { type: 'string', describe: 'database file' },
      'db-type': { type: 'string', describe: 'database type: sqlite (default), postgres or redis' },
      verbose: { alias: 'v', type: 'boolean', default: false, describe: 'verbose logging (each schedules update, each command forwarded)' },
      debug: { type: 'boolean', default: false, describe: 'debug logging' },
      'with-systemd': { type: 'boolean', default: false, describe: 'log for journald (no timestamps)' },
      pidfile: { type: 'string', describe: 'write the process id to this file' },
    })
    .check((a) => {
      if (a.port !== undefined && !(Number.isInteger(a.port) && a.port >= 0 && a.port <= 65535)) {
        throw new Error(`--port must be an integer from 0 to 65535, got ${String(a.port)}`);
      }
      return true;
    })
    .strict()
    .version()
    .help()
    .parseAsync();

  const overrides: ManagerOverrides = {
    ...(argv.addr !== undefined ? { addr: argv.addr } : {}),
    ...(argv.port !== undefined ? { port: argv.port } : {}),
    ...(argv.cert !== undefined ? { sslCert: argv.cert } : {}),
    ...(argv.key !== undefined ? { sslKey: argv.key } : {}),
    ...(argv['db-file'] !== undefined ? { dbFile: argv['db-file'] } : {}),
    ...(argv['db-type'] !== undefined ? { dbType: argv['db-type'] } : {}),
    ...(argv.debug ? { debug: true } : {}),
  };

  const bootLogger = createLogger({ systemd: argv['with-systemd'], name: 'manager' });
  let loaded;
  try {
    loaded = loadManagerConfig(argv.config, overrides);
  } catch (err) {
    bootLogger.error(errorMessage(err));
    return 1;
  }
  const { config, warnings } = loaded;
  const logger = createLogger({ verbose: argv.verbose, debug: config.debug, systemd: argv['with-systemd'], name: 'manager' });
  for (const w of warnings) logger.warn(w);
  const limits = config.limits ? `, at most ${config.limits.maxWorkers} workers and ${config.limits.maxJobsPerWorker} jobs per worker` : '';
  logger.verbose(`config ${config.file ?? '<defaults>'}: store ${config.files.dbType} ${redactDbUrl(config.files.dbFile)}${limits}`);

  let manager;
  try {
    manager = await startManager(config, { logger });
  } catch (err) {
    logger.error(`cannot start: ${errorMessage(err)}`);
    return 1;
  }
  const pidfile = argv.pidfile;
  if (pidfile) writeFileSync(pidfile, `${process.pid}\n`);

  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  // A second signal while closing is ignored (the first one is being handled).
  const ignore = (): void => {};
  process.on('SIGTERM', ignore).on('SIGINT', ignore);
  logger.info(`${signal} received, shutting down`);
  try {
    await manager.close();
  } catch (err) {
    logger.error(`shutdown failed: ${errorMessage(err)}`);
    return 1;
  }
  if (pidfile) {
    try {
      unlinkSync(pidfile);
    } catch {
      // already gone
    }
  }
  return 0;
}
