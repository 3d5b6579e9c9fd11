/**
 * Set-up shared by the PostgreSQL store's test files: one test cluster for
 * the file, and stores opened on fresh databases, closed after each test.
 */
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { PostgresJobStore } from '@tunasync/store-postgres';
import { startTestPostgres, type TestPostgres } from '@tunasync/testkit';

/** Registers the hooks; `store(url?)` opens an initialised store (on a new database without `url`), `pg()` is the cluster. */
export function usePgStores(): { store(url?: string): Promise<PostgresJobStore>; pg(): TestPostgres } {
  let pg: TestPostgres | undefined;
  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
  });
  const open: PostgresJobStore[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  const cluster = (): TestPostgres => {
    if (!pg) throw new Error('the test PostgreSQL is not started (usePgStores hooks run before tests)');
    return pg;
  };
  return {
    pg: cluster,
    async store(url?: string) {
      const s = new PostgresJobStore(url ?? (await cluster().createDatabase()));
      open.push(s);
      await s.init();
      return s;
    },
  };
}
