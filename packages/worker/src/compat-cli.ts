#!/usr/bin/env node
/**
 * bin `tunasync`: tunasync's own command line, `tunasync manager [flags]`
 * and `tunasync worker [flags]` (aliases `m`, `w`), so existing systemd
 * units and scripts keep working. `worker` runs this package's worker;
 * `manager` runs @tunasync/manager, an optional peer dependency, when it is
 * installed. Go-only flags (`--status-file`, `--prof-path`) are accepted
 * and ignored with a warning.
 */
import { errorMessage } from '@tunasync/core';
import { runWorkerCli } from './cli-main.js';

const USAGE = `usage: tunasync <command> [flags]

commands:
  manager, m   start the tunasync manager (needs @tunasync/manager)
  worker, w    start the tunasync worker

Run "tunasync <command> --help" for the flags of a command.
`;

/** Flags of tunasync's Go binary that have no meaning here; each takes a value. */
const IGNORED_FLAGS = ['--status-file', '--prof-path'];

function dropIgnored(args: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const flag = IGNORED_FLAGS.find((f) => a === f || a.startsWith(`${f}=`));
    if (!flag) {
      kept.push(a);
      continue;
    }
    process.stderr.write(`tunasync: ${flag} is a Go-only flag, ignored\n`);
    if (a === flag) i++;
  }
  return kept;
}

interface ManagerModule {
  runManagerCli(args: string[], scriptName?: string): Promise<number>;
}

async function runManager(args: string[]): Promise<number> {
  // A variable specifier: @tunasync/manager is optional and not a build-time dependency.
  const specifier = '@tunasync/manager';
  let mod: ManagerModule;
  try {
    mod = (await import(specifier)) as ManagerModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write('tunasync manager: @tunasync/manager is not installed; install it with `npm i @tunasync/manager`\n');
      return 1;
    }
    throw err;
  }
  return mod.runManagerCli(args, 'tunasync manager');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'manager':
    case 'm':
      return runManager(dropIgnored(rest));
    case 'worker':
    case 'w':
      return runWorkerCli(dropIgnored(rest), 'tunasync worker');
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`tunasync: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tunasync: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
