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
 * (`mirror="a",worker="w"`), so a caller renders it once per mirror.
 */
export class FamilyWriter {
  private text: string;

  constructor(
    readonly name: string,
    type: MetricType,
    help: string,
  ) {
    this.text = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  }

  /** Adds a sample. */
  sample(labels: string, value: number): void {
    this.text += labels === '' ? `${this.name} ${formatValue(value)}\n` : `${this.name}{${labels}} ${formatValue(value)}\n`;
  }

  /** The family's text. */
  toString(): string {
    return this.text;
  }
}
