/**
 * `min_free_space` (issue 18): before a run, the free space of the
 * filesystem that holds the mirror directory is compared with the rule;
 * below it the run is skipped, with a message saying how much there is.
 */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatSize, type FreeSpaceRule } from '@tunasync/core';

/** Bytes free for an unprivileged writer, and the filesystem's size. */
export interface FilesystemSpace {
  free: number;
  total: number;
}

/** How the space of a path is read (injectable for tests of the message). */
export type SpaceReader = (path: string) => Promise<FilesystemSpace>;

/** statfs(2) of `path`, or of its nearest existing ancestor (the mirror directory may not exist yet). */
export const statfsSpace: SpaceReader = async (path) => {
  let p = path;
  for (;;) {
    try {
      const s = await statfs(p);
      return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
    } catch (err) {
      const parent = dirname(p);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === p) throw err;
      p = parent;
    }
  }
};

/** Bytes the rule requires on a filesystem of `total` bytes. */
export function requiredBytes(rule: FreeSpaceRule, total: number): number {
  return rule.bytes ?? Math.ceil((total * (rule.percent ?? 0)) / 100);
}

/**
 * Why a run in `dir` must be skipped under `rule` (`skipped: 12G free, need
 * 50G`), or undefined when there is room.
 */
export async function freeSpaceProblem(dir: string, rule: FreeSpaceRule, read: SpaceReader = statfsSpace): Promise<string | undefined> {
  const { free, total } = await read(dir);
  const need = requiredBytes(rule, total);
  if (free >= need) return undefined;
  const needText = rule.percent !== undefined ? `${rule.text} (${formatSize(need)})` : rule.text;
  return `skipped: ${formatSize(free)} free, need ${needText}`;
}
