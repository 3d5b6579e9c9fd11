#!/usr/bin/env node
// `npm start`: install what is missing, build, and run the system on embedded defaults.
// Placeholder stage: the manager and worker daemons are not built yet, so this installs,
// builds and reports which daemons exist.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

if (!existsSync(join(root, 'node_modules'))) run('npm', ['install', '--no-audit', '--no-fund']);
run('npx', ['tsc', '-b']);

const daemons = [
  ['tunasync-manager', 'packages/manager/dist/cli.js'],
  ['tunasync-worker', 'packages/worker/dist/cli.js'],
];
for (const [name, file] of daemons) {
  console.log(`${name}: ${existsSync(join(root, file)) ? 'built' : 'not written yet'}`);
}
console.log('The demo (manager + worker mirroring a sample tree) arrives with the issue "Quick start, examples, packaging".');
