#!/usr/bin/env node
/** bin `tunasync-manager`: runs the manager's command line and exits with its code. */
import { hideBin } from 'yargs/helpers';
import { runManagerCli } from './cli-main.js';

process.exit(await runManagerCli(hideBin(process.argv)));
