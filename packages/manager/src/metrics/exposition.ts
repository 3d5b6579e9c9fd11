/**
 * Writing Prometheus text exposition (format 0.0.4) by hand, for the
 * per-mirror series: with 10,000 mirrors a scrape has ~200,000 samples, and
 * prom-client Gauges with that many label sets cost far more per scrape
 * (label hashing and sorting on every `set`, then serialising) than
 * concatenating lines whose label text is built once per mirror. prom-client
 * still provides the registry, the process defaults and `tunasync_build_info`.
 */

/** Escapes a label value (backslash, double quote, newline). */
export function escapeLabel(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** A sample value as Prometheus writes it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** A metric type of the text format. */
export type MetricType = 'gauge' | 'counter' | 'untyped';

/**
 * One metric family being written: `# HELP` and `# TYPE` lines, then
 * samples. `labels` is pre-rendered label text without braces
 * (`mirror="a",worker="w"`), so a caller renders it once per mirror. Each
 * sample is kept as `labels} value` and the family joined once with
 * `\nname{` between them: measured the cheapest way here (one flat string
 * per family, no long rope to flatten; about half the CPU of one string per
 * line).
 */
export class FamilyWriter {
  private readonly samples: string[] = [];
  private readonly header: string;

  /** `labelled` false: samples have no labels (`name value`). */
  constructor(
    readonly name: string,
    type: MetricType,
    help: string,
    private readonly labelled = true,
  ) {
    this.header = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  }

  /** Adds a sample (`labels` ignored for an unlabelled family). */
  sample(labels: string, value: number): void {
    this.samples.push(this.labelled ? `${labels}} ${formatValue(value)}` : ` ${formatValue(value)}`);
  }

  /** The family's text. */
  toString(): string {
    if (this.samples.length === 0) return this.header;
    const open = this.labelled ? `${this.name}{` : this.name;
    return `${this.header}${open}${this.samples.join(`\n${open}`)}\n`;
  }
}

/** The text of several families (undefined ones skipped). */
export function joinFamilies(families: (FamilyWriter | undefined)[]): string {
  return families.map((f) => (f ? f.toString() : '')).join('');
}
