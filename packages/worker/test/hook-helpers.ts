/**
 * Helpers for the isolation and snapshot hook tests: stub `docker`,
 * `mountpoint` and `btrfs` executables that record their argv, and jobs
 * built the way the worker builds them; a logger that keeps its lines,
 * `until` and a real manager come from @tunasync/testkit.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWorkerConfig, systemClock, type Logger, type WorkerConfig } from '@tunasync/core';
import { startTestManager as startKitManager, type TestManager } from '@tunasync/testkit';
import { ConcurrencySlots, MirrorJob, createProvider, prepareHooks, type HookSet, type HookSetOptions } from '@tunasync/worker';

const SEP = '\x1f';

/** Shell lines that append the stub's argv (fields separated by 0x1f) to `$here/calls`. */
const RECORD = `here=$(cd "$(dirname "$0")" && pwd)\n{ for a in "$@"; do printf '%s\\037' "$a"; done; printf '\\n'; } >> "$here/calls.$(basename "$0")"\n`;

/**
 * `docker`: `run` records, writes its pid to `<name>.pid` and execs the
 * command locally in the `-w` directory (the "container"); `stop -t 2 NAME`
 * sends SIGTERM to it; `ps -a --filter name=^NAME$` prints a status while it
 * runs, or always when a `stuck` file exists.
 */
const DOCKER = `#!/bin/sh
${RECORD}
cmd=$1; shift
case "$cmd" in
run)
  name=""; wd=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --rm) shift ;;
      --name) name=$2; shift 2 ;;
      -w) wd=$2; shift 2 ;;
      -a|-v|-e|-m|-u) shift 2 ;;
      --*) shift ;;
      *) break ;;
    esac
  done
  shift
  echo $$ > "$here/$name.pid"
  cd "$wd" || exit 125
  exec "$@"
  ;;
stop)
  pid=$(cat "$here/$3.pid" 2>/dev/null) && kill -TERM "$pid" 2>/dev/null
  echo "$3"
  ;;
ps)
  if [ -f "$here/stuck" ]; then echo "Exited (0) 2 seconds ago"; exit 0; fi
  name=\${3#name=^}; name=\${name%\\$}
  pid=$(cat "$here/$name.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo "Up 1 second"
  exit 0
  ;;
esac
`;

/** `mountpoint -q DIR`: true when DIR is a line of `mounts`. */
const MOUNTPOINT = `#!/bin/sh
${RECORD}
grep -qxF "$2" "$here/mounts" 2>/dev/null
`;

/**
 * `btrfs subvolume create|show|delete|snapshot`, over plain directories;
 * the subvolumes are the lines of `subvolumes`.
 */
const BTRFS = `#!/bin/sh
${RECORD}
list="$here/subvolumes"; touch "$list"
case "$2" in
create) mkdir "$3" && echo "$3" >> "$list" && echo "Create subvolume '$3'" ;;
show)
  if grep -qxF "$3" "$list"; then echo "$3"; echo "	Name: $(basename "$3")"; else echo "ERROR: Not a Btrfs subvolume: Invalid argument" >&2; exit 1; fi ;;
delete)
  grep -qxF "$3" "$list" || { echo "ERROR: Not a Btrfs subvolume" >&2; exit 1; }
  rm -rf "$3" && grep -vxF "$3" "$list" > "$list.new"; mv "$list.new" "$list"; echo "Delete subvolume (no-commit): '$3'" ;;
snapshot) cp -a "$3" "$4" && echo "$4" >> "$list" && echo "Create a snapshot of '$3' in '$4'" ;;
*) echo "stub btrfs: unsupported $*" >&2; exit 2 ;;
esac
`;

const STUBS = { docker: DOCKER, mountpoint: MOUNTPOINT, btrfs: BTRFS } as const;

/** Writes the stub executables into `<dir>/bin`; returns that directory and a PATH with it first. */
export function installStubs(dir: string, which: (keyof typeof STUBS)[]): { bin: string; path: string } {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const name of which) {
    writeFileSync(join(bin, name), STUBS[name]);
    chmodSync(join(bin, name), 0o755);
  }
  return { bin, path: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
}

/** The argv (without the program) of every call of stub `name`, in order. */
export function stubCalls(bin: string, name: string): string[][] {
  const file = join(bin, `calls.${name}`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(SEP).slice(0, -1));
}

export { captureLogger, until } from '@tunasync/testkit';

/** A worker config from TOML sections and mirrors, rooted at `dir`. */
export function hookConfig(dir: string, body: string, globalExtra = ''): WorkerConfig {
  const text = `[global]\nname = "w1"\nlog_dir = "${dir}/log/{{.Name}}"\nmirror_dir = "${dir}/data"\nretry = 1\n${globalExtra}\n${body}`;
  return parseWorkerConfig(text, join(dir, 'worker.conf')).config;
}

/** The jobs of a config, with the hooks prepareHooks gives them, as the worker builds them. */
export async function hookedJobs(
  config: WorkerConfig,
  logger: Logger,
  options: HookSetOptions = {},
): Promise<{ jobs: Map<string, MirrorJob>; hooks: HookSet }> {
  const hooks = await prepareHooks(config, logger, options);
  const slots = new ConcurrencySlots(4);
  const jobs = new Map<string, MirrorJob>();
  for (const m of config.mirrors) {
    jobs.set(
      m.name,
      new MirrorJob({ mirror: m, provider: await createProvider(m), hooks: hooks.hooksFor(m), slots, logger, clock: systemClock, graceMs: 500 }),
    );
  }
  return { jobs, hooks };
}

/** A real manager (SQLite on `dbFile`) on 127.0.0.1, port 0. */
export function startTestManager(dbFile: string): Promise<TestManager> {
  return startKitManager({ dbFile });
}
