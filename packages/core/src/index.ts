/**
 * @tunasync/core: what every tunasync-ts component and every custom provider
 * imports. Nothing here listens or spawns. The ajv instance that validates
 * configs and wire bodies stays inside: the JSON Schemas are exported as
 * plain objects, and validation surfaces as ConfigError / ValidationError.
 */
export * from './errors.js';
export * from './status.js';
export * from './time.js';
export * from './slow-client.js';
export * from './wire.js';
export * from './runs.js';
export * from './run-rows.js';
export {
  wireSchemas,
  MAX_NAME_BYTES,
  MAX_UPSTREAM_BYTES,
  MAX_SIZE_LENGTH,
  MAX_ERROR_MSG_BYTES,
  type WireShapeName,
} from './wire-schemas.js';
export * from './job-state.js';
export type * from './provider.js';
export type * from './store.js';
export type * from './store-ops.js';
export * from './size.js';
export * from './rsync.js';
export * from './logger.js';
export * from './http-client.js';
export * from './net/bearer.js';
export * from './net/pem.js';
export * from './net/serve.js';
export * from './config/schemas.js';
export type { Loaded } from './config/check.js';
export * from './config/manager-config.js';
export * from './config/ctl-config.js';
export * from './config/notify-config.js';
export * from './maintenance.js';
export * from './config/worker-config.js';
export { BUILTIN_PROVIDERS, SAFE_MIRROR_NAME } from './config/mirrors.js';
export { parseFreeSpace, type FreeSpaceRule } from './config/run-guards.js';
export { parseToml, readTomlFile, type TomlTable } from './config/toml-file.js';
