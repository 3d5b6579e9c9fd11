/**
 * `atomic_publish` (issue 18): readers of a mirror never see a half-synced
 * tree. The mirror path (`mirror_dir`) is a symlink to a generation
 * directory beside it, `.<name>.<gen>`; a run syncs into a staging copy of
 * the published generation, and only a
 * successful run is swapped in, by renaming a new symlink over the old one
 * (one atomic rename). A failed run's staging copy is removed; the published
 * tree is untouched. At most two generations are on disk: the published one
 * and the one before it (kept until the next run begins, so a reader that
 * resolved the path just before the swap, a download in progress or a
 * directory listing, finishes on an intact tree), or, during a run, the
 * published one and its staging copy.
 *
 * The staging copy is made with hard links (`cp -al`: cheap) when the
 * provider never writes into an existing file: rsync replaces a changed file
 * by renaming a new one over it (unless `--inplace`/`--append`). A command
 * may write into files (`echo > file` truncates the shared inode), so for
 * other providers the copy is `cp -a --reflink=auto`: a cheap reflink on
 * btrfs or XFS, a full copy elsewhere.
 *
 * A mirror directory that is still a plain directory is converted on the
 * first run: moved to generation 1 and replaced by a symlink to it (the only
 * moment the path is briefly missing).
 */
import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A staging copy of a mirror for one run. */
export interface Staging {
  /** Where this run syncs to. */
  dir: string;
  /** Swaps the staging copy in (the previous generation stays until the next run). */
  publish(): Promise<void>;
  /** Removes the staging copy (the published tree stays). */
  discard(): Promise<void>;
}

function generationName(name: string, gen: number): string {
  return `.${name}.${gen}`;
}

function generationOf(name: string, entry: string): number | undefined {
  const prefix = `.${name}.`;
  if (!entry.startsWith(prefix)) return undefined;
  const rest = entry.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

async function kindOf(path: string): Promise<'missing' | 'symlink' | 'directory' | 'other'> {
  try {
    const s = await lstat(path);
    return s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'directory' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

/** Points `link` at `target` (a name in the same directory) with one rename. */
async function swapLink(link: string, target: string): Promise<void> {
  const tmp = join(dirname(link), `.${basename(link)}.link-${process.pid}`);
  await rm(tmp, { force: true });
  await symlink(target, tmp);
  await rename(tmp, link);
}

/**
 * Prepares the staging copy of `mirrorDir` for a run: converts a plain
 * directory, removes stale generations (a crashed run's staging copy) and
 * hard-links the published generation into the next one.
 */
export async function prepareStaging(mirrorDir: string, options: { hardLinks?: boolean } = {}): Promise<Staging> {
  const parent = dirname(mirrorDir);
  const name = basename(mirrorDir);
  await mkdir(parent, { recursive: true });
  const kind = await kindOf(mirrorDir);
  if (kind === 'other') throw new Error(`${mirrorDir} is neither a directory nor a symlink`);
  if (kind === 'directory') {
    await rename(mirrorDir, join(parent, generationName(name, 1)));
    await symlink(generationName(name, 1), mirrorDir);
  }
  let current: number | undefined;
  if (kind !== 'missing') {
    current = generationOf(name, basename(await readlink(mirrorDir)));
    if (current === undefined) throw new Error(`${mirrorDir} is a symlink not made by tunasync (to ${await readlink(mirrorDir)})`);
  }
  for (const entry of await readdir(parent)) {
    const gen = generationOf(name, entry);
    if (gen !== undefined && gen !== current) await rm(join(parent, entry), { recursive: true, force: true });
  }
  const next = (current ?? 0) + 1;
  const dir = join(parent, generationName(name, next));
  if (current === undefined) await mkdir(dir);
  else await run('cp', [options.hardLinks ? '-al' : '-a', ...(options.hardLinks ? [] : ['--reflink=auto']), '--', join(parent, generationName(name, current)), dir]);
  return {
    dir,
    async publish() {
      await swapLink(mirrorDir, generationName(name, next));
    },
    async discard() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
