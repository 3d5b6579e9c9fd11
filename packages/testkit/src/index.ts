/**
 * @tunasync/testkit (private, never published): the helpers every package's
 * tests share, and the JobStore conformance suite any store package runs by
 * importing `describeJobStore` with its own factory.
 */
export { describeJobStore, type StoreFactory } from './store-conformance.js';
export { until } from './until.js';
export { captureLogger, type CapturedLogger } from './logger.js';
export { tempDir, tempDirs, useTempDirs, type TempDir, type TempDirs } from './temp.js';
export { TestClock } from './clock.js';
export { freePort, getJson, request, serve, type Answer, type RequestOptions, type Served } from './net.js';
export { runProgram, runScript, type RunOptions, type RunResult } from './run.js';
export { makeTlsFiles, type TlsFiles } from './tls.js';
export { startTestManager, testManagerConfig, type TestManager, type TestManagerOptions } from './manager.js';
export { createTestWorker, workerConfText, writeWorkerConf, type TestWorkerConf, type TomlValue } from './worker.js';
export { builtBin, fixturePath, repoRoot } from './paths.js';
export { PG_BIN, postgresAvailable, startTestPostgres, type TestPostgres, type TestPostgresOptions } from './postgres.js';
export { startTestRedis, type TestRedis } from './redis.js';
export { manualTimers } from './timers.js';
export { lineData, openSse, type TestSse, type TestSseEvent } from './sse.js';
export { metricSample, promtoolCheck } from './prometheus.js';
