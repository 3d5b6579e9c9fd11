/**
 * ctl.conf and tunasynctl's lookup order: `/etc/tunasync/ctl.conf`, then
 * `~/.config/tunasync/ctl.conf`, then the file given with `-c`; each later
 * file overrides the keys it sets, and command-line flags win over all.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ajv } from '../validate.js';
import { checkAgainstSchema, finish, type Loaded } from './check.js';
import { ctlConfigSchema } from './schemas.js';
import { readTomlFile } from './toml-file.js';

/** tunasynctl's settings, defaults applied. */
export interface CtlConfig {
  /** Manager host (default `localhost`). */
  managerAddr: string;
  /** Manager port (default 14242). */
  managerPort: number;
  /** CA of the manager's certificate; when set, https is used. */
  caCert: string;
  /** Bearer token sent to the manager; empty: none. */
  token: string;
  /** tunasynctl's default output of `list`, `workers`, `history`…; unset or `auto`: a table at a terminal, JSON when piped. */
  output?: 'json' | 'table' | 'auto';
  /** The files that were read, in order. */
  files: string[];
}

/** Where to look; each defaults to tunasync's location. */
export interface CtlConfigLookup {
  /** Read first when it exists (default `/etc/tunasync/ctl.conf`). */
  systemFile?: string;
  /** Read second when it exists (default `~/.config/tunasync/ctl.conf`). */
  userFile?: string;
  /** The `-c` file: read last, and it must exist. */
  explicitFile?: string;
  /** Flag values that win over every file. */
  overrides?: Partial<Omit<CtlConfig, 'files'>>;
}

/** The default system-wide ctl.conf. */
export const SYSTEM_CTL_CONF = '/etc/tunasync/ctl.conf';
/** The default per-user ctl.conf. */
export function userCtlConfPath(home = homedir()): string {
  return join(home, '.config', 'tunasync', 'ctl.conf');
}

const validateCtl = ajv.compile(ctlConfigSchema);

/** Loads ctl.conf following tunasync's lookup order. */
export function loadCtlConfig(lookup: CtlConfigLookup = {}): Loaded<CtlConfig> {
  const config: CtlConfig = { managerAddr: 'localhost', managerPort: 14242, caCert: '', token: '', files: [] };
  const warnings: string[] = [];
  const candidates: { file: string; required: boolean }[] = [
    { file: lookup.systemFile ?? SYSTEM_CTL_CONF, required: false },
    { file: lookup.userFile ?? userCtlConfPath(), required: false },
  ];
  if (lookup.explicitFile !== undefined) candidates.push({ file: lookup.explicitFile, required: true });
  for (const { file, required } of candidates) {
    if (!required && !existsSync(file)) continue;
    const doc = readTomlFile(file);
    warnings.push(...finish(checkAgainstSchema(validateCtl, doc, file)));
    if (typeof doc.manager_addr === 'string') config.managerAddr = doc.manager_addr;
    if (typeof doc.manager_port === 'number') config.managerPort = doc.manager_port;
    if (typeof doc.ca_cert === 'string') config.caCert = doc.ca_cert;
    if (typeof doc.token === 'string') config.token = doc.token;
    if (doc.output === 'json' || doc.output === 'table' || doc.output === 'auto') config.output = doc.output;
    config.files.push(file);
  }
  const o = lookup.overrides ?? {};
  for (const key of ['managerAddr', 'managerPort', 'caCert', 'token'] as const) {
    if (o[key] !== undefined) (config as unknown as Record<string, unknown>)[key] = o[key];
  }
  return { config, warnings };
}
