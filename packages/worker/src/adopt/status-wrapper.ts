/**
 * The exit status wrapper: a provider command runs as
 * `/bin/sh -c WRAPPER tunasync-run <status file> <argv…>`. The shell leads
 * the command's process group (the worker starts it detached, output going
 * straight to the log as before), waits for the command, writes its exit
 * status to the status file (whole, by rename) and exits with it; a command
 * killed by a signal makes the shell kill itself with the same signal, so
 * the worker that waits sees what it saw without the wrapper. The shell
 * outlives a SIGTERM sent to the group (a stop, a timeout) until the
 * command has ended, so a command that exits on SIGTERM with a code of its
 * own (`timeout`'s 124) is seen with that code; the command itself gets
 * SIGTERM as before (a trap with an action is not inherited). SIGKILL ends
 * the shell at once: no status. With no worker waiting (a restart), the
 * next worker reads the status file.
 */
import type { CommandSpec } from '@tunasync/core';

/** The wrapper script ($1: status file, the rest: the command). */
export const STATUS_WRAPPER =
  'f=$1; shift; trap : TERM; "$@"; s=$?; echo $s > "$f.tmp" && mv "$f.tmp" "$f"; if [ $s -gt 128 ]; then trap - TERM; kill -$((s - 128)) $$; fi; exit $s';

/** `spec` run through the wrapper, its exit status going to `statusFile`. */
export function withExitStatusFile(spec: CommandSpec, statusFile: string): CommandSpec {
  return { ...spec, argv: ['/bin/sh', '-c', STATUS_WRAPPER, 'tunasync-run', statusFile, ...spec.argv] };
}
