/**
 * JSON Schemas of manager.conf, worker.conf and ctl.conf, exported so editors
 * and other tools can validate the files too (TOML parsed to JSON). Unknown
 * keys fail `additionalProperties`; the loaders report those as warnings and
 * everything else as errors.
 */
import { notifyEntrySchema } from './notify-config.js';

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const strList = { type: 'array', items: { type: 'string' } } as const;
const exitCodes = { type: 'array', items: { type: 'integer', minimum: 0, maximum: 255 } } as const;
const port = { type: 'integer', minimum: 0, maximum: 65535 } as const;
const nonNegative = { type: 'integer', minimum: 0 } as const;

/** Schema of manager.conf. */
export const managerConfigSchema = {
  $id: 'https://tunasync-ts.invalid/schemas/manager.conf.json',
  title: 'tunasync manager.conf',
  type: 'object',
  additionalProperties: false,
  properties: {
    debug: bool,
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        addr: str,
        port,
        ssl_cert: str,
        ssl_key: str,
        client_ca: str,
        /** tunasync-ts: link-local worker URLs (hosts or origins) that may register anyway. */
        allow_worker_urls: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
    },
    /** tunasync-ts: caps on what worker tokens can store. */
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max_workers: { type: 'integer', minimum: 1 },
        max_jobs_per_worker: { type: 'integer', minimum: 1 },
      },
    },
    /** tunasync-ts: retention of the run history. */
    history: {
      type: 'object',
      additionalProperties: false,
      properties: {
        keep: { type: 'integer', minimum: 1 },
        max_age: str,
      },
    },
    /** tunasync-ts: `GET /metrics`. */
    metrics: {
      type: 'object',
      additionalProperties: false,
      properties: {
        /** A token that may read `/metrics` (besides the read scope), for a Prometheus server. */
        token: { type: 'string', minLength: 1 },
      },
    },
    /** tunasync-ts: the status page (`GET /`). */
    web: {
      type: 'object',
      additionalProperties: false,
      properties: { enable: bool, title: str, base_path: str },
    },
    /** tunasync-ts: `GET /mirrorz.json` (off unless `[mirrorz.site]` is set). */
    mirrorz: {
      type: 'object',
      additionalProperties: false,
      properties: {
        site: {
          type: 'object',
          additionalProperties: false,
          properties: {
            url: str, abbr: str, name: str, logo: str, logo_darkmode: str, homepage: str, issue: str,
            request: str, email: str, group: str, disk: str, note: str, big: str,
          },
        },
        mirrors: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: { cname: str, desc: str, url: str, help: str, upstream: str, size: str },
          },
        },
      },
    },
    /** tunasync-ts: alert receivers (issue 16). */
    notify: { type: 'array', items: notifyEntrySchema },
    files: {
      type: 'object',
      additionalProperties: false,
      properties: { db_type: str, db_file: str, ca_cert: str },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      properties: {
        worker_token: str,
        worker_tokens: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
        admin_tokens: { type: 'array', items: { type: 'string', minLength: 1 } },
        public_read: bool,
        log_tokens: { type: 'array', items: { type: 'string', minLength: 1 } },
        public_logs: bool,
      },
    },
  },
} as const;

/** Scheduling keys of a mirror, with `[global]` defaults (issue 18); their values are checked by the worker's config check. */
const scheduleKeys = {
  timezone: str,
  interval_mode: str,
  fixed_rate_anchor: str,
  blackout: strList,
  priority: { type: 'integer' },
} as const;

/** Schema of one `[[mirrors]]` entry (recursive through `mirrors`). */
export const mirrorConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: str,
    provider: { type: 'string', minLength: 1 },
    upstream: str,
    interval: { type: 'integer', minimum: 1 },
    /** tunasync-ts extension (tunasync#106): a cron expression instead of `interval`. */
    cron: str,
    retry: nonNegative,
    timeout: nonNegative,
    mirror_dir: str,
    mirror_subdir: str,
    log_dir: str,
    env: { type: 'object', additionalProperties: { type: 'string' } },
    role: { type: 'string', enum: ['master', 'slave', ''] },
    exec_on_success: strList,
    exec_on_failure: strList,
    exec_on_success_extra: strList,
    exec_on_failure_extra: strList,
    success_exit_codes: exitCodes,
    rsync_success_exit_codes: exitCodes,
    command: str,
    fail_on_match: str,
    size_pattern: str,
    /** tunasync-ts extension (run history): bytes a `command` run transferred, from its log. */
    transferred_pattern: str,
    /** tunasync-ts extension (issue 16): the mirror is stale when its last success is older than this age (e.g. "36h"). */
    stale_after: str,
    use_ipv6: bool,
    use_ipv4: bool,
    exclude_file: str,
    username: str,
    password: str,
    rsync_no_timeout: bool,
    rsync_timeout: nonNegative,
    rsync_options: strList,
    rsync_override: strList,
    rsync_override_only: bool,
    stage1_profile: str,
    memory_limit: { type: ['string', 'integer'] },
    docker_image: str,
    docker_volumes: strList,
    docker_options: strList,
    snapshot_path: str,
    /** tunasync-ts extensions (issue 18, tunasync-rs's names): run guards and atomic publish. */
    min_free_space: { type: ['string', 'integer'] },
    check_upstream: bool,
    upstream_fallback: strList,
    atomic_publish: bool,
    /** tunasync-ts scheduling (issue 18): zone, fixed rate, blackout windows, priority; checked by the worker. */
    ...scheduleKeys,
    mirrors: { type: 'array', items: { $ref: '#/$defs/mirror' } },
  },
} as const;

/** Schema of worker.conf (also of an `include_mirrors` file, which holds only `mirrors`). */
export const workerConfigSchema = {
  $id: 'https://tunasync-ts.invalid/schemas/worker.conf.json',
  title: 'tunasync worker.conf',
  type: 'object',
  additionalProperties: false,
  $defs: { mirror: mirrorConfigSchema },
  properties: {
    global: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: str,
        log_dir: str,
        mirror_dir: str,
        /** tunasync-ts extension: where the worker keeps its outbox (default: beside the logs). */
        state_dir: str,
        /** tunasync-ts extension (issue 16): default `stale_after` of every mirror. */
        stale_after: str,
        concurrent: { type: 'integer', minimum: 1 },
        /** tunasync-ts extension: SIGTERM leaves running syncs for the next worker to adopt. */
        keep_syncs_on_restart: { type: 'boolean' },
        interval: { type: 'integer', minimum: 1 },
        retry: nonNegative,
        timeout: nonNegative,
        rsync_options: strList,
        exec_on_success: strList,
        exec_on_failure: strList,
        dangerous_global_success_exit_codes: exitCodes,
        dangerous_global_rsync_success_exit_codes: exitCodes,
        /** tunasync-ts extensions (issue 18): defaults of the mirrors' run guards. */
        min_free_space: { type: ['string', 'integer'] },
        check_upstream: bool,
        /** tunasync-ts scheduling (issue 18): defaults of the mirrors' keys, the per-host run limit and the start spread. */
        ...scheduleKeys,
        per_upstream_concurrent: { type: 'integer' },
        spread: str,
      },
    },
    /** tunasync-ts: per upstream host limits overriding `[global] per_upstream_concurrent`. */
    per_upstream_concurrent: { type: 'object', properties: {}, additionalProperties: { type: 'integer' } },
    manager: {
      type: 'object',
      additionalProperties: false,
      properties: {
        api_base: str,
        api_base_list: strList,
        ca_cert: str,
        token: str,
        client_cert: str,
        client_key: str,
        /** tunasync-ts: seconds between heartbeats to each manager (issue 16). */
        heartbeat_interval: { type: 'integer', minimum: 1, maximum: 86400 },
      },
    },
    server: {
      type: 'object',
      additionalProperties: false,
      properties: { hostname: str, listen_addr: str, listen_port: port, ssl_cert: str, ssl_key: str },
    },
    cgroup: {
      type: 'object',
      additionalProperties: false,
      properties: { enable: bool, base_path: str, group: str, subsystem: str },
    },
    docker: {
      type: 'object',
      additionalProperties: false,
      properties: { enable: bool, volumes: strList, options: strList },
    },
    zfs: { type: 'object', additionalProperties: false, properties: { enable: bool, zpool: str } },
    btrfs_snapshot: {
      type: 'object',
      additionalProperties: false,
      properties: { enable: bool, snapshot_path: str },
    },
    include: { type: 'object', additionalProperties: false, properties: { include_mirrors: str } },
    mirrors: { type: 'array', items: { $ref: '#/$defs/mirror' } },
  },
} as const;

/** Schema of ctl.conf. */
export const ctlConfigSchema = {
  $id: 'https://tunasync-ts.invalid/schemas/ctl.conf.json',
  title: 'tunasync ctl.conf',
  type: 'object',
  additionalProperties: false,
  properties: { manager_addr: str, manager_port: port, ca_cert: str, token: str, output: { enum: ['json', 'table', 'auto'] } },
} as const;
