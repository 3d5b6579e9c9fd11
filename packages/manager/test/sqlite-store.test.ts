import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { emptyMirrorStatus } from '@tunasync/core';
import { MIGRATIONS, SCHEMA_VERSION, SqliteJobStore, StoreOpenError, detectDbFile, openJobStore } from '@tunasync/manager';
import { describeJobStore } from '@tunasync/testkit';

const dir = mkdtempSync(join(tmpdir(), 'tunasync-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A SqliteJobStore on `file`, initialised. */
async function opened(file: string, options: ConstructorParameters<typeof SqliteJobStore>[1] = {}): Promise<SqliteJobStore> {
  const store = new SqliteJobStore(file, options);
  await store.init();
  return store;
}

const sqliteFiles = (dbFile: string) => ({ dbType: 'sqlite', dbFile, caCert: '' });

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
    const store = await opened(file);
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
    const store = await opened(join(dir, 'group.db'));
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
    const a = await opened(file);
    const b = await opened(file);
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
    await (await opened(file)).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 0);
    db.close();
    await expect(new SqliteJobStore(file).init()).rejects.toThrow(/newer than this tunasync-ts understands/);
    await expect(openJobStore(sqliteFiles(file))).rejects.toThrow(StoreOpenError);
  });

  it('reopening an up-to-date database applies no migration twice', async () => {
    const file = join(dir, 'twice.db');
    await (await opened(file)).close();
    await (await opened(file)).close();
    const db = new Database(file, { readonly: true });
    const n = (db.prepare('SELECT COUNT(*) AS n FROM schema_version').get() as { n: number }).n;
    db.close();
    expect(n).toBe(MIGRATIONS.length);
  });
});

describe('SqliteJobStore init', () => {
  it('the constructor does no I/O; every method fails clearly until init()', async () => {
    const file = join(dir, 'later', 'lazy.db');
    const store = new SqliteJobStore(file);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(dir, 'later'))).toBe(false);
    const notYet = /store .*lazy\.db is not initialised: call and await init\(\) before using it/;
    await expect(store.listWorkers()).rejects.toThrow(notYet);
    await expect(store.updateMirrorStatus('w', 'a', () => emptyMirrorStatus('a', 'w'))).rejects.toThrow(notYet);
    await expect(store.healthCheck()).rejects.toThrow(notYet);
    expect(() => store.generation()).toThrow(notYet);
    await store.init();
    expect(detectDbFile(file)).toBe('sqlite');
    expect(await store.listWorkers()).toEqual([]);
    await store.close();
    await expect(store.init()).rejects.toThrow(/is closed/);
  });

  it('close() before init() touches nothing', async () => {
    const file = join(dir, 'never.db');
    const store = new SqliteJobStore(file);
    await store.close();
    expect(existsSync(file)).toBe(false);
    await expect(store.listWorkers()).rejects.toThrow(/is closed/);
  });
});

describe('openJobStore with db_type sqlite', () => {
  it('opens sqlite (any case), creates the directory and resolves initialised', async () => {
    const file = join(dir, 'nested', 'deeper', 'm.db');
    const store = await openJobStore({ dbType: 'SQLite', dbFile: file, caCert: '' });
    await store.createWorker({ id: 'w', url: 'http://w/', token: '', lastOnline: new Date(0), lastRegister: new Date(0) });
    await store.close();
    expect(detectDbFile(file)).toBe('sqlite');
  });

  it.each(['bolt', 'badger', 'leveldb', 'Bolt'])('refuses tunasync\'s db_type %s with today\'s message', async (type) => {
    const file = join(dir, `x-${type}.db`);
    await expect(openJobStore({ dbType: type, dbFile: file, caCert: '' })).rejects.toThrow(
      new RegExp(`db_type = "${type}" is not supported: tunasync-ts stores its state in SQLite only.*bolt, badger and leveldb stores cannot be used`),
    );
    expect(existsSync(file)).toBe(false);
  });

  it('recognises a Bolt file from tunasync and says it is not readable', async () => {
    const file = join(dir, 'manager.db');
    writeBoltFile(file);
    expect(detectDbFile(file)).toBe('bolt');
    await expect(openJobStore(sqliteFiles(file))).rejects.toThrow(/Bolt database.*cannot read/);
    await expect(new SqliteJobStore(file).init()).rejects.toThrow(StoreOpenError);
  });

  it('refuses a file that is neither SQLite nor Bolt instead of overwriting it', async () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'hello, this is not a database at all');
    expect(detectDbFile(file)).toBe('other');
    await expect(openJobStore(sqliteFiles(file))).rejects.toThrow(/not a SQLite database/);
    await expect(openJobStore(sqliteFiles(''))).rejects.toThrow(/db_file is empty/);
  });

  it('accepts an empty file and :memory:', async () => {
    const file = join(dir, 'empty.db');
    writeFileSync(file, '');
    expect(detectDbFile(file)).toBe('empty');
    await (await openJobStore(sqliteFiles(file))).close();
    expect(detectDbFile(file)).toBe('sqlite');
    const mem = await openJobStore(sqliteFiles(':memory:'));
    expect(await mem.listWorkers()).toEqual([]);
    await mem.close();
  });
});
