/**
 * Which class syncs a mirror: a built-in (`rsync`, `two-stage-rsync`,
 * `command`) or a custom provider from a module. A mirror's `provider` may
 * name a file (`./providers/git.js`, relative to worker.conf, or absolute) or
 * an installed package; the module exports `createProvider(mirror)` (sync or
 * async), or a default export that is such a function or a class taking the
 * mirror config.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILTIN_PROVIDERS, ConfigError, errorMessage, type MirrorConfig, type Provider } from '@tunasync/core';
import { CommandProvider } from './command-provider.js';
import { RsyncProvider, TwoStageRsyncProvider } from './rsync-provider.js';

/** Makes a provider for a mirror. */
export type ProviderFactory = (mirror: MirrorConfig) => Provider | Promise<Provider>;

const BUILTINS: Record<(typeof BUILTIN_PROVIDERS)[number], ProviderFactory> = {
  rsync: (m) => new RsyncProvider(m),
  'two-stage-rsync': (m) => new TwoStageRsyncProvider(m),
  command: (m) => new CommandProvider(m),
};

/** True for a built-in provider name. */
export function isBuiltinProvider(kind: string): kind is (typeof BUILTIN_PROVIDERS)[number] {
  return (BUILTIN_PROVIDERS as readonly string[]).includes(kind);
}

/** True when `kind` names a file rather than a package. */
function isPath(kind: string): boolean {
  return kind.startsWith('./') || kind.startsWith('../') || isAbsolute(kind);
}

/** Where a custom provider module is loaded from: a file URL, or the package name as is. */
export function providerModuleSpecifier(mirror: MirrorConfig): string {
  const kind = mirror.provider;
  if (!isPath(kind)) return kind;
  return pathToFileURL(resolve(dirname(mirror.source.file), kind)).href;
}

/**
 * Checks, without loading anything, that a custom provider file exists;
 * returns a problem message or undefined. (Packages are checked when loaded.)
 * Also used by --dry-run.
 */
export function checkProviderReference(mirror: MirrorConfig): string | undefined {
  if (isBuiltinProvider(mirror.provider) || !isPath(mirror.provider)) return undefined;
  const file = resolve(dirname(mirror.source.file), mirror.provider);
  return existsSync(file) ? undefined : `provider module ${file} does not exist`;
}

function fail(mirror: MirrorConfig, message: string): ConfigError {
  return new ConfigError([{ file: mirror.source.file, path: `${mirror.source.path}.provider`, message }]);
}

/**
 * Loads a custom provider's module and finds its factory (`createProvider`
 * or the default export), without calling it; a ConfigError naming the
 * mirror's `provider` key when the module cannot be loaded or exports
 * neither. Used by createProvider and by checkWorkerConfig.
 */
export async function loadProviderFactory(mirror: MirrorConfig): Promise<ProviderFactory> {
  const missing = checkProviderReference(mirror);
  if (missing) throw fail(mirror, missing);
  const spec = providerModuleSpecifier(mirror);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (err) {
    throw fail(mirror, `cannot load provider module ${JSON.stringify(mirror.provider)}: ${errorMessage(err)}`);
  }
  const exported = mod.createProvider ?? mod.default;
  if (typeof exported !== 'function') {
    throw fail(mirror, `provider module ${JSON.stringify(mirror.provider)} exports neither createProvider nor a default`);
  }
  const isClass = /^class\b/.test(Function.prototype.toString.call(exported));
  return isClass ? (m) => new (exported as new (m: MirrorConfig) => Provider)(m) : (exported as ProviderFactory);
}

/** Creates the provider of a mirror; a custom module that cannot be loaded is a ConfigError naming the mirror. */
export async function createProvider(mirror: MirrorConfig): Promise<Provider> {
  if (isBuiltinProvider(mirror.provider)) return BUILTINS[mirror.provider](mirror);
  const provider = await (await loadProviderFactory(mirror))(mirror);
  if (!provider || typeof provider.run !== 'function') {
    throw fail(mirror, `provider module ${JSON.stringify(mirror.provider)} did not give an object with run()`);
  }
  return provider;
}
