import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ctlApi from '@tunasync/ctl';
import { CLI, PKG_DIR, cleanEnv, ctl, tempDir } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8')) as Record<string, unknown>;
const t = tempDir();
afterAll(() => t.cleanup());

describe('@tunasync/ctl packaging', () => {
  it('is an ESM package with the tunasynctl bin, typed exports, files, engines and a license', () => {
    expect(pkg.name).toBe('@tunasync/ctl');
    expect(ctlApi.PACKAGE_NAME).toBe(pkg.name);
    expect(pkg.type).toBe('module');
    expect(pkg.bin).toEqual({ tunasynctl: './bin/tunasynctl.js' });
    expect(pkg.exports).toMatchObject({ '.': { types: './dist/index.d.ts', import: './dist/index.js' } });
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'bin', 'README.md']));
    expect(pkg.engines).toEqual({ node: '>=20.19' });
    expect(pkg.license).toBe('GPL-3.0');
    // Runtime needs only core and yargs; the manager and worker are for tests.
    expect(Object.keys(pkg.dependencies as object).sort()).toEqual(['@tunasync/core', 'yargs']);
  });

  it('builds a bin that starts with a node shebang, and a README', () => {
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(readFileSync(join(PKG_DIR, 'README.md'), 'utf8')).toMatch(/tunasynctl list/);
  });

  it('exports the client, the commands and the template engine', () => {
    for (const name of ['createManagerClient', 'listCommand', 'workersCommand', 'jobCommand', 'setSizeCommand', 'flushCommand', 'compileFormat', 'jobsTable', 'resolveConnection', 'ManagerRequestError', 'historyCommand', 'runsTable', 'runRecordValue', 'mirrorCommand', 'parseMirrorView']) {
      expect(typeof (ctlApi as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('--help lists every command and --version prints the package version', async () => {
    const env = cleanEnv(t.dir);
    const help = await ctl(['--help'], env);
    expect(help.code).toBe(0);
    for (const cmd of ['list', 'history', 'mirror', 'workers', 'rm-worker', 'set-size', 'flush', 'start', 'stop', 'disable', 'restart', 'ping', 'reload', 'completion']) {
      expect(help.stdout).toMatch(new RegExp(`tunasynctl ${cmd}\\b`));
    }
    const version = await ctl(['--version'], env);
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});
