/**
 * The one check of a worker.conf, used by start, by reload and by
 * `--dry-run`, so that `--dry-run` refuses exactly what start refuses: the
 * core loader's checks, then provider modules, cron expressions, the
 * scheduling keys (zone, fixed rate, blackout, priority, spread), hook
 * settings (`[btrfs_snapshot]`, `[cgroup]`) and the PEM files of `[server]`
 * and `[manager]`. Nothing here has side effects: no cgroup is made, nothing
 * is written, no provider is constructed (custom provider modules are
 * imported, as start imports them, to find their factory).
 */
import {
  ConfigError,
  loadWorkerConfig,
  readPemFile,
  serverTlsProblems,
  type ConfigIssue,
  type Loaded,
  type WorkerConfig,
} from '@tunasync/core';
import { hookConfigIssues, type CgroupLocation } from './hooks/hook-checks.js';
import { isBuiltinProvider, loadProviderFactory } from './providers/registry.js';
import { scheduleConfigIssues } from './schedule/schedule-config.js';
import { isValidCron } from './scheduler.js';

/** Where the checks look at the system (default: the real one); tests point them elsewhere. */
export type WorkerCheckOptions = CgroupLocation;

/** The issues of a ConfigError thrown by `fn`, or none; other errors pass through. */
async function issuesOf(fn: () => unknown): Promise<ConfigIssue[]> {
  try {
    await fn();
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
}

/** Provider modules that cannot be loaded and cron expressions node-schedule refuses. */
async function mirrorIssues(config: WorkerConfig): Promise<ConfigIssue[]> {
  const out: ConfigIssue[] = [];
  for (const m of config.mirrors) {
    if (!isBuiltinProvider(m.provider)) out.push(...(await issuesOf(() => loadProviderFactory(m))));
    if (m.cron && !isValidCron(m.cron)) {
      out.push({ file: m.source.file, path: `${m.source.path}.cron`, message: `${JSON.stringify(m.cron)} is not a valid cron expression` });
    }
  }
  return out;
}

/** `[server]` cert and key set together and readable; `[manager]` CA and client certificate readable. */
async function pemIssues(config: WorkerConfig): Promise<ConfigIssue[]> {
  const { file } = config;
  const tls = serverTlsProblems({ configFile: file, sslCert: config.server.sslCert, sslKey: config.server.sslKey });
  const serverFiles: Array<[string, string]> = [
    ['server.ssl_cert', config.server.sslCert],
    ['server.ssl_key', config.server.sslKey],
  ];
  const files: Array<[string, string]> = [
    ...(tls.length === 0 ? serverFiles : []),
    ['manager.ca_cert', config.manager.caCert],
    ['manager.client_cert', config.manager.clientCert],
    ['manager.client_key', config.manager.clientKey],
  ];
  const out: ConfigIssue[] = [...tls];
  for (const [key, pem] of files) if (pem) out.push(...(await issuesOf(() => readPemFile(pem, file, key))));
  return out;
}

/** Every problem checkWorkerConfig would refuse `config` for (empty when it is fine). */
export async function workerConfigIssues(config: WorkerConfig, options: WorkerCheckOptions = {}): Promise<ConfigIssue[]> {
  return [...(await mirrorIssues(config)), ...scheduleConfigIssues(config), ...(await hookConfigIssues(config, options)), ...(await pemIssues(config))];
}

/**
 * Checks a loaded worker.conf beyond core's loader; throws a ConfigError
 * listing every problem (file, key, why). Has no side effects.
 */
export async function checkWorkerConfig(config: WorkerConfig, options: WorkerCheckOptions = {}): Promise<void> {
  const issues = await workerConfigIssues(config, options);
  if (issues.length > 0) throw new ConfigError(issues);
}

/** Loads worker.conf with core's loader, then checkWorkerConfig; a ConfigError lists every problem either found. */
export async function loadCheckedWorkerConfig(file: string, options: WorkerCheckOptions = {}): Promise<Loaded<WorkerConfig>> {
  const loaded = loadWorkerConfig(file);
  await checkWorkerConfig(loaded.config, options);
  return loaded;
}
