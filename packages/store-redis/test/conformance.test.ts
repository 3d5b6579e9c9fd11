/** The shared JobStore conformance suite against a real Redis (a throwaway server per file). */
import { afterAll, beforeAll } from '@jest/globals';
import { RedisFullStore } from '@tunasync/store-redis';
import { describeJobStore, startTestRedis, type TestRedis } from '@tunasync/testkit';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

describeJobStore('RedisFullStore', {
  makeStore: async () => {
    await redis.flush();
    return new RedisFullStore(redis.url());
  },
  reopen: () => new RedisFullStore(redis.url()),
});
