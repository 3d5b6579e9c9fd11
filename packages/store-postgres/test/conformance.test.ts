/** The shared JobStore conformance suite against a real PostgreSQL (a throwaway cluster per file). */
import { afterAll, beforeAll } from '@jest/globals';
import { PostgresJobStore } from '@tunasync/store-postgres';
import { describeJobStore, startTestPostgres, type TestPostgres } from '@tunasync/testkit';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

let lastUrl = '';
describeJobStore('PostgresJobStore', {
  makeStore: async () => {
    lastUrl = await pg.createDatabase();
    return new PostgresJobStore(lastUrl);
  },
  reopen: () => new PostgresJobStore(lastUrl),
});
