#!/usr/bin/env node
// bin `tunasync-certs`. npm links bins at install time, before a fresh clone is built: run the built CLI, or say how to build it.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('tunasync-certs: not built yet (no packages/certs/dist/cli.js): run `npm run build` first');
  process.exit(1);
}
await import(cli.href);
