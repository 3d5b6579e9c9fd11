#!/usr/bin/env node
// `npm test`: works as the first command on a fresh clone. Stops at once,
// with one line, when Node is too old or a program the tests run (rsync,
// openssl, chromium, redis-server, promtool, script, PostgreSQL's initdb) is missing; installs the dependencies when they are missing;
// builds; type-checks the tests; runs jest with the arguments given
// (`npm test -- --json --outputFile=results.json`, `npm test -- packages/ctl`).
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { installAndBuild, requireNode, requirePrograms, root, run } from './bootstrap.mjs';

requireNode('npm test');
requirePrograms('npm test', [
  'rsync',
  'openssl',
  'chromium',
  'redis-server',
  ['promtool', 'prometheus'],
  ['script', 'bsdutils'],
  [`${process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'}/initdb`, 'postgresql'],
]);
installAndBuild();
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.jest.json']);
const nodeOptions = [process.env.NODE_OPTIONS, '--experimental-vm-modules'].filter(Boolean).join(' ');
const jest = spawnSync(process.execPath, [join(root, 'node_modules', 'jest', 'bin', 'jest.js'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: nodeOptions },
});
process.exit(jest.status ?? 1);
