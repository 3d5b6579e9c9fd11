#!/usr/bin/env node
/** bin `tunasync-worker`: runs the worker's command line and exits with its code. */
import { hideBin } from 'yargs/helpers';
import { errorMessage } from '@tunasync/core';
import { runWorkerCli } from './cli-main.js';

runWorkerCli(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tunasync-worker: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
