/**
 * Reading Prometheus text exposition in tests: one sample's value, and
 * `promtool check metrics` on a whole scrape.
 */
import { runProgram } from './run.js';
import { tempDir } from './temp.js';

/** The value of the sample `name{labels}` (labels as written), or undefined when there is none. */
export function metricSample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Runs `promtool check metrics` on `text`; its exit code and output. */
export async function promtoolCheck(text: string): Promise<{ code: number; out: string }> {
  const t = tempDir('tunasync-promtool-');
  try {
    const file = t.write('metrics.txt', text);
    const r = await runProgram('sh', ['-c', 'promtool check metrics < "$0"', file]);
    return { code: r.code, out: r.stdout + r.stderr };
  } finally {
    t.cleanup();
  }
}
