/**
 * manager.conf: tunasync's keys plus `[auth]`, `[limits]` and `[server]
 * client_ca`, `allow_worker_urls`. Every check happens here, at load (after
 * the command-line overrides), so a bad file is refused before anything opens.
 */
import { ConfigError } from '../errors.js';
import { serverTlsProblems } from '../net/serve.js';
import { ajv } from '../validate.js';
import { checkAgainstSchema, finish, table, type CheckResult, type Loaded } from './check.js';
import { buildNotifyConfig, type NotifyConfig } from './notify-config.js';
import { managerConfigSchema } from './schemas.js';
import { parseToml, readTomlFile, type TomlTable } from './toml-file.js';

/** The manager's settings, defaults applied. */
export interface ManagerConfig {
  /** The file it was loaded from (named in errors at listen time); unset for a config built in code. */
  file?: string;
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
    /**
     * Link-local worker URLs allowed to register anyway: hosts (`169.254.1.1`,
     * `fe80::1`) or origins (`http://[fe80::1]:6000`). Unset: none.
     */
    allowWorkerUrls?: string[];
  };
  /** Caps on what worker tokens can store; unset: the defaults. */
  limits?: {
    /** Most workers registered at once (default 1,000). */
    maxWorkers: number;
    /** Most jobs one worker may have (default 10,000). */
    maxJobsPerWorker: number;
  };
  /** `[history]`: retention of the run history; unset: the defaults. */
  history?: {
    /** Runs kept per mirror and worker (default 200). */
    keep: number;
    /** Runs started longer ago than this many seconds are deleted (default 180 days). */
    maxAgeS: number;
  };
  /** `[metrics]` (tunasync-ts, issue 16); unset: no metrics token. */
  metrics?: {
    /** A token that may read `GET /metrics` besides the read scope (for Prometheus); empty: none. */
    token: string;
  };
  /** `[web]`: the status page; unset: on, default title, at `/`. */
  web?: WebConfig;
  /** `[mirrorz]`: `GET /mirrorz.json`; unset or without `site`: off. */
  mirrorz?: MirrorzConfig;
  /** `[[notify]]`: alert receivers (issue 16); unset or empty: none. */
  notify?: NotifyConfig[];
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
    /** `log_tokens`: tokens that may read job logs (besides admin tokens); unset: none. */
    logTokens?: string[];
    /** `public_logs`: job logs need no token (default false). */
    publicLogs?: boolean;
  };
}

/** `[web]` of manager.conf. */
export interface WebConfig {
  /** Serve the status page at `GET /` (default true). */
  enable: boolean;
  /** Its title (default `Mirror status`). */
  title: string;
  /** The path prefix a reverse proxy serves the manager under (`/status`; default empty: the root). */
  basePath: string;
}

/** `[mirrorz]` of manager.conf. */
export interface MirrorzConfig {
  /** `[mirrorz.site]`: mirrorz's `site` object (`url` and `abbr` are required by mirrorz). */
  site?: Record<string, string>;
  /** `[mirrorz.mirrors.NAME]`: per-mirror `cname`, `desc`, `url`, `help`, `upstream`, `size` overrides. */
  mirrors: Record<string, Partial<Record<'cname' | 'desc' | 'url' | 'help' | 'upstream' | 'size', string>>>;
}

/** Default `[web] title`. */
export const DEFAULT_WEB_TITLE = 'Mirror status';

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

/** Default `[limits] max_workers`. */
export const DEFAULT_MAX_WORKERS = 1_000;
/** Default `[limits] max_jobs_per_worker`. */
export const DEFAULT_MAX_JOBS_PER_WORKER = 10_000;

/** Default `[history] keep`: runs kept per mirror and worker. */
export const DEFAULT_HISTORY_KEEP = 200;
/** Default `[history] max_age` in seconds (180 days). */
export const DEFAULT_HISTORY_MAX_AGE_S = 180 * 86_400;

const AGE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds of an age like `180d`, `12h`, `30m`, `45s`; undefined when it is not one. */
export function parseAge(text: string): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * AGE_UNITS[m[2]!]!;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Default db_file (tunasync's). */
export const DEFAULT_MANAGER_DB_FILE = '/var/lib/tunasync/manager.db';

const validateManager = ajv.compile(managerConfigSchema);

function build(doc: TomlTable, file: string, overrides: ManagerOverrides): ManagerConfig {
  const server = table(doc, 'server');
  const files = table(doc, 'files');
  const auth = table(doc, 'auth');
  const limits = table(doc, 'limits');
  const history = table(doc, 'history');
  const s = (o: Record<string, unknown>, k: string, d = ''): string => (typeof o[k] === 'string' ? (o[k] as string) : d);
  const n = (o: Record<string, unknown>, k: string, d: number): number => (typeof o[k] === 'number' ? (o[k] as number) : d);
  return {
    file,
    debug: overrides.debug ?? doc.debug === true,
    server: {
      addr: overrides.addr ?? s(server, 'addr', '127.0.0.1'),
      port: overrides.port ?? (typeof server.port === 'number' ? server.port : 14242),
      sslCert: overrides.sslCert ?? s(server, 'ssl_cert'),
      sslKey: overrides.sslKey ?? s(server, 'ssl_key'),
      clientCa: s(server, 'client_ca'),
      allowWorkerUrls: Array.isArray(server.allow_worker_urls) ? [...(server.allow_worker_urls as string[])] : [],
    },
    limits: {
      maxWorkers: n(limits, 'max_workers', DEFAULT_MAX_WORKERS),
      maxJobsPerWorker: n(limits, 'max_jobs_per_worker', DEFAULT_MAX_JOBS_PER_WORKER),
    },
    history: {
      keep: n(history, 'keep', DEFAULT_HISTORY_KEEP),
      maxAgeS: typeof history.max_age === 'string' ? (parseAge(history.max_age) ?? DEFAULT_HISTORY_MAX_AGE_S) : DEFAULT_HISTORY_MAX_AGE_S,
    },
    ...(doc.metrics !== undefined ? { metrics: { token: s(table(doc, 'metrics'), 'token') } } : {}),
    ...(doc.web !== undefined
      ? {
          web: {
            enable: table(doc, 'web').enable !== false,
            title: s(table(doc, 'web'), 'title', DEFAULT_WEB_TITLE),
            basePath: s(table(doc, 'web'), 'base_path').replace(/\/+$/, ''),
          },
        }
      : {}),
    ...(doc.mirrorz !== undefined
      ? {
          mirrorz: {
            ...(table(doc, 'mirrorz').site !== undefined ? { site: { ...(table(table(doc, 'mirrorz'), 'site') as Record<string, string>) } } : {}),
            mirrors: { ...(table(table(doc, 'mirrorz'), 'mirrors') as MirrorzConfig['mirrors']) },
          },
        }
      : {}),
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
      // Set only when the file has them (unset: no log tokens, logs not public).
      ...(Array.isArray(auth.log_tokens) ? { logTokens: [...(auth.log_tokens as string[])] } : {}),
      ...(typeof auth.public_logs === 'boolean' ? { publicLogs: auth.public_logs } : {}),
    },
  };
}

function load(doc: TomlTable, file: string, overrides: ManagerOverrides): Loaded<ManagerConfig> {
  const result: CheckResult = checkAgainstSchema(validateManager, doc, file);
  const warnings = finish(result);
  const config = build(doc, file, overrides);
  const { sslCert, sslKey, clientCa } = config.server;
  const problems = serverTlsProblems({ configFile: file, sslCert, sslKey, clientCa });
  const notify = buildNotifyConfig(doc.notify, file);
  problems.push(...notify.problems);
  if (notify.notify.length > 0) config.notify = notify.notify;
  const maxAge = table(doc, 'history').max_age;
  if (typeof maxAge === 'string' && parseAge(maxAge) === undefined) {
    problems.push({ file, path: 'history.max_age', message: `${JSON.stringify(maxAge)} is not an age: a positive whole number with a unit s, m, h or d (e.g. "180d")` });
  }
  const basePath = table(doc, 'web').base_path;
  if (typeof basePath === 'string' && basePath !== '' && !/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+\/?$/.test(basePath)) {
    problems.push({ file, path: 'web.base_path', message: `${JSON.stringify(basePath)} is not a URL path prefix: it starts with "/" and has no spaces, "?", "#" or empty segments (e.g. "/status")` });
  }
  const site = config.mirrorz?.site;
  if (site) {
    for (const key of ['url', 'abbr'] as const) {
      if (!site[key]) problems.push({ file, path: `mirrorz.site.${key}`, message: `mirrorz requires site.${key} (e.g. url = "https://mirrors.example.org", abbr = "EXAMPLE")` });
    }
    if (site.url && !/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(site.url)) {
      problems.push({ file, path: 'mirrorz.site.url', message: `${JSON.stringify(site.url)} is not an http(s) URL` });
    } else if (site.url?.endsWith('/')) {
      problems.push({ file, path: 'mirrorz.site.url', message: `${JSON.stringify(site.url)} must not end with "/" (mirrorz joins it with each mirror's url)` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, warnings };
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
