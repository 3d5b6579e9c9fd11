/**
 * @tunasync/testkit (private, never published): the helpers every package's
 * tests share, and the JobStore conformance suite any store package runs by
 * importing `describeJobStore` with its own factory.
 */
export { describeJobStore, type StoreFactory } from './store-conformance.js';
