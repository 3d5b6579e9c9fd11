/**
 * openJobStore beyond SQLite: injected factories, store packages loaded by
 * convention (`db_type = "x"` → `@tunasync/store-x`, exporting
 * createJobStore), a missing package, TUNASYNC_DB_URL, and a store whose
 * init() fails (closed again, password kept out of the message).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSilentLogger, type Clock, type JobStoreFactory, type JobStoreFactoryOptions, type ManagerConfig } from '@tunasync/core';
import { SqliteJobStore, StoreOpenError, openJobStore, redactDbUrl, startManager, storePackageName } from '@tunasync/manager';

const dir = mkdtempSync(join(tmpdir(), 'tunasync-open-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = (dbType: string, dbFile = '') => ({ dbType, dbFile, caCert: '' });
let n = 0;

/** A SQLite-backed store that counts its init() and close() calls. */
class CountingStore extends SqliteJobStore {
  inits = 0;
  closes = 0;
  override async init(): Promise<void> {
    this.inits++;
    await super.init();
  }
  override async close(): Promise<void> {
    this.closes++;
    await super.close();
  }
}

/** A factory that records what it was given and the stores it made. */
function recordingFactory(): { factory: JobStoreFactory; calls: JobStoreFactoryOptions[]; made: CountingStore[] } {
  const calls: JobStoreFactoryOptions[] = [];
  const made: CountingStore[] = [];
  const factory: JobStoreFactory = (options) => {
    calls.push(options);
    const store = new CountingStore(join(dir, `plugged-${++n}.db`));
    made.push(store);
    return store;
  };
  return { factory, calls, made };
}

describe('openJobStore: injected factories', () => {
  it('uses an injected factory for its db_type, passing url, logger and clock, and runs init()', async () => {
    const { factory, calls, made } = recordingFactory();
    const logger = createSilentLogger();
    const clock: Clock = { now: () => new Date(42) };
    const store = await openJobStore(files('Memo', 'memo://here'), { factories: { memo: factory }, logger, clock, env: {} });
    try {
      expect(calls).toEqual([{ dbType: 'memo', url: 'memo://here', logger, clock }]);
      expect(store).toBe(made[0]);
      expect(made[0]!.inits).toBe(1);
      expect(await store.listWorkers()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('TUNASYNC_DB_URL overrides db_file for other types, not for sqlite', async () => {
    const { factory, calls } = recordingFactory();
    const env = { TUNASYNC_DB_URL: 'memo://from-env' };
    await (await openJobStore(files('memo', 'memo://from-conf'), { factories: { memo: factory }, env })).close();
    expect(calls[0]!.url).toBe('memo://from-env');
    const sqliteFile = join(dir, 'not-overridden.db');
    const sqlite = (await openJobStore(files('sqlite', sqliteFile), { env })) as SqliteJobStore;
    expect(sqlite.file).toBe(sqliteFile);
    await sqlite.close();
    await expect(openJobStore(files('memo', ''), { factories: { memo: factory }, env: {} })).rejects.toThrow(
      /db_file is empty: set it \(or TUNASYNC_DB_URL\) to where the memo store lives/,
    );
  });

  it('a store whose init() fails is closed, and the message hides the password', async () => {
    let made: CountingStore | undefined;
    const failing: JobStoreFactory = () => {
      made = new CountingStore(join(dir, 'failing.db'));
      made.init = async () => {
        throw new Error('connection refused');
      };
      return made;
    };
    const opening = openJobStore(files('memo', 'memo://admin:s3cret@db.example:5432/tunasync'), { factories: { memo: failing }, env: {} });
    await expect(opening).rejects.toThrow(StoreOpenError);
    await expect(opening).rejects.toThrow('cannot open the memo store (memo://admin:***@db.example:5432/tunasync): connection refused');
    await opening.catch((err: Error) => expect(err.message).not.toContain('s3cret'));
    expect(made!.closes).toBe(1);
  });
});

describe('openJobStore: store packages by convention', () => {
  it('names the package @tunasync/store-<db_type>', () => {
    expect(storePackageName('postgres')).toBe('@tunasync/store-postgres');
    expect(storePackageName('redis')).toBe('@tunasync/store-redis');
  });

  it('imports @tunasync/store-<type> and calls its createJobStore', async () => {
    const { factory, calls, made } = recordingFactory();
    const imported: string[] = [];
    const importModule = async (specifier: string): Promise<unknown> => {
      imported.push(specifier);
      return { createJobStore: factory };
    };
    const store = await openJobStore(files('postgres', 'postgres://db/x'), { importModule, env: {} });
    await store.close();
    expect(imported).toEqual(['@tunasync/store-postgres']);
    expect(calls.map((c) => [c.dbType, c.url])).toEqual([['postgres', 'postgres://db/x']]);
    expect(made[0]!.inits).toBe(1);
  });

  it('refuses a package that does not implement JobStoreModule', async () => {
    const importModule = async (): Promise<unknown> => ({ somethingElse: true });
    await expect(openJobStore(files('postgres', 'postgres://db/x'), { importModule, env: {} })).rejects.toThrow(
      /@tunasync\/store-postgres \(for \[files\] db_type = "postgres"\) does not export createJobStore\(options\)/,
    );
  });

  it.each(['postgres', 'redis'])('db_type %s loads the installed @tunasync/store-<type> (real import); an unreachable server is refused', async (type) => {
    const opening = openJobStore(files(type, `${type}://user:pw-s3cret@127.0.0.1:1/tunasync`), { env: {} });
    await expect(opening).rejects.toThrow(StoreOpenError);
    await expect(opening).rejects.toThrow(`cannot open the ${type} store (${type}://user:***@127.0.0.1:1/tunasync)`);
  });

  it.each(['mysql', 'mongodb'])('a missing package for db_type %s names it and the install command', async (type) => {
    // The real dynamic import(): none of these packages is installed here.
    const opening = openJobStore(files(type, `${type}://db.example/tunasync`), { env: {} });
    await expect(opening).rejects.toThrow(StoreOpenError);
    await expect(opening).rejects.toThrow(
      `[files] db_type = "${type}" needs the package @tunasync/store-${type}, which is not installed: ` +
        `run \`npm install @tunasync/store-${type}\` where @tunasync/manager is installed`,
    );
  });

  it('a package that fails to load for another reason says so', async () => {
    const importModule = async (): Promise<unknown> => {
      throw new SyntaxError('Unexpected token');
    };
    await expect(openJobStore(files('postgres', 'postgres://db/x'), { importModule, env: {} })).rejects.toThrow(
      'cannot load @tunasync/store-postgres for [files] db_type = "postgres": Unexpected token',
    );
  });

  it('refuses a db_type that cannot name a package', async () => {
    const importModule = async (): Promise<unknown> => {
      throw new Error('must not be called');
    };
    for (const type of ['../../etc', 'a b', '@evil/x', '']) {
      await expect(openJobStore(files(type, 'x'), { importModule, env: {} })).rejects.toThrow(/is not a store type/);
    }
  });
});

function managerConfig(dbType: string, dbFile: string): ManagerConfig {
  return {
    debug: false,
    server: { addr: '127.0.0.1', port: 0, sslCert: '', sslKey: '', clientCa: '' },
    files: { dbType, dbFile, caCert: '' },
    auth: { workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true },
  };
}

describe('startManager and stores', () => {
  it('opens a store from storeFactories by db_type, and closes it on close()', async () => {
    const { factory, made } = recordingFactory();
    const m = await startManager(managerConfig('memo', 'memo://x'), { storeFactories: { memo: factory } });
    try {
      expect(m.store).toBe(made[0]);
      expect(made[0]!.inits).toBe(1);
      const reg = await fetch(`${m.url}/workers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'w', url: 'http://127.0.0.1:1/' }),
      });
      expect(reg.status).toBe(200);
      expect((await made[0]!.listWorkers()).map((w) => w.id)).toEqual(['w']);
    } finally {
      await m.close();
    }
    expect(made[0]!.closes).toBe(1);
  });

  it('calls init() of an injected store (idempotent), and closes it when init() fails', async () => {
    const ready = new CountingStore(join(dir, 'injected.db'));
    await ready.init();
    const m = await startManager(managerConfig('sqlite', join(dir, 'unused.db')), { store: ready });
    await m.close();
    expect(ready.inits).toBe(2);
    expect(ready.closes).toBe(1);

    const broken = new CountingStore(join(dir, 'broken-injected.db'));
    broken.init = async () => {
      throw new Error('cannot reach the database');
    };
    await expect(startManager(managerConfig('sqlite', join(dir, 'unused.db')), { store: broken })).rejects.toThrow('cannot reach the database');
    expect(broken.closes).toBe(1);
  });
});

describe('redactDbUrl', () => {
  it('hides passwords and leaves the rest', () => {
    expect(redactDbUrl('postgres://u:p%40ss@h:5432/db?sslmode=require')).toBe('postgres://u:***@h:5432/db?sslmode=require');
    expect(redactDbUrl('redis://h:6379/0')).toBe('redis://h:6379/0');
    expect(redactDbUrl('/var/lib/tunasync/manager.db')).toBe('/var/lib/tunasync/manager.db');
  });
});
