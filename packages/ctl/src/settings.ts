/**
 * Where tunasynctl finds its manager: ctl.conf files in tunasync's order
 * (`/etc/tunasync/ctl.conf`, then `~/.config/tunasync/ctl.conf`, then
 * `-c FILE`), then the flags, which win. The token comes from `--token`,
 * else `TUNASYNC_TOKEN`, else `token` in ctl.conf.
 */
import { SYSTEM_CTL_CONF, loadCtlConfig, userCtlConfPath, type CtlConfig } from '@tunasync/core';
import { UsageError } from './errors.js';

/** Environment variable naming the system-wide ctl.conf instead of `/etc/tunasync/ctl.conf` (packaging and tests). */
export const SYSTEM_CONF_ENV = 'TUNASYNCTL_SYSTEM_CONF';
/** Environment variable holding the bearer token. */
export const TOKEN_ENV = 'TUNASYNC_TOKEN';
/** Environment variable setting the default output (`json`, `table` or `auto`), over ctl.conf `output`. */
export const OUTPUT_ENV = 'TUNASYNCTL_OUTPUT';

/** The default output of the listing commands: `auto` is a table at a terminal, JSON when piped. */
export type OutputSetting = 'json' | 'table' | 'auto';

/** The connection flags every command takes. */
export interface ConnectionFlags {
  /** `-c/--config FILE`: read last, must exist. */
  config?: string;
  /** `-m/--manager ADDR`. */
  manager?: string;
  /** `-p/--port PORT`. */
  port?: number;
  /** `--ca-cert FILE`: the manager's CA; https is used when set. */
  caCert?: string;
  /** `--client-cert FILE`, for a manager that checks client certificates. */
  clientCert?: string;
  /** `--client-key FILE`, the key of `clientCert`. */
  clientKey?: string;
  /** `--token TOKEN`. */
  token?: string;
}

/** Everything needed to reach the manager. */
export interface ConnectionSettings {
  /** `http(s)://addr:port`. */
  baseUrl: string;
  /** The manager's CA file; empty for http. */
  caCert: string;
  /** Client certificate and key files; empty when none. */
  clientCert: string;
  clientKey: string;
  /** Bearer token; empty when none. */
  token: string;
  /** Where the token came from, for `-v`. */
  tokenSource: 'flag' | 'environment' | 'ctl.conf' | 'none';
  /** The ctl.conf files read, in order. */
  files: string[];
  /** Problems in ctl.conf that did not stop it being used (unknown keys). */
  warnings: string[];
  /** The default output: TUNASYNCTL_OUTPUT, else ctl.conf `output`, else `auto`. */
  output: OutputSetting;
}

/** The manager's URL: https when a CA is given (as tunasync decides), IPv6 literals in brackets. */
export function managerBaseUrl(config: Pick<CtlConfig, 'managerAddr' | 'managerPort' | 'caCert'>): string {
  const host = config.managerAddr.includes(':') && !config.managerAddr.startsWith('[') ? `[${config.managerAddr}]` : config.managerAddr;
  return `${config.caCert ? 'https' : 'http'}://${host}:${config.managerPort}`;
}

/**
 * Reads the ctl.conf files and applies the flags. `env` supplies
 * `TUNASYNC_TOKEN`, `TUNASYNCTL_SYSTEM_CONF` and (through `HOME`) the user
 * file. Throws a ConfigError for a broken file, a UsageError for a bad flag.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  if (flags.port !== undefined && !(Number.isInteger(flags.port) && flags.port > 0 && flags.port < 65536)) {
    throw new UsageError(`--port must be an integer from 1 to 65535, got ${String(flags.port)}`);
  }
  if (flags.manager !== undefined && flags.manager.trim() === '') throw new UsageError('--manager must not be empty');
  if (Boolean(flags.clientCert) !== Boolean(flags.clientKey)) throw new UsageError('--client-cert and --client-key go together');
  const envToken = env[TOKEN_ENV];
  const envOutput = env[OUTPUT_ENV];
  if (envOutput && !['json', 'table', 'auto'].includes(envOutput)) {
    throw new UsageError(`${OUTPUT_ENV} must be json, table or auto, not ${JSON.stringify(envOutput)}`);
  }
  const { config, warnings } = loadCtlConfig({
    systemFile: env[SYSTEM_CONF_ENV] || SYSTEM_CTL_CONF,
    userFile: userCtlConfPath(env.HOME || undefined),
    ...(flags.config !== undefined ? { explicitFile: flags.config } : {}),
    overrides: {
      ...(flags.manager !== undefined ? { managerAddr: flags.manager } : {}),
      ...(flags.port !== undefined ? { managerPort: flags.port } : {}),
      ...(flags.caCert !== undefined ? { caCert: flags.caCert } : {}),
    },
  });
  let token = config.token;
  let tokenSource: ConnectionSettings['tokenSource'] = token ? 'ctl.conf' : 'none';
  if (envToken) {
    token = envToken;
    tokenSource = 'environment';
  }
  if (flags.token !== undefined) {
    token = flags.token;
    tokenSource = flags.token ? 'flag' : 'none';
  }
  return {
    baseUrl: managerBaseUrl(config),
    caCert: config.caCert,
    clientCert: flags.clientCert ?? '',
    clientKey: flags.clientKey ?? '',
    token,
    tokenSource,
    files: config.files,
    warnings,
    output: (envOutput as OutputSetting | undefined) || config.output || 'auto',
  };
}
