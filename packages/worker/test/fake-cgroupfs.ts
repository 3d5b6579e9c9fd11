/**
 * A temporary directory laid out like a cgroup filesystem, with the kernel's
 * behaviour the worker relies on: mkdir makes the interface files, writing a
 * pid to `cgroup.procs` moves it out of every other group, `cgroup.procs`
 * lists only live processes, rmdir refuses a group with children or
 * processes, and v2 refuses to enable a controller in a group with
 * processes.
 */
import { access, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CgroupFs, CgroupVersion } from '@tunasync/worker';

const fail = (code: string, path: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: ${path}`), { code });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What FakeCgroupFs.create lays out. */
export interface FakeLayout {
  version: CgroupVersion;
  /** The group holding `pids`, relative to the hierarchy (`/system.slice/tunasync.service`). */
  own: string;
  /** Processes in `own`. */
  pids: number[];
  /** Controllers the own group may distribute (v2 cgroup.controllers). */
  controllers?: string;
}

/** The fake cgroupfs; `writes` records every write as `relative/path=text`. */
export class FakeCgroupFs implements CgroupFs {
  readonly writes: string[] = [];
  /** When set, mkdir fails with this errno code (a cgroupfs the worker may not write). */
  denyMkdir: string | undefined;

  private constructor(
    /** The mount root (what /sys/fs/cgroup is). */
    readonly root: string,
    readonly version: CgroupVersion,
  ) {}

  /** Lays out a v1 (memory hierarchy) or v2 tree under `root` and writes `<root>/self.cgroup` for the own group. */
  static create(root: string, layout: FakeLayout): FakeCgroupFs {
    const fs = new FakeCgroupFs(root, layout.version);
    const hier = layout.version === 2 ? root : join(root, 'memory');
    mkdirSync(hier, { recursive: true });
    const controllers = layout.controllers ?? 'cpu memory pids';
    // v2: the root distributes every controller down to the own group's parent (as systemd does).
    const fill = (dir: string, distribute: boolean): void => {
      writeFileSync(join(dir, 'cgroup.procs'), '');
      if (layout.version === 2) {
        writeFileSync(join(dir, 'cgroup.subtree_control'), distribute ? controllers : '');
        if (dir !== hier && controllers.split(' ').includes('memory')) writeFileSync(join(dir, 'memory.max'), 'max\n');
      } else writeFileSync(join(dir, 'memory.limit_in_bytes'), '9223372036854771712\n');
    };
    if (layout.version === 2) writeFileSync(join(hier, 'cgroup.controllers'), controllers);
    const parts = layout.own.split('/').filter(Boolean);
    fill(hier, parts.length > 0);
    let dir = hier;
    parts.forEach((part, i) => {
      dir = join(dir, part);
      mkdirSync(dir);
      fill(dir, i < parts.length - 1);
    });
    writeFileSync(join(dir, 'cgroup.procs'), layout.pids.map((p) => `${p}\n`).join(''));
    const self = layout.version === 2 ? `0::${layout.own}\n` : `12:pids:/\n4:memory:${layout.own}\n1:name=systemd:/\n0::/\n`;
    writeFileSync(join(root, 'self.cgroup'), self);
    return fs;
  }

  /** The hierarchy directory. */
  get hierarchy(): string {
    return this.version === 2 ? this.root : join(this.root, 'memory');
  }

  async exists(path: string): Promise<boolean> {
    return access(path).then(
      () => true,
      () => false,
    );
  }

  async mkdir(path: string): Promise<void> {
    if (this.denyMkdir) throw fail(this.denyMkdir, path);
    await mkdir(path);
    await writeFile(join(path, 'cgroup.procs'), '');
    if (this.version === 2) {
      await writeFile(join(path, 'cgroup.subtree_control'), '');
      if ((await this.words(join(path, '..', 'cgroup.subtree_control'))).includes('memory')) await this.memoryFiles(path, true);
    } else {
      await writeFile(join(path, 'memory.limit_in_bytes'), '9223372036854771712\n');
      await writeFile(join(path, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
    }
  }

  /** v2: a group's memory interface files come and go with the parent's subtree_control. */
  private async memoryFiles(dir: string, present: boolean): Promise<void> {
    if (present) {
      await writeFile(join(dir, 'memory.max'), 'max\n');
      await writeFile(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
    } else {
      await rm(join(dir, 'memory.max'), { force: true });
      await rm(join(dir, 'memory.events'), { force: true });
    }
  }

  private async words(file: string): Promise<string[]> {
    return (await readFile(file, 'utf8').catch(() => '')).split(/\s+/).filter(Boolean);
  }

  async rmdir(path: string): Promise<void> {
    const entries = await readdir(path, { withFileTypes: true });
    if (entries.some((e) => e.isDirectory())) throw fail('EBUSY', path);
    if ((await this.pids(path)).length > 0) throw fail('EBUSY', path);
    await rm(path, { recursive: true });
  }

  async read(path: string): Promise<string> {
    if (path.endsWith('/cgroup.procs')) return (await this.pids(join(path, '..'))).map((p) => `${p}\n`).join('');
    // v2: a group may use what its parent distributes.
    if (path.endsWith('/cgroup.controllers') && join(path, '..') !== this.hierarchy) return readFile(join(path, '..', '..', 'cgroup.subtree_control'), 'utf8');
    return readFile(path, 'utf8');
  }

  async write(path: string, text: string): Promise<void> {
    this.writes.push(`${relative(this.root, path)}=${text}`);
    const dir = join(path, '..');
    if (path.endsWith('/cgroup.procs')) {
      const pid = Number(text.trim());
      if (!alive(pid)) throw fail('ESRCH', path);
      await this.removeEverywhere(this.hierarchy, pid);
      await writeFile(path, `${(await this.pids(dir)).concat(pid).join('\n')}\n`);
      return;
    }
    if (path.endsWith('/cgroup.subtree_control')) {
      const current = new Set(await this.words(path));
      const available = (await this.read(join(dir, 'cgroup.controllers'))).split(/\s+/);
      for (const word of text.split(/\s+/).filter(Boolean)) {
        const name = word.slice(1);
        if (word.startsWith('+')) {
          if (!available.includes(name)) throw fail('ENOENT', path);
          if (dir !== this.hierarchy && (await this.pids(dir)).length > 0) throw fail('EBUSY', path);
          current.add(name);
        } else current.delete(name);
      }
      await writeFile(path, [...current].join(' '));
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await this.memoryFiles(join(dir, e.name), current.has('memory'));
      }
      return;
    }
    await writeFile(path, text);
  }

  /** Live pids listed in a group. */
  async pids(dir: string): Promise<number[]> {
    let text: string;
    try {
      text = await readFile(join(dir, 'cgroup.procs'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => /^\d+$/.test(l.trim()))
      .map(Number)
      .filter(alive);
  }

  private async removeEverywhere(dir: string, pid: number): Promise<void> {
    const procs = join(dir, 'cgroup.procs');
    const pids = await this.pids(dir);
    if (pids.includes(pid)) await writeFile(procs, pids.filter((p) => p !== pid).map((p) => `${p}\n`).join(''));
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await this.removeEverywhere(join(dir, e.name), pid);
    }
  }
}
