import { describe, expect, it } from '@jest/globals';
import {
  HOOK_PHASES,
  abortRun,
  advanceRun,
  beginRun,
  type PhaseOutcome,
  type RunCursor,
  type RunPhase,
  type RunReport,
} from '@tunasync/core';

interface Trace {
  reports: RunReport[];
  phases: RunPhase[];
  cursor: RunCursor;
}

/**
 * A small simulated runner: does the work of each phase by asking `decide`
 * for its outcome, optionally aborts before the phase's work, and collects
 * every report and every phase it passed through.
 */
function simulate(maxAttempts: number, decide: (c: RunCursor) => PhaseOutcome, abortWhen?: (c: RunCursor) => boolean): Trace {
  const start = beginRun(maxAttempts);
  const reports: RunReport[] = start.report ? [start.report] : [];
  const phases: RunPhase[] = [];
  let cursor = start.cursor;
  for (let guard = 0; cursor.phase !== 'done'; guard++) {
    if (guard > 500) throw new Error('run did not end');
    phases.push(cursor.phase);
    if (!cursor.aborted && abortWhen?.(cursor)) cursor = abortRun(cursor);
    const step = advanceRun(cursor, decide(cursor));
    if (step.report) reports.push(step.report);
    cursor = step.cursor;
  }
  return { reports, phases, cursor };
}

const ok: PhaseOutcome = { ok: true };
const fail = (error: string): PhaseOutcome => ({ ok: false, error });
const short = (r: RunReport): string => `${r.status}${r.final ? '!' : ''}${r.errorMsg ? `(${r.errorMsg})` : ''}`;

describe('run layer, scripted', () => {
  it('reports pre-syncing, syncing, success (final) on the success path', () => {
    const t = simulate(2, () => ok);
    expect(t.reports.map(short)).toEqual(['pre-syncing', 'syncing', 'success!']);
    expect(t.phases).toEqual(['pre-job', 'pre-exec', 'run', 'post-exec', 'post-success']);
    expect(t.cursor).toEqual({ phase: 'done', attempt: 0, maxAttempts: 2, syncError: null, aborted: false });
  });

  it('starts at pre-job with a non-final pre-syncing report', () => {
    expect(beginRun(3)).toEqual({
      cursor: { phase: 'pre-job', attempt: 0, maxAttempts: 3, syncError: null, aborted: false },
      report: { status: 'pre-syncing', errorMsg: '', final: false },
    });
  });

  it('retries a failing provider, final only on the last try', () => {
    const t = simulate(3, (c) => (c.phase === 'run' ? fail(`boom ${c.attempt}`) : ok));
    expect(t.reports.map(short)).toEqual([
      'pre-syncing',
      'syncing',
      'failed(boom 0)',
      'syncing',
      'failed(boom 1)',
      'syncing',
      'failed!(boom 2)',
    ]);
    expect(t.phases.filter((p) => p === 'pre-job')).toHaveLength(1);
    expect(t.phases.filter((p) => p === 'pre-exec')).toHaveLength(3);
    expect(t.phases.filter((p) => p === 'post-fail')).toHaveLength(3);
    expect(t.cursor.attempt).toBe(2);
  });

  it('succeeds on a retry after a failure', () => {
    const t = simulate(2, (c) => (c.phase === 'run' && c.attempt === 0 ? fail('flaky') : ok));
    expect(t.reports.map(short)).toEqual(['pre-syncing', 'syncing', 'failed(flaky)', 'syncing', 'success!']);
    expect(t.cursor.syncError).toBeNull();
  });

  it('stops retrying once aborted; the aborted try still runs its post hooks', () => {
    const t = simulate(5, (c) => (c.phase === 'run' ? fail('killed by manager') : ok), (c) => c.phase === 'run');
    expect(t.reports.map(short)).toEqual(['pre-syncing', 'syncing', 'failed!(killed by manager)']);
    expect(t.phases).toEqual(['pre-job', 'pre-exec', 'run', 'post-exec', 'post-fail']);
    expect(t.cursor.aborted).toBe(true);
  });

  it('abortRun marks the cursor without mutating it', () => {
    const c = beginRun(2).cursor;
    const a = abortRun(c);
    expect(a).toEqual({ ...c, aborted: true });
    expect(c.aborted).toBe(false);
  });

  it.each(HOOK_PHASES.map((p) => [p]))('a failing %s hook ends the run with "error exec hook <stage>: <why>"', (stage) => {
    // post-fail is only reached when the provider fails.
    const t = simulate(3, (c) => (c.phase === stage ? fail('exit status 1') : c.phase === 'run' && stage === 'post-fail' ? fail('sync') : ok));
    const last = t.reports.at(-1)!;
    expect(last).toEqual({ status: 'failed', errorMsg: `error exec hook ${stage}: exit status 1`, final: true });
    expect(t.reports.filter((r) => r.final)).toHaveLength(1);
    expect(t.reports.map((r) => r.status)).not.toContain('success');
    expect(t.phases.at(-1)).toBe(stage);
    expect(t.cursor.phase).toBe('done');
    const expected: Record<string, string[]> = {
      'pre-job': ['pre-syncing', 'failed!'],
      'pre-exec': ['pre-syncing', 'failed!'],
      'post-exec': ['pre-syncing', 'syncing', 'failed!'],
      'post-success': ['pre-syncing', 'syncing', 'failed!'],
      'post-fail': ['pre-syncing', 'syncing', 'failed!'],
    };
    expect(t.reports.map((r) => `${r.status}${r.final ? '!' : ''}`)).toEqual(expected[stage]);
  });

  it.each([
    [0, 1],
    [-5, 1],
    [1, 1],
    [2.9, 2],
    [4, 4],
  ])('maxAttempts %p is clamped to %p', (given, tries) => {
    expect(beginRun(given).cursor.maxAttempts).toBe(tries);
    const t = simulate(given, (c) => (c.phase === 'run' ? fail('x') : ok));
    expect(t.reports.filter((r) => r.status === 'syncing')).toHaveLength(tries);
    expect(t.reports.filter((r) => r.final)).toHaveLength(1);
  });

  it('does nothing once done', () => {
    const done: RunCursor = { phase: 'done', attempt: 1, maxAttempts: 2, syncError: 'x', aborted: false };
    expect(advanceRun(done, ok)).toEqual({ cursor: done });
    expect(advanceRun(done, fail('y'))).toEqual({ cursor: done });
  });
});

describe('run layer, many simulated outcome sequences', () => {
  /** Outcome i of a run is bit i of `bits` (1 = failure), ok once the bits run out. */
  function fromBits(bits: number, length: number): (c: RunCursor) => PhaseOutcome {
    let i = 0;
    return () => {
      const failed = i < length && ((bits >> i) & 1) === 1;
      const outcome = failed ? fail(`e${i}`) : ok;
      i += 1;
      return outcome;
    };
  }

  const LENGTH = 10;
  const runs: { maxAttempts: number; abortAt: number; t: Trace; failedAt: Map<number, RunCursor> }[] = [];
  for (const maxAttempts of [1, 2, 3]) {
    for (const abortAt of [-1, 2, 6]) {
      for (let bits = 0; bits < 1 << LENGTH; bits++) {
        const failedAt = new Map<number, RunCursor>();
        const next = fromBits(bits, LENGTH);
        let step = 0;
        const decide = (c: RunCursor): PhaseOutcome => {
          const o = next(c);
          if (!o.ok) failedAt.set(Number(o.error.slice(1)), c);
          return o;
        };
        const t = simulate(maxAttempts, decide, () => step++ === abortAt);
        runs.push({ maxAttempts, abortAt, t, failedAt });
      }
    }
  }

  it('simulates thousands of runs', () => {
    expect(runs.length).toBe(3 * 3 * 1024);
  });

  /** Checks every run with `check`, which returns a problem or undefined; expects none. */
  function expectAll(check: (r: (typeof runs)[number]) => string | undefined): void {
    const problems: string[] = [];
    for (const r of runs) {
      const p = check(r);
      if (p !== undefined && problems.length < 5) problems.push(`${p} in ${JSON.stringify(r.t.reports.map(short))}`);
    }
    expect(problems).toEqual([]);
  }

  it('reports in order: pre-syncing, (syncing, failed)*, then one final outcome', () => {
    const code = (r: RunReport): string => {
      if (r.status === 'pre-syncing') return 'P';
      if (r.status === 'syncing') return 'S';
      if (r.status === 'success') return r.final ? 's' : '?';
      if (r.status === 'failed') return r.errorMsg.startsWith('error exec hook ') ? (r.final ? 'H' : '?') : r.final ? 'f' : 'F';
      return '?';
    };
    expectAll(({ t }) => {
      const text = t.reports.map(code).join('');
      if (!/^P(SF)*(H|S[sfH])$/.test(text)) return `bad order ${text}`;
      if (t.reports.filter((r) => r.final).length !== 1) return 'not exactly one final report';
      if (t.cursor.phase !== 'done') return 'not done';
      return undefined;
    });
  });

  it('never tries more than maxAttempts times, and fails for good only when out of tries or aborted', () => {
    expectAll(({ maxAttempts, t }) => {
      const tries = t.reports.filter((r) => r.status === 'syncing').length;
      if (tries > maxAttempts) return `${tries} tries of ${maxAttempts}`;
      if (t.phases.filter((p) => p === 'run').length !== tries) return 'runs and syncing reports differ';
      if (t.cursor.attempt >= maxAttempts) return `attempt ${t.cursor.attempt}`;
      const last = t.reports.at(-1)!;
      if (last.status === 'failed' && !last.errorMsg.startsWith('error exec hook') && !t.cursor.aborted && tries !== maxAttempts) {
        return 'gave up early';
      }
      return undefined;
    });
    // The sample really contains runs that used every try, and aborted ones.
    expect(runs.some(({ maxAttempts, t }) => maxAttempts === 3 && t.reports.filter((r) => r.status === 'syncing').length === 3)).toBe(true);
    expect(runs.some(({ t }) => t.cursor.aborted)).toBe(true);
  });

  it('stops retrying after an abort', () => {
    expectAll(({ t, abortAt }) => {
      if (abortAt < 0 || !t.cursor.aborted) return undefined;
      // The abort came before the work of phase number `abortAt`; at most the try in flight then runs.
      const runsAfter = t.phases.slice(abortAt).filter((p) => p === 'run').length;
      return runsAfter > 1 ? `${runsAfter} runs after the abort` : undefined;
    });
  });

  it('names the stage of the hook that failed and reports the provider error otherwise', () => {
    expectAll(({ t, failedAt }) => {
      const last = t.reports.at(-1)!;
      const hook = /^error exec hook ([a-z-]+): e(\d+)$/.exec(last.errorMsg);
      if (hook && failedAt.get(Number(hook[2]))?.phase !== hook[1]) return `wrong stage ${hook[1]}`;
      for (const r of t.reports.filter((x) => x.status === 'failed' && !x.errorMsg.startsWith('error exec hook'))) {
        if (failedAt.get(Number(r.errorMsg.slice(1)))?.phase !== 'run') return `failed report ${r.errorMsg} not from a run`;
      }
      if (last.status === 'success' && [...failedAt.values()].some((c) => c.phase === 'run' && c.attempt === t.cursor.attempt)) {
        return 'success after a failed last try';
      }
      return undefined;
    });
  });
});
