/**
 * manager.conf: tunasync's keys plus `[auth]` and `[server] client_ca`.
 */
import { ajv } from '../validate.js';
import { checkAgainstSchema, finish, table, type CheckResult, type Loaded } from './check.js';
import { managerConfigSchema } from './schemas.js';
import { parseToml, readTomlFile, type TomlTable } from './toml-file.js';

/** The manager's settings, defaults applied. */
export interface ManagerConfig {
  debug: boolean;
  server: {
    /** Listen address (default 127.0.0.1). */
    addr: string;
    /** Listen port (default 14242; 0 picks a free one). */
    port: number;
    sslCert: string;
    sslKey: string;
    /** CA whose client certificates are required (mTLS); empty: none required. */
    clientCa: string;
  };
  files: {
    /** Store type; only `sqlite` is built in. */
    dbType: string;
    dbFile: string;
    /** CA the manager trusts when it calls workers. */
    caCert: string;
  };
  auth: {
    /** One token for every worker; empty: none. */
    workerToken: string;
    /** Per-worker tokens, worker id → token. */
    workerTokens: Record<string, string>;
    /** Tokens allowed to send commands, delete and set sizes. */
    adminTokens: string[];
    /** Whether GET routes need no token (default true). */
    publicRead: boolean;
  };
}

/** Command-line flags that override manager.conf. */
export interface ManagerOverrides {
  addr?: string;
  port?: number;
  sslCert?: string;
  sslKey?: string;
  dbFile?: string;
  dbType?: string;
  debug?: boolean;
}

/** Default db_file (tunasync's). */
export const DEFAULT_MANAGER_DB_FILE = '/var/lib/tunasync/manager.db';

const validateManager = ajv.compile(managerConfigSchema);

function build(doc: TomlTable, overrides: ManagerOverrides): ManagerConfig {
  const server = table(doc, 'server');
  const files = table(doc, 'files');
  const auth = table(doc, 'auth');
  const s = (o: Record<string, unknown>, k: string, d = ''): string => (typeof o[k] === 'string' ? (o[k] as string) : d);
  return {
    debug: overrides.debug ?? doc.debug === true,
    server: {
      addr: overrides.addr ?? s(server, 'addr', '127.0.0.1'),
      port: overrides.port ?? (typeof server.port === 'number' ? server.port : 14242),
      sslCert: overrides.sslCert ?? s(server, 'ssl_cert'),
      sslKey: overrides.sslKey ?? s(server, 'ssl_key'),
      clientCa: s(server, 'client_ca'),
    },
    files: {
      dbType: overrides.dbType ?? s(files, 'db_type', 'sqlite'),
      dbFile: overrides.dbFile ?? s(files, 'db_file', DEFAULT_MANAGER_DB_FILE),
      caCert: s(files, 'ca_cert'),
    },
    auth: {
      workerToken: s(auth, 'worker_token'),
      workerTokens: { ...(table(auth, 'worker_tokens') as Record<string, string>) },
      adminTokens: Array.isArray(auth.admin_tokens) ? [...(auth.admin_tokens as string[])] : [],
      publicRead: auth.public_read !== false,
    },
  };
}

function load(doc: TomlTable, file: string, overrides: ManagerOverrides): Loaded<ManagerConfig> {
  const result: CheckResult = checkAgainstSchema(validateManager, doc, file);
  const warnings = finish(result);
  return { config: build(doc, overrides), warnings };
}

/**
 * Loads manager.conf from `file` (or only defaults when `file` is undefined),
 * then applies command-line overrides. Throws a ConfigError naming the file
 * and key of every problem.
 */
export function loadManagerConfig(file: string | undefined, overrides: ManagerOverrides = {}): Loaded<ManagerConfig> {
  if (file === undefined) return load({}, '<defaults>', overrides);
  return load(readTomlFile(file), file, overrides);
}

/** Like loadManagerConfig, from TOML text (`file` names it in errors). */
export function parseManagerConfig(text: string, file = '<manager.conf>', overrides: ManagerOverrides = {}): Loaded<ManagerConfig> {
  return load(parseToml(text, file), file, overrides);
}
