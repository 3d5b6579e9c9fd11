#!/usr/bin/env node
/**
 * bin `tunasynctl`: tunasync's command line (same commands, flags, output
 * and exit status), plus tokens, tables at a terminal, globs and `-w` only
 * where needed, `watch`, `set-status` and shell completion.
 * This file only declares the flags; the work is in the library functions.
 */
import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { historyCommand, parseLimit, HISTORY_MAX_LIMIT } from './commands/history.js';
import { staleCommand } from './commands/stale.js';
import { jobVerbCommand } from './commands/job-targets.js';
import { workerOf } from './targets.js';
import { UsageError } from './errors.js';
import { listCommand, type OutputMode } from './commands/list.js';
import { MAINTENANCE_ACTIONS, maintenanceCommand } from './commands/maintenance.js';
import { commandAndWait, logsCommand, parseTail } from './commands/logs.js';
import { interruptSignal, logConnection } from './log-connection.js';
import { mirrorCommand } from './commands/mirror.js';
import { flushCommand, reloadCommand, setSizeCommand, type JobVerb } from './commands/jobs.js';
import { setStatusCommand } from './commands/set-status.js';
import { processTerminal, watchCommand } from './commands/watch.js';
import { removeWorkerCommand, workersCommand } from './commands/workers.js';
import { answerCompletion, selectCompletionShell } from './completion.js';
import { processIO } from './io.js';
import { chooseOutput } from './output.js';
import { EXIT_FAILURE, reportError, withManager, type CommonFlags } from './run.js';
import type { ConnectionSettings } from './settings.js';
import { escapeTerminalText } from './terminal-text.js';

const io = processIO();
let args: string[];
try {
  args = selectCompletionShell(hideBin(process.argv), process.env);
} catch (err) {
  process.exit(reportError(err, io));
}
// Mirror and worker names come from the manager, asynchronously: answered here, before yargs
// (whose own completion of commands and options is synchronous).
if (await answerCompletion(args, io)) {
  await new Promise((resolve) => process.stdout.write('', resolve));
  process.exit(0);
}
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const str = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));

/** The connection and logging flags, as the library wants them. */
function common(argv: Record<string, unknown>): CommonFlags {
  const flags: CommonFlags = { verbose: argv.verbose === true, debug: argv.debug === true };
  const set = <K extends keyof CommonFlags>(key: K, value: CommonFlags[K] | undefined): void => {
    if (value !== undefined) flags[key] = value;
  };
  set('config', str(argv.config));
  set('manager', str(argv.manager));
  set('port', argv.port === undefined ? undefined : Number(argv.port));
  set('caCert', str(argv['ca-cert']));
  set('clientCert', str(argv['client-cert']));
  set('clientKey', str(argv['client-key']));
  set('token', str(argv.token));
  return flags;
}

const worker = { alias: 'w', type: 'string', describe: 'the worker (its id)', demandOption: 'give the worker with -w WORKER' } as const;
const someWorker = { alias: 'w', type: 'string', describe: 'the worker (its id); default: the only worker that has the mirror' } as const;
const output = { alias: 'o', choices: ['json', 'table'], describe: 'table (default at a terminal) or json (default when piped: tunasync\'s)' } as const;

/**
 * `-o` as a listing command takes it: with `--format`, only the flag (they
 * clash); otherwise the flag, else TUNASYNCTL_OUTPUT / ctl.conf `output`,
 * else a table at a terminal and JSON when piped.
 */
function outputOf(argv: Record<string, unknown>, settings: ConnectionSettings): { output?: OutputMode } {
  const flag = argv.output as OutputMode | undefined;
  if (argv.format !== undefined) return flag !== undefined ? { output: flag } : {};
  return { output: chooseOutput(flag, settings.output, io) };
}

/** What `rm-worker` does to the jobs (manager DELETE /workers/:id keeps them, as tunasync's does). */
const RM_WORKER_NOTE = [
  'Removes the worker\'s registration. Its jobs are not removed: they stay in list --all',
  '(as in tunasync), and list WORKER no longer finds them; flush removes the disabled ones.',
  'To take the jobs off the manager too, first delete them from the worker\'s config and run',
  'reload -w WORKER (a tunasync-ts worker then deletes them from the manager), or disable',
  'them and flush. A tunasync-ts worker that is still running registers again at its next',
  'report: stop it first.',
].join('\n');

/** What `history --help` adds. */
const HISTORY_NOTE = [
  'Reads GET /jobs/:mirror/history (a tunasync-ts manager; tunasync\'s keeps no history).',
  'Template fields (-f): RunID Worker Mirror Trigger StartedAt EndedAt DurationS Result Attempts',
  'ExitCode ErrorMsg Size TransferredBytes FilesTransferred LogFile; a value the manager does not',
  'know is <nil>, EndedAt of a run in progress is the zero time.',
].join('\n');

/** `--wait` and `--quiet` of start and restart (commands/logs.ts). */
const WAIT_OPTIONS = {
  wait: { type: 'boolean', describe: 'follow the run the command started and exit with its result (0: success)' },
  quiet: { alias: 'q', type: 'boolean', describe: 'with --wait: do not print the log lines' },
} as const;

/** What `set-status --help` adds. */
const SET_STATUS_NOTE = [
  'Stamps the status as the worker\'s report would (last update on success, last ended) and',
  'adds a history row with trigger external (admin token). The worker does not overwrite it',
  'until its own next run. A job that is syncing now cannot be set (its run reports itself).',
].join('\n');

/** What `watch --help` adds. */
const WATCH_NOTE = [
  'Fed by the manager\'s GET /events; a manager without it (tunasync\'s) is polled. At a',
  'terminal, q or Ctrl-C leaves. Piped, one line per change: TIME MIRROR on WORKER: FROM -> TO.',
].join('\n');

async function run(argv: Record<string, unknown>, action: Parameters<typeof withManager>[2]): Promise<void> {
  process.exitCode = await withManager(common(argv), io, action);
}

/** What the job commands' help adds. */
const JOB_NOTE = [
  'MIRROR is a name or a shell-style glob (quote it: \'debian*\'); several may be given. Without',
  '-w, a mirror on exactly one worker is sent to it; a mirror on several workers stops the',
  'command, listing them. One line per job (debian: stopped on w1); exit 1 if any failed.',
  'tunasync\'s form keeps its output: -w WORKER MIRROR [ARGS] (ARGS: comma-separated, passed',
  'along, when it is not a job of WORKER).',
].join('\n');

function jobVerb(verb: JobVerb, describe: string) {
  return {
    command: `${verb} <mirrors..>`,
    describe,
    builder: (y: Argv) =>
      y
        .positional('mirrors', { type: 'string', array: true, describe: 'mirror names or globs' })
        .options({
          worker: someWorker,
          'dry-run': { type: 'boolean', describe: 'list what would be acted on, send nothing' },
          ...(verb === 'start' ? { force: { alias: 'f', type: 'boolean', describe: 'run past the worker\'s concurrency limit' } } : {}),
        })
        .options(verb === 'start' || verb === 'restart' ? WAIT_OPTIONS : {})
        .epilogue(JOB_NOTE),
    handler: (argv: Record<string, unknown>) =>
      run(argv, async (client) => {
        const words = ((argv.mirrors as unknown[] | undefined) ?? []).map(String);
        if (argv.wait === true && (verb === 'start' || verb === 'restart')) {
          // --wait follows one run: one mirror, its worker given or the only one it runs on.
          if (words.length !== 1 || /[*?[]/.test(words[0]!)) throw new UsageError('--wait takes exactly one mirror name (no globs)');
          const mirror = words[0]!;
          const worker = argv.worker !== undefined ? String(argv.worker) : await workerOf(client, mirror);
          const job = { worker, mirror, force: argv.force === true };
          return commandAndWait(client, logConnection(common(argv)), verb, job, { quiet: argv.quiet === true, signal: interruptSignal() }, io);
        }
        return jobVerbCommand(client, verb, {
          ...(argv.worker !== undefined ? { worker: String(argv.worker) } : {}),
          words,
          force: argv.force === true,
          dryRun: argv['dry-run'] === true,
        }, io);
      }),
  };
}

await yargs(args)
  .scriptName('tunasynctl')
  .usage('$0 <command> [options]\n\nControl client for the tunasync(-ts) manager.')
  .options({
    config: { alias: 'c', type: 'string', describe: 'read FILE after /etc/tunasync/ctl.conf and ~/.config/tunasync/ctl.conf' },
    manager: { alias: 'm', type: 'string', describe: 'manager address (default localhost)' },
    port: { alias: 'p', type: 'number', describe: 'manager port (default 14242)' },
    'ca-cert': { type: 'string', describe: 'trust this CA (PEM); https is used when set' },
    'client-cert': { type: 'string', describe: 'client certificate (PEM) for a manager that asks for one' },
    'client-key': { type: 'string', describe: 'key of --client-cert (PEM)' },
    token: { type: 'string', describe: 'bearer token (default: $TUNASYNC_TOKEN, then token in ctl.conf)' },
    verbose: { alias: 'v', type: 'boolean', describe: 'say which config files and address are used' },
    debug: { type: 'boolean', describe: 'trace requests; stack traces on errors' },
  })
  .command(
    'list [workers..]',
    'List jobs of workers',
    (y) =>
      y.positional('workers', { type: 'string', array: true, describe: 'worker ids' }).options({
        all: { alias: 'a', type: 'boolean', describe: 'list all jobs of all workers' },
        status: { alias: 's', type: 'string', describe: 'keep only these statuses (comma-separated)' },
        format: { alias: 'f', type: 'string', describe: 'Go template per job, e.g. "{{.Name}} {{.Status}}"' },
        output,
      }),
    (argv) =>
      run(argv, (client, settings) =>
        listCommand(client, {
          all: argv.all === true,
          workers: (argv.workers ?? []).map(String),
          ...(argv.status !== undefined ? { status: argv.status } : {}),
          ...(argv.format !== undefined ? { format: argv.format } : {}),
          ...outputOf(argv, settings),
        }, io),
      ),
  )
  .command(
    'workers',
    'List workers',
    (y) => y.options({ format: { alias: 'f', type: 'string', describe: 'Go template per worker, e.g. "{{.ID}} {{.URL}}"' }, output }),
    (argv) =>
      run(argv, (client, settings) =>
        workersCommand(client, { ...(argv.format !== undefined ? { format: argv.format } : {}), ...outputOf(argv, settings) }, io),
      ),
  )
  .command(
    'history <mirror>',
    'Show a mirror\'s past runs, newest first',
    (y) =>
      y
        .positional('mirror', { type: 'string', describe: 'the mirror (job name)' })
        .options({
          worker: { alias: 'w', type: 'string', describe: 'only this worker\'s runs' },
          limit: { alias: 'n', type: 'string', describe: `at most N runs (default 20, at most ${HISTORY_MAX_LIMIT})` },
          failed: { type: 'boolean', describe: 'only failed runs' },
          before: { type: 'string', describe: 'only runs older than this one (its full run id, as in -o json): the next page' },
          format: { alias: 'f', type: 'string', describe: 'Go template per run, e.g. "{{.RunID}} {{.Result}} {{.DurationS}}"' },
          output: { ...output, describe: 'table (default on a terminal) or json (default when piped: the manager\'s rows)' },
        })
        .epilogue(HISTORY_NOTE),
    (argv) =>
      run(argv, (client, settings) =>
        historyCommand(client, {
          mirror: String(argv.mirror),
          ...(argv.worker !== undefined ? { worker: String(argv.worker) } : {}),
          ...(argv.limit !== undefined ? { limit: parseLimit(String(argv.limit)) } : {}),
          failed: argv.failed === true,
          ...(argv.before !== undefined ? { before: String(argv.before) } : {}),
          ...(argv.format !== undefined ? { format: argv.format } : {}),
          ...outputOf(argv, settings),
        }, io),
      ),
  )
  .command(
    'mirror <mirror>',
    'Show a mirror: its status on each worker, last run and run stats',
    (y) =>
      y
        .positional('mirror', { type: 'string', describe: 'the mirror (job name)' })
        .options({ output: { ...output, describe: 'table (default on a terminal) or json (default when piped: the manager\'s answer)' } }),
    (argv) =>
      run(argv, (client, settings) => mirrorCommand(client, { mirror: String(argv.mirror), ...outputOf(argv, settings) }, io)),
  )
  .command(
    'stale',
    'List stale mirrors (last success older than stale_after, or 2 x interval + 6h); exit 1 when any',
    (y) => y.options({ output: { alias: 'o', choices: ['json', 'lines'], describe: 'lines (default on a terminal) or json (default when piped)' } }),
    async (argv) => {
      let stale = 0;
      await run(argv, async (client) => {
        stale = await staleCommand(client, argv.output !== undefined ? { output: argv.output as 'json' | 'lines' } : {}, io);
      });
      if (stale > 0 && !process.exitCode) process.exitCode = EXIT_FAILURE;
    },
  )
  .command(
    'maintenance <action>',
    'Maintenance mode: on (--message MESSAGE [--until TIME]), off or status',
    (y) =>
      y.positional('action', { type: 'string', choices: MAINTENANCE_ACTIONS, describe: 'on, off or status' }).options({
        // -m is tunasynctl's --manager (tunasync's flag), so the message is -M.
        message: { alias: 'M', type: 'string', describe: 'why (shown by GET /maintenance); required with on' },
        until: { type: 'string', describe: 'when it ends by itself: RFC 3339 or a duration from now (90m, 2h, 1d)' },
        output: { alias: 'o', choices: ['json', 'text'], describe: 'text (default) or json (the manager\'s answer)' },
      }),
    (argv) =>
      run(argv, (client) =>
        maintenanceCommand(client, {
          action: String(argv.action),
          ...(argv.message !== undefined ? { message: String(argv.message) } : {}),
          ...(argv.until !== undefined ? { until: String(argv.until) } : {}),
          json: argv.output === 'json',
        }, io),
      ),
  )
  .command(
    'logs <mirror>',
    'Print a mirror\'s log (the current or a past run); -f follows the current run',
    (y) =>
      y.positional('mirror', { type: 'string', describe: 'the mirror (job name)' }).options({
        worker: { alias: 'w', type: 'string', describe: 'the worker (needed when the mirror runs on several)' },
        follow: { alias: 'f', type: 'boolean', describe: 'follow the current run until it ends; exit 0 on success, 1 otherwise' },
        tail: { type: 'string', describe: 'only the last N lines (with -f: shown first, default 10)' },
        run: { type: 'string', describe: 'that run\'s log (a run id from history)' },
        failed: { type: 'boolean', describe: 'the last failed run\'s log' },
      }),
    (argv) =>
      run(argv, () =>
        logsCommand(logConnection(common(argv)), {
          mirror: String(argv.mirror),
          ...(argv.worker !== undefined ? { worker: String(argv.worker) } : {}),
          ...(argv.tail !== undefined ? { tail: parseTail(String(argv.tail)) } : {}),
          ...(argv.run !== undefined ? { run: String(argv.run) } : {}),
          follow: argv.follow === true,
          failed: argv.failed === true,
          signal: interruptSignal(),
        }, io),
      ),
  )
  .command(
    'rm-worker',
    'Remove a worker from the manager (its jobs stay listed)',
    (y) => y.options({ worker }).epilogue(RM_WORKER_NOTE),
    (argv) => run(argv, (client) => removeWorkerCommand(client, argv.worker, io)),
  )
  .command(
    'set-size <mirror> <size>',
    'Set a mirror\'s size',
    (y) => y.positional('mirror', { type: 'string' }).positional('size', { type: 'string', describe: 'e.g. 23.4G' }).options({ worker: someWorker }),
    (argv) =>
      run(argv, (client) =>
        setSizeCommand(client, { ...(argv.worker !== undefined ? { worker: String(argv.worker) } : {}), mirror: String(argv.mirror), size: String(argv.size) }, io),
      ),
  )
  .command(
    'set-status <mirror> <status>',
    'Record a run done outside the worker (synced by hand): success or failed',
    (y) =>
      y
        .positional('mirror', { type: 'string', describe: 'the mirror (job name)' })
        .positional('status', { type: 'string', choices: ['success', 'failed'] })
        .options({
          worker: someWorker,
          at: { type: 'string', describe: 'when it ended: RFC 3339 or "YYYY-MM-DD HH:MM" (local); default now' },
          size: { type: 'string', describe: 'the mirror\'s size after it, e.g. 23.4G' },
          message: { type: 'string', describe: 'a note kept in the history (the error of a failed run)' },
        })
        .epilogue(SET_STATUS_NOTE),
    (argv) =>
      run(argv, (client) =>
        setStatusCommand(client, {
          ...(argv.worker !== undefined ? { worker: String(argv.worker) } : {}),
          mirror: String(argv.mirror),
          status: String(argv.status),
          ...(argv.at !== undefined ? { at: String(argv.at) } : {}),
          ...(argv.size !== undefined ? { size: String(argv.size) } : {}),
          ...(argv.message !== undefined ? { message: String(argv.message) } : {}),
        }, io),
      ),
  )
  .command(
    'watch [globs..]',
    'Watch the jobs live: status counts and every job, changes marked (q quits)',
    (y) =>
      y
        .positional('globs', { type: 'string', array: true, describe: 'only mirrors matching these globs' })
        .options({
          status: { alias: 's', type: 'string', describe: 'only these statuses (comma-separated)' },
          interval: { type: 'number', describe: 'seconds between polls when the manager has no /events (default 2)' },
        })
        .epilogue(WATCH_NOTE),
    (argv) =>
      run(argv, (client) =>
        watchCommand(client, {
          globs: (argv.globs ?? []).map(String),
          ...(argv.status !== undefined ? { status: argv.status } : {}),
          ...(argv.interval !== undefined ? { pollMs: Math.round(Number(argv.interval) * 1000) } : {}),
        }, io, processTerminal(), interruptSignal()),
      ),
  )
  .command('flush', 'Flush disabled jobs', {}, (argv) => run(argv, (client) => flushCommand(client, io)))
  .command(jobVerb('start', 'Start jobs now (names or globs)'))
  .command(jobVerb('stop', 'Stop jobs and pause them'))
  .command(jobVerb('disable', 'Disable jobs'))
  .command(jobVerb('restart', 'Restart jobs'))
  .command(jobVerb('ping', 'Check that a job is alive'))
  .command('reload', 'Tell a worker to reload its configuration', (y) => y.options({ worker }), (argv) => run(argv, (client) => reloadCommand(client, argv.worker, io)))
  .completion('completion', 'Print a completion script: completion [bash|zsh|fish]')
  .demandCommand(1, 'name a command')
  .recommendCommands()
  .strict()
  .help()
  .alias('help', 'h')
  .version(pkg.version)
  .wrap(Math.min(100, process.stdout.columns || 100))
  .fail((message, err) => {
    if (err) process.exit(reportError(err, io, args.includes('--debug')));
    const command = args.find((a) => !a.startsWith('-'));
    const known = ['list', 'history', 'logs', 'mirror', 'stale', 'maintenance', 'workers', 'rm-worker', 'set-size', 'set-status', 'watch', 'flush', 'start', 'stop', 'disable', 'restart', 'ping', 'reload'];
    io.err(`tunasynctl: ${escapeTerminalText(message.replace(/\s*\n\s*/g, ' '))} (see tunasynctl ${command && known.includes(command) ? `${command} ` : ''}--help)\n`);
    process.exit(EXIT_FAILURE);
  })
  .parseAsync();
