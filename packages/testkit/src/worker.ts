/** A real worker for tests: `createWorker` on a worker.conf written into a temp dir. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSilentLogger, parseWorkerConfig, type WorkerConfig } from '@tunasync/core';
import type { Worker, WorkerOptions } from '@tunasync/worker';

/** A TOML scalar or list. */
export type TomlValue = string | number | boolean | (string | number)[];

/** What goes into a test worker.conf. */
export interface TestWorkerConf {
  /** Root of the worker's files: `log_dir = <dir>/log/{{.Name}}`, `mirror_dir = <dir>/data`. */
  dir: string;
  /** `[global] name` (default `w1`). */
  name?: string;
  /** `[manager] api_base`; without it the config has no `[manager]` section. */
  apiBase?: string;
  /** `[[mirrors]]` TOML. */
  mirrors: string;
  /** More `[global]` keys (`concurrent`, `interval`, `retry`, …). */
  global?: Record<string, TomlValue>;
  /** More `[manager]` keys (`ca_cert`, `token`, `client_cert`, …). */
  manager?: Record<string, TomlValue>;
  /** More `[server]` keys (`ssl_cert`, `ssl_key`); the control server is on 127.0.0.1:0. */
  server?: Record<string, TomlValue>;
  /** Other sections (`[docker]`, `[cgroup]`, …) as TOML, placed before the mirrors. */
  sections?: string;
  /** Where to write it (default `<dir>/worker.conf`). */
  file?: string;
}

const tomlLines = (values: Record<string, TomlValue> = {}): string[] =>
  Object.entries(values).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);

/** The worker.conf text for `c`. */
export function workerConfText(c: TestWorkerConf): string {
  return [
    '[global]',
    `name = ${JSON.stringify(c.name ?? 'w1')}`,
    `log_dir = ${JSON.stringify(join(c.dir, 'log', '{{.Name}}'))}`,
    `mirror_dir = ${JSON.stringify(join(c.dir, 'data'))}`,
    ...tomlLines(c.global),
    ...(c.apiBase !== undefined ? ['[manager]', `api_base = ${JSON.stringify(c.apiBase)}`, ...tomlLines(c.manager)] : []),
    '[server]',
    'hostname = "127.0.0.1"',
    'listen_addr = "127.0.0.1"',
    'listen_port = 0',
    ...tomlLines(c.server),
    c.sections ?? '',
    c.mirrors,
  ].join('\n');
}

/** Writes the worker.conf and parses it as the worker would. */
export function writeWorkerConf(c: TestWorkerConf): { file: string; config: WorkerConfig; warnings: string[] } {
  const text = workerConfText(c);
  const file = c.file ?? join(c.dir, 'worker.conf');
  writeFileSync(file, text);
  const { config, warnings } = parseWorkerConfig(text, file);
  return { file, config, warnings };
}

/** Creates (does not start) a worker on a written worker.conf. Test defaults: silent, grace 300 ms, backoff ≤ 200 ms, register wait 3 s. */
export async function createTestWorker(
  c: TestWorkerConf & { options?: Partial<WorkerOptions>; strict?: boolean },
): Promise<Worker> {
  const { config, warnings } = writeWorkerConf(c);
  if (c.strict && warnings.length > 0) throw new Error(`worker.conf warnings: ${warnings.join('; ')}`);
  // Loaded on first use, so tests that never start a worker do not load it.
  const { createWorker } = await import('@tunasync/worker');
  return createWorker({ config, logger: createSilentLogger(), graceMs: 300, maxBackoffMs: 200, registerWaitMs: 3000, ...c.options });
}
