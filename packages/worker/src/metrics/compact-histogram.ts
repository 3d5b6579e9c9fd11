/**
 * A labelled histogram for a prom-client Registry that keeps each label
 * set's bucket counts in one Float64Array, and renders exactly what
 * prom-client's Histogram renders (`_bucket{le,…}` cumulative, `+Inf`,
 * `_sum`, `_count`, labels in the order of `labelNames`).
 *
 * Why not prom-client's Histogram: it copies, for each new label set, an
 * object keyed by the bucket bounds (10, 30, … 86400); V8 grows such an
 * object through ~35 KB of temporary element arrays, so a worker's first run
 * of 1,000 mirrors made ~35 MB of garbage that an idle worker still held
 * (V8 shrinks its heap only some time after the burst).
 */
import type { Metric, Registry } from 'prom-client';

/** One label set's series. */
interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative), in the order of the bounds. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/** What a histogram is made of. */
export interface CompactHistogramConfig<T extends string> {
  name: string;
  help: string;
  labelNames: readonly T[];
  /** Upper bounds, ascending. */
  buckets: readonly number[];
  registers: Registry[];
}

/** A sample as prom-client's Registry renders it. */
interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
  /** prom-client gives its buckets `exemplar: null` (exemplars are off). */
  exemplar?: null;
}

/** A labelled histogram, registered in `registers` like a prom-client metric. */
export class CompactHistogram<T extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly T[];
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, Series>();

  constructor(config: CompactHistogramConfig<T>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = [...config.labelNames];
    this.bounds = [...config.buckets];
    for (const r of config.registers) r.registerMetric(this as unknown as Metric);
  }

  /** Counts `value` for the label set `labels` (every label name must be given). */
  observe(labels: Record<T, string>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      const own: Record<string, string> = {};
      for (const n of this.labelNames) {
        if (typeof labels[n] !== 'string') throw new Error(`label ${n} of ${this.name} is missing`);
        own[n] = labels[n];
      }
      s = { labels: own, counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    const i = this.bounds.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += value;
    s.count += 1;
  }

  /** The samples, as prom-client's metrics give them to their Registry. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.counts[i] ?? 0;
        values.push({ metricName: bucket, labels: { le, ...s.labels }, value: acc, exemplar: null });
      });
      values.push({ metricName: bucket, labels: { le: '+Inf', ...s.labels }, value: s.count, exemplar: null });
      values.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Forgets every series (Registry.resetMetrics). */
  reset(): void {
    this.series.clear();
  }
}
