// What `npm start` and `npm test` do first on any checkout, a fresh clone
// included: check the Node version and the system programs needed, install
// the dependencies when they are missing, build.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a program in the repository root, its output to ours; throws when it fails. */
export const run = (cmd, args, env = process.env) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env });

/** True when `name` is an executable file in a PATH directory. */
export function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, name)));
}

/** Stops with one line when Node is older than the engines range (>= 20.19). */
export function requireNode(what) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) stop(`${what}: Node ${process.versions.node} is too old; tunasync-ts needs Node >= 20.19 (https://nodejs.org/)`);
}

/** Stops with one line naming the first missing program and how to install it (Debian/Ubuntu package = program name). */
export function requirePrograms(what, programs) {
  // An entry is a program on PATH, or [program or absolute path, the Debian package that has it].
  const missing = programs.map((p) => (Array.isArray(p) ? p : [p, p])).find(([p]) => !(p.startsWith('/') ? existsSync(p) : onPath(p)));
  if (missing) stop(`${what}: \`${missing[0]}\` is not installed and the tests need it; install it first (Debian/Ubuntu: apt-get install -y ${missing[1]})`);
}

/** Installs the dependencies when node_modules is missing, then builds every package (tsc -b). */
export function installAndBuild() {
  if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) run('npm', ['install', '--no-audit', '--no-fund']);
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']);
}

function stop(line) {
  console.error(line);
  process.exit(1);
}
