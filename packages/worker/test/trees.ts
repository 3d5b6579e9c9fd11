/**
 * Directory trees for the rsync tests: writing files with chosen contents,
 * modes and times, and a comparable snapshot of a tree (type, mode, size,
 * content hash, mtime, symlink target, hard-link groups) so two trees can be
 * checked for identity with one `toEqual`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One entry of a snapshot. */
export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink';
  /** Permission bits (files and directories). */
  mode?: number;
  size?: number;
  /** sha1 of a file's contents. */
  sha1?: string;
  /** Whole seconds (files). */
  mtime?: number;
  /** A symlink's target. */
  target?: string;
}

/** A tree as data: entries by relative path, and every group of hard-linked names. */
export interface TreeSnapshot {
  entries: Record<string, TreeEntry>;
  hardLinks: string[][];
}

/** Writes `content` at `root/rel` (parents created), with optional mode and mtime (seconds). */
export function put(root: string, rel: string, content: string | Buffer, opts: { mode?: number; mtime?: number } = {}): string {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content, opts.mode !== undefined ? { mode: opts.mode } : {});
  if (opts.mtime !== undefined) utimesSync(file, opts.mtime, opts.mtime);
  return file;
}

/** Makes `root/rel` a symlink to `target`. */
export function symlinkAt(root: string, rel: string, target: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  symlinkSync(target, join(root, rel));
}

/** Makes `root/rel` a hard link of `root/existing`. */
export function hardLinkAt(root: string, existing: string, rel: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  linkSync(join(root, existing), join(root, rel));
}

/** Bytes of `rel` paths under `root` for which `pred` holds, as rsync's "Total file size" counts them: regular files per name, symlinks by target length. */
export function rsyncTotalBytes(root: string, pred: (rel: string) => boolean = () => true): number {
  let total = 0;
  for (const [rel, e] of Object.entries(snapshot(root).entries)) {
    if (!pred(rel)) continue;
    if (e.type === 'file') total += e.size!;
    else if (e.type === 'symlink') total += Buffer.byteLength(e.target!);
  }
  return total;
}

/** A comparable picture of the tree under `root` (the root itself excluded). */
export function snapshot(root: string): TreeSnapshot {
  const entries: Record<string, TreeEntry> = {};
  const inodes = new Map<number, string[]>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = join(root, r);
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) entries[r] = { type: 'symlink', target: readlinkSync(abs) };
      else if (st.isDirectory()) {
        entries[r] = { type: 'dir', mode: st.mode & 0o7777 };
        walk(r);
      } else {
        entries[r] = {
          type: 'file',
          mode: st.mode & 0o7777,
          size: st.size,
          sha1: createHash('sha1').update(readFileSync(abs)).digest('hex'),
          mtime: Math.floor(st.mtimeMs / 1000),
        };
        if (st.nlink > 1) inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), r]);
      }
    }
  };
  walk('');
  const hardLinks = [...inodes.values()].filter((g) => g.length > 1).map((g) => g.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return { entries, hardLinks };
}

/** Every path under `root` whose last component is `name`. */
export function findNamed(root: string, name: string): string[] {
  return Object.keys(snapshot(root).entries).filter((r) => r.split('/').at(-1) === name);
}

/**
 * The sample upstream: nested directories, small files with varied modes
 * and old mtimes, one large file of `largeBytes`, a relative symlink inside
 * the tree, an unsafe absolute symlink (which `--safe-links` skips), and a
 * file with three hard-linked names across directories.
 */
export function makeSampleTree(root: string, largeBytes = 16 * 1024 * 1024): void {
  const t0 = 1_700_000_000;
  put(root, 'README', 'sample mirror\n', { mtime: t0 });
  for (let i = 0; i < 12; i++) {
    const dir = ['a', 'a/b', 'a/b/c', 'd', 'd/e'][i % 5]!;
    put(root, `${dir}/f${i}.txt`, randomBytes(100 + i * 37).toString('hex'), { mode: i % 3 === 0 ? 0o600 : 0o644, mtime: t0 + i });
  }
  put(root, 'bin/tool.sh', '#!/bin/sh\necho tool\n', { mode: 0o755, mtime: t0 });
  put(root, 'big/large.iso', randomBytes(largeBytes), { mtime: t0 + 100 });
  symlinkAt(root, 'a/readme-link', '../README');
  symlinkAt(root, 'a/unsafe-link', '/etc/hostname');
  put(root, 'd/shared.dat', randomBytes(4096), { mtime: t0 + 200 });
  hardLinkAt(root, 'd/shared.dat', 'd/e/shared-again.dat');
  hardLinkAt(root, 'd/shared.dat', 'a/b/shared-third.dat');
  mkdirSync(join(root, 'empty-dir'));
}
