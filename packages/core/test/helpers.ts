/** Helpers shared by core's tests (not a test file itself), on @tunasync/testkit. */
import { repoRoot as root, tempDir, type TempDir as KitTempDir } from '@tunasync/testkit';

/** A temporary directory; `write` creates files in it (parents too), `remove` deletes it all. */
export interface TempDir extends KitTempDir {
  remove(): void;
}

/** The testkit's `tempDir`, with core's tests' name for `cleanup`. */
export function makeTempDir(prefix = 'tunasync-core-'): TempDir {
  const t = tempDir(prefix);
  return { ...t, remove: t.cleanup };
}

/** The repository root. */
export function repoRoot(): string {
  return root;
}
