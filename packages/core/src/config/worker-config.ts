/**
 * worker.conf: tunasync's keys and rules (wire-protocol.md), with nested
 * mirrors, `include_mirrors` globs, `{{.Name}}` in log_dir, exit-code merging
 * and defaults. Every problem names the file, the key path and the reason;
 * unknown keys are warnings.
 */
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { globSync } from 'tinyglobby';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { ajv } from '../validate.js';
import { checkAgainstSchema, table, type Loaded } from './check.js';
import { parseAge } from './manager-config.js';
import { flattenMirrors, nameProblem, resolveMirror, staleAfterProblem, type RawMirror } from './mirrors.js';
import { workerConfigSchema } from './schemas.js';
import { parseToml, readTomlFile, type TomlTable } from './toml-file.js';
import { formatConfigIssue } from '../errors.js';
import { parseFreeSpace, type FreeSpaceRule } from './run-guards.js';

/** `[global]`, defaults applied. */
export interface WorkerGlobalConfig {
  /** The worker's id at the manager. */
  name: string;
  /** Log directory template (may hold `{{.Name}}`). */
  logDir: string;
  mirrorDir: string;
  /**
   * Where the worker keeps state between runs (its report outbox):
   * `state_dir`, else `.tunasync-state/<name>` in the log root (the part of
   * `log_dir` before `{{.Name}}`). Empty when no log directory is known.
   */
  stateDir: string;
  /** Jobs running at once (default 10). */
  concurrent: number;
  /** tunasync-ts extension: SIGTERM leaves running syncs running for the next worker to adopt (default false). */
  keepSyncsOnRestart: boolean;
  /** Minutes between runs (default 120). */
  interval: number;
  /** Tries per run (default 2, as tunasync). */
  retry: number;
  /** Seconds a try may take; 0 = no limit. */
  timeout: number;
  rsyncOptions: string[];
  execOnSuccess: string[];
  execOnFailure: string[];
  /** `dangerous_global_success_exit_codes`. */
  successExitCodes: number[];
  /** `dangerous_global_rsync_success_exit_codes`. */
  rsyncSuccessExitCodes: number[];
  /** `min_free_space` default of every mirror, as written (string or bytes); undefined: none. */
  minFreeSpace: string | number | undefined;
  /** `check_upstream` default of every mirror. */
  checkUpstream: boolean;
  /** `stale_after` in seconds (tunasync-ts extension, issue 16); unset: the default rule. */
  staleAfterS?: number;
  /** Defaults of the mirrors' scheduling keys (issue 18; see MirrorConfig). */
  timezone: string;
  intervalMode: string;
  fixedRateAnchor: string;
  blackout: string[];
  priority: number;
  /** Runs at once against one upstream host, across mirrors; 0: no limit. */
  perUpstreamConcurrent: number;
  /** `spread` as written ("10m"); empty: none. The worker parses it. */
  spread: string;
}

/** One job, resolved: every inherited and global value applied. */
export interface MirrorConfig {
  name: string;
  /** `rsync`, `two-stage-rsync`, `command`, or a module exporting a custom provider. */
  provider: string;
  upstream: string;
  /** Minutes between runs. */
  interval: number;
  /** Cron expression scheduling the job instead of `interval` (tunasync-ts extension); empty: none. */
  cron: string;
  /** Tries per run. */
  retry: number;
  /** Seconds per try; 0 = no limit. */
  timeout: number;
  /** The job's directory. */
  mirrorDir: string;
  /** The job's log directory, `{{.Name}}` substituted. */
  logDir: string;
  env: Record<string, string>;
  role: 'master' | 'slave';
  isMaster: boolean;
  /** Commands run after success: the mirror's own list, or the global one, plus `_extra`. */
  execOnSuccess: string[];
  execOnFailure: string[];
  /** Exit codes that count as success (global and mirror lists merged; rsync lists for rsync providers). */
  successExitCodes: number[];
  command: string;
  failOnMatch: string;
  sizePattern: string;
  /** tunasync-ts extension: a regex whose first group in the log's last match is the bytes a `command` run transferred. */
  transferredPattern: string;
  useIPv4: boolean;
  useIPv6: boolean;
  excludeFile: string;
  username: string;
  password: string;
  rsyncNoTimeout: boolean;
  rsyncTimeout: number;
  /** `[global] rsync_options`, placed before the mirror's. */
  rsyncGlobalOptions: string[];
  rsyncOptions: string[];
  /** Replaces the default rsync options when set. */
  rsyncOverride: string[] | undefined;
  rsyncOverrideOnly: boolean;
  stage1Profile: string;
  /** Bytes, from `memory_limit`. */
  memoryLimit: number | undefined;
  dockerImage: string;
  dockerVolumes: string[];
  dockerOptions: string[];
  snapshotPath: string;
  /** `min_free_space`: below it, a run is skipped (issue 18); undefined: no check. */
  minFreeSpace: FreeSpaceRule | undefined;
  /** `check_upstream`: probe the upstream before each run, falling back to `upstreamFallback`. */
  checkUpstream: boolean;
  /** `upstream_fallback`: tried in order when the upstream does not answer. */
  upstreamFallback: string[];
  /** `atomic_publish`: sync into a hard-linked staging copy and swap it in on success. */
  atomicPublish: boolean;
  /** Scheduling (issue 18), as written; the worker checks them. IANA zone of cron, anchor and blackout; empty: the host's. */
  timezone: string;
  /** `interval_mode`: empty or "interval" (tunasync's rule), or "fixed-rate". */
  intervalMode: string;
  /** `fixed_rate_anchor` "HH:MM"; empty: 00:00. */
  fixedRateAnchor: string;
  /** `blackout` windows ("01:00-06:00", "Sat 00:00-Sun 23:59"). */
  blackout: string[];
  /** 0..100 (default 50): who goes first when jobs wait for a slot. */
  priority: number;
  /** Where the mirror was written (file and key path), for messages. */
  source: { file: string; path: string };
  /** `stale_after` in seconds, the mirror's or `[global]`'s (tunasync-ts extension, issue 16); unset: the default rule. */
  staleAfterS?: number;
}

/** The whole worker.conf, resolved. */
export interface WorkerConfig {
  /** The main config file. */
  file: string;
  global: WorkerGlobalConfig;
  manager: {
    /** Every manager to report to: `api_base_list`, else `[api_base]`. */
    apiBaseList: string[];
    /** CA file that signed the managers' certificates (`ca_cert`); empty: the system CAs. */
    caCert: string;
    /** Bearer token sent to the managers. */
    token: string;
    /** Client certificate (PEM) presented to managers that require one (`client_cert`, tunasync-ts extension); empty: none. */
    clientCert: string;
    /** Its private key (PEM, `client_key`); set together with `clientCert`. */
    clientKey: string;
    /** Seconds between heartbeats (`heartbeat_interval`, tunasync-ts extension); unset: 60 (DEFAULT_HEARTBEAT_INTERVAL_S). */
    heartbeatIntervalS?: number;
  };
  server: { hostname: string; listenAddr: string; listenPort: number; sslCert: string; sslKey: string };
  cgroup: { enable: boolean; basePath: string; group: string; subsystem: string };
  docker: { enable: boolean; volumes: string[]; options: string[] };
  zfs: { enable: boolean; zpool: string };
  btrfsSnapshot: { enable: boolean; snapshotPath: string };
  include: { includeMirrors: string; files: string[] };
  /** `[per_upstream_concurrent]`: host → runs at once, overriding `[global] per_upstream_concurrent`. */
  perUpstreamConcurrent: Record<string, number>;
  /** Leaf mirrors in file order, then included files in sorted order. */
  mirrors: MirrorConfig[];
}

/** Default manager address when worker.conf names none. */
export const DEFAULT_API_BASE = 'http://127.0.0.1:14242';

const validateWorker = ajv.compile(workerConfigSchema);

const s = (o: Record<string, unknown>, k: string, d = ''): string => (typeof o[k] === 'string' ? (o[k] as string) : d);
const n = (o: Record<string, unknown>, k: string, d: number): number => (typeof o[k] === 'number' && o[k] !== 0 ? (o[k] as number) : d);
const b = (o: Record<string, unknown>, k: string): boolean => o[k] === true;
const list = <T>(o: Record<string, unknown>, k: string): T[] => (Array.isArray(o[k]) ? [...(o[k] as T[])] : []);

function buildGlobal(doc: TomlTable): WorkerGlobalConfig {
  const g = table(doc, 'global');
  return {
    name: s(g, 'name'),
    logDir: s(g, 'log_dir'),
    mirrorDir: s(g, 'mirror_dir'),
    stateDir: s(g, 'state_dir'),
    concurrent: n(g, 'concurrent', 10),
    keepSyncsOnRestart: b(g, 'keep_syncs_on_restart'),
    interval: n(g, 'interval', 120),
    retry: n(g, 'retry', 2),
    timeout: n(g, 'timeout', 0),
    rsyncOptions: list(g, 'rsync_options'),
    execOnSuccess: list(g, 'exec_on_success'),
    execOnFailure: list(g, 'exec_on_failure'),
    successExitCodes: list(g, 'dangerous_global_success_exit_codes'),
    rsyncSuccessExitCodes: list(g, 'dangerous_global_rsync_success_exit_codes'),
    minFreeSpace: typeof g.min_free_space === 'string' || typeof g.min_free_space === 'number' ? g.min_free_space : undefined,
    checkUpstream: b(g, 'check_upstream'),
    ...(typeof g.stale_after === 'string' && parseAge(g.stale_after) !== undefined ? { staleAfterS: parseAge(g.stale_after)! } : {}),
    timezone: s(g, 'timezone'),
    intervalMode: s(g, 'interval_mode'),
    fixedRateAnchor: s(g, 'fixed_rate_anchor'),
    blackout: list(g, 'blackout'),
    priority: typeof g.priority === 'number' ? g.priority : 50,
    perUpstreamConcurrent: typeof g.per_upstream_concurrent === 'number' ? g.per_upstream_concurrent : 0,
    spread: s(g, 'spread'),
  };
}

/** Splits a glob into the directory before its first wildcard and the rest, so only that directory is searched. */
function splitGlob(pattern: string): { base: string; rest: string } {
  const parts = pattern.split('/');
  const i = parts.findIndex((p) => /[*?[\]{}]/.test(p));
  if (i < 0) return { base: dirname(pattern) || '.', rest: parts.at(-1)! };
  return { base: parts.slice(0, i).join('/') || (pattern.startsWith('/') ? '/' : '.'), rest: parts.slice(i).join('/') };
}

/** Files matching `include_mirrors` (relative to the config file's directory), sorted. */
function includedFiles(pattern: string, configFile: string): string[] {
  const abs = isAbsolute(pattern) ? pattern : resolve(dirname(configFile), pattern);
  const { base, rest } = splitGlob(abs.split(sep).join('/'));
  return globSync(rest, { cwd: base, absolute: true, onlyFiles: true }).sort();
}

/** `.tunasync-state/<worker name>` under the log root: `[global] log_dir` up to its first `{{`, else the first mirror's log directory's parent. */
function defaultStateDir(global: WorkerGlobalConfig, mirrors: MirrorConfig[]): string {
  let root = '';
  if (global.logDir) {
    const segments = global.logDir.split('/');
    const i = segments.findIndex((seg) => seg.includes('{{'));
    root = i < 0 ? global.logDir : segments.slice(0, i).join('/') || '/';
  } else if (mirrors[0]?.logDir) root = dirname(mirrors[0].logDir);
  return root && global.name ? join(root, '.tunasync-state', global.name) : '';
}

function isHttpUrl(u: string): boolean {
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function build(doc: TomlTable, file: string, readInclude: (f: string) => TomlTable): Loaded<WorkerConfig> {
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const check = (data: unknown, f: string): void => {
    const r = checkAgainstSchema(validateWorker, data, f);
    errors.push(...r.errors);
    warnings.push(...r.warnings);
  };
  check(doc, file);
  const global = buildGlobal(doc);
  const staleAfter = table(doc, 'global').stale_after;
  if (typeof staleAfter === 'string' && parseAge(staleAfter) === undefined) {
    errors.push({ file, path: 'global.stale_after', message: staleAfterProblem(staleAfter) });
  }
  if (!global.name) errors.push({ file, path: 'global.name', message: 'is required: it is the worker id at the manager' });
  else {
    // It is part of the default state directory and of the manager's URLs.
    const bad = nameProblem(global.name);
    if (bad) errors.push({ file, path: 'global.name', message: bad });
  }
  if (global.minFreeSpace !== undefined) {
    const rule = parseFreeSpace(global.minFreeSpace);
    if (typeof rule === 'string') errors.push({ file, path: 'global.min_free_space', message: rule });
  }

  const raws: RawMirror[] = flattenMirrors(doc.mirrors, file);
  const includeTable = table(doc, 'include');
  const includeMirrors = s(includeTable, 'include_mirrors');
  const files = includeMirrors ? includedFiles(includeMirrors, file) : [];
  for (const inc of files) {
    try {
      const incDoc = readInclude(inc);
      check(incDoc, inc);
      for (const key of Object.keys(incDoc)) {
        if (key !== 'mirrors') warnings.push({ file: inc, path: key, message: 'ignored: an included file only holds [[mirrors]]' });
      }
      raws.push(...flattenMirrors(incDoc.mirrors, inc));
    } catch (err) {
      if (err instanceof ConfigError) errors.push(...err.issues);
      else throw err;
    }
  }

  const mirrors = raws.map((raw) => resolveMirror(raw, global, errors));
  if (!global.stateDir) global.stateDir = defaultStateDir(global, mirrors);
  const seen = new Map<string, RawMirror>();
  raws.forEach((raw, i) => {
    const name = mirrors[i]!.name;
    if (!name) return;
    const first = seen.get(name);
    if (first) {
      errors.push({ file: raw.file, path: `${raw.path}.name`, message: `duplicate mirror name ${JSON.stringify(name)} (first at ${first.file}: ${first.path})` });
    } else seen.set(name, raw);
  });

  const m = table(doc, 'manager');
  const apiBaseList = list<string>(m, 'api_base_list');
  if (apiBaseList.length === 0) apiBaseList.push(s(m, 'api_base') || DEFAULT_API_BASE);
  apiBaseList.forEach((u, i) => {
    if (!isHttpUrl(u)) {
      const path = list(m, 'api_base_list').length > 0 ? `manager.api_base_list[${i}]` : 'manager.api_base';
      errors.push({ file, path, message: `${JSON.stringify(u)} is not an http:// or https:// URL` });
    }
  });

  const clientCert = s(m, 'client_cert');
  const clientKey = s(m, 'client_key');
  if (Boolean(clientCert) !== Boolean(clientKey)) {
    const [missing, given] = clientCert ? ['client_key', 'client_cert'] : ['client_cert', 'client_key'];
    errors.push({ file, path: `manager.${missing}`, message: `is required when ${given} is set (a client certificate needs its key)` });
  }

  const srv = table(doc, 'server');
  if (s(srv, 'ssl_cert') !== '' && s(srv, 'ssl_key') === '') errors.push({ file, path: 'server.ssl_key', message: 'is required when ssl_cert is set' });
  if (s(srv, 'ssl_key') !== '' && s(srv, 'ssl_cert') === '') errors.push({ file, path: 'server.ssl_cert', message: 'is required when ssl_key is set' });
  if (errors.length > 0) throw new ConfigError(errors);
  const cg = table(doc, 'cgroup');
  const dk = table(doc, 'docker');
  const zfs = table(doc, 'zfs');
  const bt = table(doc, 'btrfs_snapshot');
  const config: WorkerConfig = {
    file,
    global,
    manager: { apiBaseList: apiBaseList.map((u) => u.replace(/\/+$/, '')), caCert: s(m, 'ca_cert'), token: s(m, 'token'), clientCert, clientKey, ...(typeof m.heartbeat_interval === 'number' ? { heartbeatIntervalS: m.heartbeat_interval } : {}) },
    server: {
      hostname: s(srv, 'hostname', 'localhost'),
      listenAddr: s(srv, 'listen_addr', '127.0.0.1'),
      listenPort: typeof srv.listen_port === 'number' ? srv.listen_port : 6000,
      sslCert: s(srv, 'ssl_cert'),
      sslKey: s(srv, 'ssl_key'),
    },
    cgroup: { enable: b(cg, 'enable'), basePath: s(cg, 'base_path', '/sys/fs/cgroup'), group: s(cg, 'group'), subsystem: s(cg, 'subsystem', 'cpu') },
    docker: { enable: b(dk, 'enable'), volumes: list(dk, 'volumes'), options: list(dk, 'options') },
    zfs: { enable: b(zfs, 'enable'), zpool: s(zfs, 'zpool') },
    btrfsSnapshot: { enable: b(bt, 'enable'), snapshotPath: s(bt, 'snapshot_path') },
    include: { includeMirrors, files },
    perUpstreamConcurrent: { ...(table(doc, 'per_upstream_concurrent') as Record<string, number>) },
    mirrors,
  };
  return { config, warnings: warnings.map(formatConfigIssue) };
}

/**
 * Loads worker.conf and its included mirror files. Throws a ConfigError
 * listing every problem (file, key path, reason); returns the resolved
 * config and warnings (unknown keys) otherwise.
 */
export function loadWorkerConfig(file: string): Loaded<WorkerConfig> {
  return build(readTomlFile(file), file, readTomlFile);
}

/** Like loadWorkerConfig, from TOML text; `file` names it in messages and anchors relative include globs. */
export function parseWorkerConfig(text: string, file = '<worker.conf>'): Loaded<WorkerConfig> {
  return build(parseToml(text, file), file, readTomlFile);
}
