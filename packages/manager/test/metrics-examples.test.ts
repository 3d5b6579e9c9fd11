/**
 * examples/prometheus and examples/grafana (issue 16): promtool accepts the
 * alert rules and the scrape config, and every tunasync metric the rules
 * and the dashboard query is one the manager or the worker exposes.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runProgram } from '@tunasync/testkit';

const dir = join(repoRoot, 'examples');

/** Every metric name the manager and worker expose (histograms with their series). */
const EXPOSED = new Set([
  ...['status', 'last_success_timestamp_seconds', 'last_started_timestamp_seconds', 'last_ended_timestamp_seconds', 'next_run_timestamp_seconds',
    'last_run_duration_seconds', 'size_bytes', 'runs_total', 'failures_total', 'consecutive_failures', 'last_transferred_bytes',
    'transferred_bytes_total', 'stale'].map((n) => `tunasync_mirror_${n}`),
  'tunasync_worker_last_seen_timestamp_seconds', 'tunasync_worker_online', 'tunasync_workers_total', 'tunasync_mirrors_total',
  'tunasync_maintenance', 'tunasync_build_info',
  'tunasync_worker_jobs_running', 'tunasync_worker_slots', 'tunasync_worker_outbox_depth', 'tunasync_worker_reports_total',
  ...['run_duration_seconds', 'scheduler_lateness_seconds'].flatMap((h) => ['bucket', 'sum', 'count'].map((s) => `tunasync_worker_${h}_${s}`)),
]);

const used = (text: string): string[] => [...new Set(text.match(/\btunasync_[a-z_]+/g) ?? [])].filter((n) => n !== 'tunasync_metrics');

describe('examples/prometheus and examples/grafana', () => {
  it('promtool accepts the alert rules and the scrape config', async () => {
    const rules = await runProgram('promtool', ['check', 'rules', join(dir, 'prometheus', 'tunasync-alerts.yml')]);
    expect([rules.code, rules.stdout + rules.stderr]).toEqual([0, expect.stringContaining('SUCCESS: 7 rules found')]);
    const config = await runProgram('promtool', ['check', 'config', '--syntax-only', join(dir, 'prometheus', 'prometheus.yml')]);
    expect(config.code).toBe(0);
  });

  it('the rules and the dashboard only query metrics that exist', () => {
    const rules = readFileSync(join(dir, 'prometheus', 'tunasync-alerts.yml'), 'utf8');
    const dashboard = readFileSync(join(dir, 'grafana', 'tunasync.json'), 'utf8');
    const names = [...used(rules), ...used(dashboard)];
    expect(names.filter((n) => !EXPOSED.has(n))).toEqual([]);
    // The dashboard has what the issue asks for: status table, durations, transferred bytes, failures.
    const d = JSON.parse(dashboard) as { panels: { type: string; title: string }[] };
    expect(d.panels.map((p) => p.title)).toEqual(expect.arrayContaining(['Mirror status', 'Transferred bytes per hour', 'Failed runs per hour']));
    expect(d.panels.find((p) => p.title === 'Mirror status')?.type).toBe('table');
    expect(used(dashboard)).toEqual(expect.arrayContaining(['tunasync_worker_run_duration_seconds_bucket', 'tunasync_mirror_transferred_bytes_total']));
  });
});
