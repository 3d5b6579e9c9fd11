/**
 * `[[mirrors]]` entries: flattening nested `[[mirrors.mirrors]]` (children
 * inherit every field of their parent and override what they set; `env`
 * tables merge key by key; only leaves become jobs) and resolving a leaf into
 * a MirrorConfig with tunasync's rules and defaults.
 */
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { parseSize } from '../size.js';
import { rsyncMirrorProblems } from '../rsync.js';
import { parseAge } from './manager-config.js';
import type { MirrorConfig, WorkerGlobalConfig } from './worker-config.js';
import { fallbackProblem, parseFreeSpace, type FreeSpaceRule } from './run-guards.js';

/** A raw `[[mirrors]]` table and where it was written. */
export interface RawMirror {
  fields: Record<string, unknown>;
  file: string;
  path: string;
}

/** Providers built into the worker. Any other value names a module exporting a custom provider. */
export const BUILTIN_PROVIDERS = ['rsync', 'two-stage-rsync', 'command'] as const;

/** A mirror name must be one safe path segment: letters, digits, `._+@~-`, not starting with `.` or `-`. */
export const SAFE_MIRROR_NAME = /^[A-Za-z0-9_+@~][A-Za-z0-9._+@~-]*$/;

/** Longest name in bytes (NAME_MAX: a longer name could not be a directory or a log file's prefix). */
export const MAX_NAME_BYTES = 255;

/**
 * Why `name` cannot be a mirror or worker name (it becomes a directory, a
 * file name prefix and a URL segment), or undefined when it can.
 */
export function nameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) return `is ${bytes} bytes long; a name may have at most ${MAX_NAME_BYTES}`;
  if (!SAFE_MIRROR_NAME.test(name)) {
    return `${JSON.stringify(name)} is not a safe directory name (use letters, digits and ._+@~-, not starting with . or -)`;
  }
  return undefined;
}

/** Why a `stale_after` value is refused. */
export function staleAfterProblem(value: string): string {
  return `${JSON.stringify(value)} is not an age: a positive whole number with a unit s, m, h or d (e.g. "36h")`;
}

/** True when `dir` is strictly below `root` (both resolved). */
function isBelow(root: string, dir: string): boolean {
  const rel = relative(resolve(root), resolve(dir));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** Flattens nested mirrors into leaves, children inheriting from parents. */
export function flattenMirrors(list: unknown, file: string, basePath = 'mirrors', parent?: Record<string, unknown>): RawMirror[] {
  if (!Array.isArray(list)) return [];
  const out: RawMirror[] = [];
  list.forEach((entry: unknown, i) => {
    if (entry === null || typeof entry !== 'object') return;
    const own = entry as Record<string, unknown>;
    const path = `${basePath}[${i}]`;
    const merged: Record<string, unknown> = { ...(parent ?? {}), ...own };
    delete merged.mirrors;
    const parentEnv = parent?.env as Record<string, string> | undefined;
    if (parentEnv && own.env) merged.env = { ...parentEnv, ...(own.env as Record<string, string>) };
    if (Array.isArray(own.mirrors) && own.mirrors.length > 0) {
      out.push(...flattenMirrors(own.mirrors, file, `${path}.mirrors`, merged));
    } else {
      out.push({ fields: merged, file, path });
    }
  });
  return out;
}

const LOG_DIR_TEMPLATE = /\{\{\s*\.Name\s*\}\}/g;

function strings(v: unknown): string[] {
  return Array.isArray(v) ? (v as string[]).filter((s) => typeof s === 'string') : [];
}
function ints(v: unknown): number[] {
  return Array.isArray(v) ? (v as number[]).filter((n) => typeof n === 'number') : [];
}
function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function unique(list: number[]): number[] {
  return [...new Set(list)];
}

function checkRegex(pattern: string, key: string, issue: (key: string, msg: string) => void, needGroup: boolean): void {
  if (!pattern) return;
  try {
    const re = new RegExp(pattern);
    if (needGroup && new RegExp(`${re.source}|`).exec('')!.length < 2) {
      issue(key, 'must contain a capture group holding the size');
    }
  } catch (err) {
    issue(key, `is not a valid regular expression: ${(err as Error).message}`);
  }
}

/** The run guards of a mirror (issue 18), its own keys over `[global]`'s. */
function resolveRunGuards(
  f: Record<string, unknown>,
  global: WorkerGlobalConfig,
  provider: string,
  issue: (key: string, msg: string) => void,
): Pick<MirrorConfig, 'minFreeSpace' | 'checkUpstream' | 'upstreamFallback' | 'atomicPublish'> {
  let minFreeSpace: FreeSpaceRule | undefined;
  const rawFree = f.min_free_space ?? global.minFreeSpace;
  // A bad [global] value is reported once, under global.
  if (rawFree !== undefined && rawFree !== '') {
    const rule = parseFreeSpace(rawFree);
    if (typeof rule !== 'string') minFreeSpace = rule;
    else if (f.min_free_space !== undefined) issue('min_free_space', rule);
  }
  const upstreamFallback = strings(f.upstream_fallback);
  const isRsync = provider === 'rsync' || provider === 'two-stage-rsync';
  upstreamFallback.forEach((u, i) => {
    const problem = fallbackProblem(u) ?? (isRsync && !u.endsWith('/') ? `${JSON.stringify(u)} must end with "/" as an rsync upstream does` : undefined);
    if (problem) issue(`upstream_fallback[${i}]`, problem);
  });
  const checkUpstream = typeof f.check_upstream === 'boolean' ? f.check_upstream : global.checkUpstream;
  if (upstreamFallback.length > 0 && !checkUpstream) issue('upstream_fallback', 'is used only with check_upstream = true');
  return { minFreeSpace, checkUpstream, upstreamFallback, atomicPublish: f.atomic_publish === true };
}

/**
 * Resolves one leaf mirror against the global settings. Problems are pushed
 * to `issues` (the returned config is then not to be used).
 */
export function resolveMirror(raw: RawMirror, global: WorkerGlobalConfig, issues: ConfigIssue[]): MirrorConfig {
  const f = raw.fields;
  const issue = (key: string, message: string): void => {
    issues.push({ file: raw.file, path: key ? `${raw.path}.${key}` : raw.path, message });
  };
  const name = text(f.name);
  const badName = name ? nameProblem(name) : 'is required and must not be empty';
  if (badName) issue('name', badName);
  // tunasync's provider enum defaults to rsync when the key is absent.
  const provider = text(f.provider) || 'rsync';
  const isRsync = provider === 'rsync' || provider === 'two-stage-rsync';
  const upstream = text(f.upstream);
  const command = text(f.command);
  if (provider === 'command' && !command) issue('command', 'is required for provider command');
  const stage1Profile = text(f.stage1_profile);
  const rsyncOverride = Array.isArray(f.rsync_override) ? strings(f.rsync_override) : undefined;
  const rsyncOverrideOnly = f.rsync_override_only === true;
  for (const p of rsyncMirrorProblems({ provider, upstream, stage1Profile, rsyncOverride, rsyncOverrideOnly })) issue(p.key, p.message);
  const useIPv4 = f.use_ipv4 === true;
  const useIPv6 = f.use_ipv6 === true;
  if (useIPv4 && useIPv6) issue('use_ipv6', 'use_ipv4 and use_ipv6 cannot both be true');
  checkRegex(text(f.fail_on_match), 'fail_on_match', issue, false);
  checkRegex(text(f.size_pattern), 'size_pattern', issue, true);
  checkRegex(text(f.transferred_pattern), 'transferred_pattern', issue, true);
  let staleAfterS = global.staleAfterS;
  if (typeof f.stale_after === 'string') {
    staleAfterS = parseAge(f.stale_after);
    if (staleAfterS === undefined) issue('stale_after', staleAfterProblem(f.stale_after));
  }

  let memoryLimit: number | undefined;
  if (f.memory_limit !== undefined && f.memory_limit !== '') {
    memoryLimit = parseSize(f.memory_limit as string | number);
    if (memoryLimit === undefined) issue('memory_limit', `${JSON.stringify(f.memory_limit)} is not a size such as "256M" or "1.5G"`);
  }

  const guards = resolveRunGuards(f, global, provider, issue);

  let mirrorDir = text(f.mirror_dir);
  if (!mirrorDir) {
    if (!global.mirrorDir) issue('mirror_dir', 'is not set here nor in [global] mirror_dir');
    const subdir = text(f.mirror_subdir);
    mirrorDir = join(global.mirrorDir, subdir, name);
    // With rsync --delete, a directory outside mirror_dir is someone else's data.
    if (global.mirrorDir && !badName && !isBelow(global.mirrorDir, mirrorDir)) {
      issue('mirror_subdir', `${JSON.stringify(subdir)} puts the mirror directory outside [global] mirror_dir ${JSON.stringify(global.mirrorDir)}`);
    }
  }
  const logDirTemplate = text(f.log_dir) || global.logDir;
  if (!logDirTemplate) issue('log_dir', 'is not set here nor in [global] log_dir');
  const logDir = logDirTemplate.replace(LOG_DIR_TEMPLATE, name);
  const leftover = /\{\{[^}]*\}\}/.exec(logDir);
  if (leftover) issue(f.log_dir ? 'log_dir' : '', `log_dir template ${leftover[0]} is not supported (only {{.Name}})`);

  const role = text(f.role) || 'master';
  const ownSuccess = strings(f.exec_on_success);
  const ownFailure = strings(f.exec_on_failure);
  const successExitCodes = unique([
    ...global.successExitCodes,
    ...ints(f.success_exit_codes),
    ...(isRsync ? [...global.rsyncSuccessExitCodes, ...ints(f.rsync_success_exit_codes)] : []),
  ]);

  return {
    name,
    provider,
    upstream,
    interval: typeof f.interval === 'number' ? f.interval : global.interval,
    cron: text(f.cron).trim(),
    retry: typeof f.retry === 'number' && f.retry > 0 ? f.retry : global.retry,
    timeout: typeof f.timeout === 'number' && f.timeout > 0 ? f.timeout : global.timeout,
    mirrorDir,
    logDir,
    env: { ...((f.env as Record<string, string> | undefined) ?? {}) },
    role: role === 'slave' ? 'slave' : 'master',
    isMaster: role !== 'slave',
    execOnSuccess: [...(ownSuccess.length > 0 ? ownSuccess : global.execOnSuccess), ...strings(f.exec_on_success_extra)],
    execOnFailure: [...(ownFailure.length > 0 ? ownFailure : global.execOnFailure), ...strings(f.exec_on_failure_extra)],
    successExitCodes,
    command,
    failOnMatch: text(f.fail_on_match),
    sizePattern: text(f.size_pattern),
    transferredPattern: text(f.transferred_pattern),
    useIPv4,
    useIPv6,
    excludeFile: text(f.exclude_file),
    username: text(f.username),
    password: text(f.password),
    rsyncNoTimeout: f.rsync_no_timeout === true,
    rsyncTimeout: typeof f.rsync_timeout === 'number' ? f.rsync_timeout : 0,
    rsyncGlobalOptions: [...global.rsyncOptions],
    rsyncOptions: strings(f.rsync_options),
    rsyncOverride,
    rsyncOverrideOnly,
    stage1Profile,
    memoryLimit,
    dockerImage: text(f.docker_image),
    dockerVolumes: strings(f.docker_volumes),
    dockerOptions: strings(f.docker_options),
    snapshotPath: text(f.snapshot_path),
    ...guards,
    timezone: typeof f.timezone === 'string' ? f.timezone : global.timezone,
    intervalMode: typeof f.interval_mode === 'string' ? f.interval_mode : global.intervalMode,
    fixedRateAnchor: typeof f.fixed_rate_anchor === 'string' ? f.fixed_rate_anchor : global.fixedRateAnchor,
    blackout: Array.isArray(f.blackout) ? strings(f.blackout) : [...global.blackout],
    priority: typeof f.priority === 'number' ? f.priority : global.priority,
    source: { file: raw.file, path: raw.path },
    ...(staleAfterS !== undefined ? { staleAfterS } : {}),
  };
}
