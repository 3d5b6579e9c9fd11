import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { emptyMirrorStatus } from '@tunasync/core';
import { MIGRATIONS, SCHEMA_VERSION, SqliteJobStore, StoreOpenError, detectDbFile, openStore } from '@tunasync/manager';
import { describeJobStore } from '@tunasync/testkit';

const dir = mkdtempSync(join(tmpdir(), 'tunasync-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
let lastFile = '';
describeJobStore('SqliteJobStore', {
  makeStore: () => {
    lastFile = join(dir, `conf-${++counter}.db`);
    return new SqliteJobStore(lastFile);
  },
  reopen: () => new SqliteJobStore(lastFile),
});

describeJobStore('SqliteJobStore without group commit', {
  makeStore: () => new SqliteJobStore(join(dir, `nogroup-${++counter}.db`), { groupCommit: false, synchronous: 'normal' }),
});

/** A file shaped like a bbolt database: page header, then the meta magic. */
function writeBoltFile(file: string): void {
  const page = Buffer.alloc(4096);
  page.writeUInt16LE(0x04, 8); // meta page flag
  page.writeUInt32LE(0xed0cdaed, 16); // magic
  page.writeUInt32LE(2, 20); // version
  writeFileSync(file, Buffer.concat([page, page]));
}

describe('SqliteJobStore on disk', () => {
  it('uses WAL and records the schema version', async () => {
    const file = join(dir, 'wal.db');
    const store = new SqliteJobStore(file);
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const rows = db.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[];
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(rows.at(-1)?.version).toBe(SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it('group commit: writes issued together succeed or fail one by one', async () => {
    const store = new SqliteJobStore(join(dir, 'group.db'));
    try {
      const results = await Promise.allSettled([
        store.updateMirrorStatus('w', 'a', () => ({ ...emptyMirrorStatus('a', 'w'), size: '1' })),
        store.updateMirrorStatus('w', 'b', () => {
          throw new Error('no');
        }),
        store.updateMirrorStatus('w', 'c', () => ({ ...emptyMirrorStatus('c', 'w'), size: '3' })),
        store.setSchedules('w', [{ name: 'a', nextSchedule: new Date(5000) }]),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((await store.listAllMirrorStatus()).map((s) => s.name)).toEqual(['a', 'c']);
      expect((await store.getMirrorStatus('w', 'a'))?.nextSchedule).toEqual(new Date(5000));
    } finally {
      await store.close();
    }
  });

  it('generation changes with its own and other connections’ commits only', async () => {
    const file = join(dir, 'gen.db');
    const a = new SqliteJobStore(file);
    const b = new SqliteJobStore(file);
    try {
      const g0 = a.generation();
      await a.listAllMirrorStatus();
      expect(a.generation()).toBe(g0);
      await a.updateMirrorStatus('w', 'x', () => emptyMirrorStatus('x', 'w'));
      const g1 = a.generation();
      expect(g1).not.toBe(g0);
      await b.updateMirrorStatus('w', 'y', () => emptyMirrorStatus('y', 'w'));
      expect(a.generation()).not.toBe(g1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const file = join(dir, 'newer.db');
    await new SqliteJobStore(file).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 0);
    db.close();
    expect(() => new SqliteJobStore(file)).toThrow(/newer than this tunasync-ts understands/);
    expect(() => openStore({ dbType: 'sqlite', dbFile: file, caCert: '' })).toThrow(StoreOpenError);
  });

  it('reopening an up-to-date database applies no migration twice', async () => {
    const file = join(dir, 'twice.db');
    await new SqliteJobStore(file).close();
    await new SqliteJobStore(file).close();
    const db = new Database(file, { readonly: true });
    const n = (db.prepare('SELECT COUNT(*) AS n FROM schema_version').get() as { n: number }).n;
    db.close();
    expect(n).toBe(MIGRATIONS.length);
  });
});

describe('openStore', () => {
  it('opens sqlite (any case) and creates the directory', async () => {
    const file = join(dir, 'nested', 'deeper', 'm.db');
    const store = openStore({ dbType: 'SQLite', dbFile: file, caCert: '' });
    await store.createWorker({ id: 'w', url: 'http://w/', token: '', lastOnline: new Date(0), lastRegister: new Date(0) });
    await store.close();
    expect(detectDbFile(file)).toBe('sqlite');
  });

  it.each(['bolt', 'redis', 'badger', 'leveldb', 'postgres'])('refuses db_type %s with a clear message', (type) => {
    expect(() => openStore({ dbType: type, dbFile: join(dir, 'x.db'), caCert: '' })).toThrow(
      new RegExp(`db_type = "${type}" is not supported.*SQLite only`),
    );
  });

  it('recognises a Bolt file from tunasync and says it is not readable', () => {
    const file = join(dir, 'manager.db');
    writeBoltFile(file);
    expect(detectDbFile(file)).toBe('bolt');
    expect(() => openStore({ dbType: 'sqlite', dbFile: file, caCert: '' })).toThrow(/Bolt database.*cannot read/);
  });

  it('refuses a file that is neither SQLite nor Bolt instead of overwriting it', () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'hello, this is not a database at all');
    expect(detectDbFile(file)).toBe('other');
    expect(() => openStore({ dbType: 'sqlite', dbFile: file, caCert: '' })).toThrow(/not a SQLite database/);
    expect(() => openStore({ dbType: 'sqlite', dbFile: '', caCert: '' })).toThrow(/db_file is empty/);
  });

  it('accepts an empty file and :memory:', async () => {
    const file = join(dir, 'empty.db');
    writeFileSync(file, '');
    expect(detectDbFile(file)).toBe('empty');
    await openStore({ dbType: 'sqlite', dbFile: file, caCert: '' }).close();
    expect(detectDbFile(file)).toBe('sqlite');
    const mem = openStore({ dbType: 'sqlite', dbFile: ':memory:', caCert: '' });
    expect(await mem.listWorkers()).toEqual([]);
    await mem.close();
  });
});
