/**
 * The run duration histogram (`tunasync_worker_run_duration_seconds{mirror,
 * result}`) keeps a compact series per label set: the scrape stays what
 * prom-client's Histogram renders (text and JSON, sample for sample), while
 * the first runs of 1,000 mirrors no longer make ~35 MB of garbage
 * (prom-client copies an object keyed by the bucket bounds per new series;
 * an idle worker held that garbage until V8 shrank its heap, long after).
 */
import { describe, expect, it } from '@jest/globals';
import { Session } from 'node:inspector';
import { Histogram, Registry } from 'prom-client';
import { CompactHistogram, RUN_DURATION_BUCKETS, createWorkerEvents, createWorkerRegistry } from '@tunasync/worker';

/** The same observations into prom-client's Histogram and a CompactHistogram; both registries. */
function both(observations: [Record<'mirror' | 'result', string>, number][]): { theirs: Registry; ours: Registry } {
  const theirs = new Registry();
  const ours = new Registry();
  const config = { name: 'x_duration_seconds', help: 'How long "x" took.', labelNames: ['mirror', 'result'] as const, buckets: RUN_DURATION_BUCKETS };
  const h = new Histogram({ ...config, labelNames: [...config.labelNames], registers: [theirs] });
  const c = new CompactHistogram({ ...config, registers: [ours] });
  for (const [labels, v] of observations) {
    h.observe(labels, v);
    c.observe(labels, v);
  }
  return { theirs, ours };
}

/** Bytes allocated (also those collected since) while `fn` runs, from V8's sampling heap profiler. */
async function allocatedBy(fn: () => void): Promise<number> {
  const s = new Session();
  s.connect();
  const post = <R>(method: string, params?: object): Promise<R> =>
    new Promise((resolve, reject) => s.post(method, params, (err, r) => (err ? reject(err) : resolve(r as R))));
  try {
    await post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    fn();
    const { profile } = await post<{ profile: { head: ProfileNode } }>('HeapProfiler.stopSampling');
    const total = (n: ProfileNode): number => n.selfSize + n.children.reduce((a, c) => a + total(c), 0);
    return total(profile.head);
  } finally {
    s.disconnect();
  }
}
interface ProfileNode {
  selfSize: number;
  children: ProfileNode[];
}

describe('CompactHistogram', () => {
  const observations: [Record<'mirror' | 'result', string>, number][] = [
    [{ mirror: 'debian', result: 'success' }, 12.5],
    [{ mirror: 'debian', result: 'success' }, 0.1],
    [{ mirror: 'debian', result: 'failed' }, 4000.25],
    [{ mirror: 'weird "name"\\x', result: 'success' }, 86_400],
    [{ mirror: 'long', result: 'success' }, 200_000], // past the last bound: only +Inf, _sum and _count
    [{ mirror: 'debian', result: 'success' }, 1 / 3],
  ];

  it('renders what prom-client renders, as text and as JSON', async () => {
    const { theirs, ours } = both(observations);
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('x_duration_seconds_bucket{le="30",mirror="debian",result="success"} 3');
    expect(text).toContain('x_duration_seconds_bucket{le="+Inf",mirror="long",result="success"} 1');
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it('renders nothing for no observations, and forgets them on reset', async () => {
    const { theirs, ours } = both([]);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    const again = both(observations);
    again.ours.resetMetrics();
    again.theirs.resetMetrics();
    expect(await again.ours.metrics()).toBe(await again.theirs.metrics());
    expect(await again.ours.metrics()).not.toContain('debian');
  });

  it('refuses a value that is not a number, and a missing label', () => {
    const c = new CompactHistogram({ name: 'y', help: 'y', labelNames: ['mirror'], buckets: [1], registers: [] });
    expect(() => c.observe({ mirror: 'a' }, Number.NaN)).toThrow(/not a valid number/);
    expect(() => c.observe({} as { mirror: string }, 1)).toThrow(/label mirror/);
  });

  it("the worker's first runs of 1,000 mirrors allocate little for the run duration series", async () => {
    const events = createWorkerEvents();
    const registry = createWorkerRegistry(events, { slots: () => 10, defaultMetrics: false });
    const end = (mirror: string) => ({ runId: 'r', mirror, attempts: 1, trigger: 'startup' as const, durationMs: 1500, exitCode: 0, outcome: 'success' as const, at: new Date(0) });
    const bytes = await allocatedBy(() => {
      for (let i = 0; i < 1000; i++) events.emit('run:end', end(`m${i}`));
    });
    // prom-client's Histogram: ~35 KB per new series (35 MB here); ours: a few hundred bytes each.
    expect(bytes).toBeLessThan(4 * 1024 * 1024);
    const text = await registry.metrics();
    expect(text).toContain('tunasync_worker_run_duration_seconds_count{mirror="m999",result="success"} 1');
    expect(text).toContain('tunasync_worker_run_duration_seconds_bucket{le="10",mirror="m0",result="success"} 1');
  });
});
