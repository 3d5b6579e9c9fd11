/**
 * The per-mirror metric families (wave2.md § Metrics and alerts), rendered
 * incrementally: each family keeps, per mirror, the value it last wrote and
 * that sample's text, and its whole text as a Buffer. A scrape recomputes
 * every value (cheap numbers) and rebuilds only the samples whose value
 * changed and the families holding one; a family nothing changed in is sent
 * as the same Buffer again. With 10,000 mirrors a scrape has ~190,000
 * samples, and a worker's report changes a handful of them.
 */
import { SYNC_STATUSES, isZeroTime, type JobStats, type MirrorStatus } from '@tunasync/core';
import { escapeLabel, formatValue, type MetricType } from './exposition.js';

/** What a mirror's series are computed from. */
export interface MirrorInput {
  /** Identifies the mirror across scrapes (worker and name). */
  key: string;
  s: MirrorStatus;
  stats: JobStats | undefined;
  /** The size in bytes; undefined when unknown. */
  size: number | undefined;
  stale: boolean;
}

/** One per-mirror family: its name, type, help, and a mirror's value (undefined: no sample). */
interface FamilyDef {
  name: string;
  type: MetricType;
  help: string;
  value(r: MirrorInput): number | undefined;
  /** A sample's text (default: one line `name{labels} value`). */
  sample?(labels: string, value: number): string;
}

const whenHappened = (d: Date): number | undefined => (isZeroTime(d) ? undefined : d.getTime() / 1000);
const m = (n: string): string => `tunasync_mirror_${n}`;

/** `tunasync_mirror_status` as a state set: a mirror's value is its status's index, its sample one line per status. */
const STATUS_FAMILY: FamilyDef = {
  name: m('status'),
  type: 'gauge',
  help: 'The mirror job status as a state set: 1 for the current status, 0 for the others.',
  value: (r) => SYNC_STATUSES.indexOf(r.s.status),
  sample: (labels, index) =>
    SYNC_STATUSES.map((st, i) => `tunasync_mirror_status{${labels},status="${st}"} ${i === index ? 1 : 0}\n`).join(''),
};

/** Every per-mirror family, in exposition order. */
const FAMILIES: readonly FamilyDef[] = [
  STATUS_FAMILY,
  { name: m('last_success_timestamp_seconds'), type: 'gauge', help: 'When the mirror last synced successfully.', value: (r) => whenHappened(r.s.lastUpdate) },
  { name: m('last_started_timestamp_seconds'), type: 'gauge', help: 'When the mirror last started a sync.', value: (r) => whenHappened(r.s.lastStarted) },
  { name: m('last_ended_timestamp_seconds'), type: 'gauge', help: 'When the mirror last ended a sync (success or failure).', value: (r) => whenHappened(r.s.lastEnded) },
  { name: m('next_run_timestamp_seconds'), type: 'gauge', help: 'When the mirror is next scheduled to sync.', value: (r) => whenHappened(r.s.nextSchedule) },
  { name: m('last_run_duration_seconds'), type: 'gauge', help: 'How long the last closed run took.', value: (r) => r.stats?.lastDurationS },
  { name: m('size_bytes'), type: 'gauge', help: 'The mirror size as last reported (no sample when unknown).', value: (r) => r.size },
  { name: m('runs_total'), type: 'counter', help: 'Runs closed as success or failed.', value: (r) => r.stats?.runsTotal ?? 0 },
  { name: m('failures_total'), type: 'counter', help: 'Runs closed as failed.', value: (r) => r.stats?.failuresTotal ?? 0 },
  { name: m('consecutive_failures'), type: 'gauge', help: 'Runs closed as failed since the last success.', value: (r) => r.stats?.consecutiveFailures ?? 0 },
  {
    name: m('last_transferred_bytes'),
    type: 'gauge',
    help: 'Bytes the last closed run transferred (no sample when not reported).',
    value: (r) => r.stats?.lastTransferredBytes,
  },
  { name: m('transferred_bytes_total'), type: 'counter', help: 'Bytes transferred by closed runs that reported it.', value: (r) => r.stats?.transferredBytesTotal ?? 0 },
  { name: m('stale'), type: 'gauge', help: '1 when the last success is older than stale_after (or 2 x interval + 6h), else 0.', value: (r) => (r.stale ? 1 : 0) },
];

/** The same value for a family's purpose (NaN equals NaN; undefined only undefined). */
const same = (a: number | undefined, b: number | undefined): boolean => a === b || (a !== a && b !== b);

/** One family's state between scrapes. */
interface FamilyState {
  values: (number | undefined)[];
  samples: string[];
  text: Buffer;
}

/**
 * The per-mirror families of one manager's scrapes. `render` is synchronous,
 * so scrapes running at once never interleave inside it.
 */
export class MirrorSeries {
  private keys: string[] = [];
  private labels: string[] = [];
  private readonly families: (FamilyState | undefined)[] = FAMILIES.map(() => undefined);

  /** The families' text for `rows` (in the order given), one Buffer per family. */
  render(rows: readonly MirrorInput[]): Buffer[] {
    const sameRows = rows.length === this.keys.length && rows.every((r, i) => r.key === this.keys[i]);
    if (!sameRows) {
      this.keys = rows.map((r) => r.key);
      this.labels = rows.map((r) => `mirror="${escapeLabel(r.s.name)}",worker="${escapeLabel(r.s.worker)}"`);
    }
    return FAMILIES.map((def, f) => {
      let state = this.families[f];
      const fresh = !sameRows || state === undefined;
      if (fresh) state = this.families[f] = { values: new Array(rows.length), samples: new Array<string>(rows.length), text: Buffer.alloc(0) };
      let changed = fresh;
      for (let i = 0; i < rows.length; i++) {
        const v = def.value(rows[i]!);
        if (!fresh && same(v, state!.values[i])) continue;
        state!.values[i] = v;
        state!.samples[i] = v === undefined ? '' : def.sample ? def.sample(this.labels[i]!, v) : `${def.name}{${this.labels[i]!}} ${formatValue(v)}\n`;
        changed = true;
      }
      if (changed) state!.text = Buffer.from(`# HELP ${def.name} ${def.help}\n# TYPE ${def.name} ${def.type}\n${state!.samples.join('')}`);
      return state!.text;
    });
  }
}
