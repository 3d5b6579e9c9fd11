/** Temporary directories that are removed: one by one, or all of a test's at once. */
import { afterAll, afterEach } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh directory under the system's temp dir. */
export interface TempDir {
  readonly dir: string;
  /** `join(dir, ...parts)`. */
  path(...parts: string[]): string;
  /** Writes `text` at `dir/rel` (parents created); returns the file's path. */
  write(rel: string, text: string | Buffer): string;
  /** Removes the directory and everything in it (idempotent). */
  cleanup(): void;
}

/** Makes a temp dir named `<prefix>XXXXXX`; the caller removes it with `cleanup()` (or use `useTempDirs`). */
export function tempDir(prefix = 'tunasync-test-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (...parts) => join(dir, ...parts),
    write(rel, text) {
      const file = join(dir, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Makes temp dirs that are all removed together. */
export interface TempDirs {
  /** A new temp dir, removed with the others. */
  make(prefix?: string): TempDir;
  /** Removes every dir made so far (also run by the jest hook `useTempDirs` registered). */
  cleanup(): void;
}

/** A registry of temp dirs; `cleanup()` removes them all. */
export function tempDirs(): TempDirs {
  const made: TempDir[] = [];
  return {
    make(prefix) {
      const t = tempDir(prefix);
      made.push(t);
      return t;
    },
    cleanup() {
      for (const t of made.splice(0)) t.cleanup();
    },
  };
}

/**
 * A registry whose dirs jest removes after each test (`'each'`, the
 * default) or after the file's last test (`'all'`). Call it at the top of a
 * test file or a `describe`.
 */
export function useTempDirs(scope: 'each' | 'all' = 'each'): TempDirs {
  const dirs = tempDirs();
  (scope === 'each' ? afterEach : afterAll)(() => dirs.cleanup());
  return dirs;
}
