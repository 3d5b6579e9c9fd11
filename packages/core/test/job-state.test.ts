import { describe, expect, it } from '@jest/globals';
import {
  CONTROL_ACTIONS,
  CONTROL_TABLE,
  JOB_STATES,
  controlTransition,
  type ControlAction,
  type ControlEffect,
  type JobState,
} from '@tunasync/core';

/** `state → after` written as `'<next state> <effect> <effect>'`, effects abbreviated. */
type Cell = string;
const EFFECT: Record<string, ControlEffect> = { abort: 'abort-run', begin: 'begin-run', bypass: 'bypass-concurrency' };

/**
 * The expected control table, written out cell by cell (tunasync's job.go
 * and worker.go): rows are states, columns actions.
 *
 * Idle (no run in flight): start/restart → ready + begin; force-start → ready
 * + bypass + begin; stop → paused (a disabled job stays disabled); disable →
 * disabled; ping → unchanged; halt → halting. halting absorbs everything.
 */
const IDLE: Record<JobState, Record<ControlAction, Cell>> = {
  none: {
    start: 'ready begin',
    'force-start': 'ready bypass begin',
    stop: 'paused',
    disable: 'disabled',
    restart: 'ready begin',
    ping: 'none',
    halt: 'halting',
  },
  ready: {
    start: 'ready begin',
    'force-start': 'ready bypass begin',
    stop: 'paused',
    disable: 'disabled',
    restart: 'ready begin',
    ping: 'ready',
    halt: 'halting',
  },
  paused: {
    start: 'ready begin',
    'force-start': 'ready bypass begin',
    stop: 'paused',
    disable: 'disabled',
    restart: 'ready begin',
    ping: 'paused',
    halt: 'halting',
  },
  disabled: {
    start: 'ready begin',
    'force-start': 'ready bypass begin',
    stop: 'disabled',
    disable: 'disabled',
    restart: 'ready begin',
    ping: 'disabled',
    halt: 'halting',
  },
  halting: {
    start: 'halting',
    'force-start': 'halting',
    stop: 'halting',
    disable: 'halting',
    restart: 'halting',
    ping: 'halting',
    halt: 'halting',
  },
};

/**
 * With a run in flight: start → no effect; force-start → bypass; restart →
 * abort + begin; stop → paused + abort; disable → disabled + abort; halt →
 * halting + abort; ping → nothing. A stop of a disabled job (whose run is
 * being aborted) is ignored, as tunasync's worker ignores it.
 */
const RUNNING: Record<JobState, Record<ControlAction, Cell>> = {
  none: {
    start: 'ready',
    'force-start': 'ready bypass',
    stop: 'paused abort',
    disable: 'disabled abort',
    restart: 'ready abort begin',
    ping: 'none',
    halt: 'halting abort',
  },
  ready: {
    start: 'ready',
    'force-start': 'ready bypass',
    stop: 'paused abort',
    disable: 'disabled abort',
    restart: 'ready abort begin',
    ping: 'ready',
    halt: 'halting abort',
  },
  paused: {
    start: 'ready',
    'force-start': 'ready bypass',
    stop: 'paused abort',
    disable: 'disabled abort',
    restart: 'ready abort begin',
    ping: 'paused',
    halt: 'halting abort',
  },
  disabled: {
    start: 'ready',
    'force-start': 'ready bypass',
    stop: 'disabled',
    disable: 'disabled abort',
    restart: 'ready abort begin',
    ping: 'disabled',
    halt: 'halting abort',
  },
  halting: {
    start: 'halting',
    'force-start': 'halting',
    stop: 'halting',
    disable: 'halting',
    restart: 'halting',
    ping: 'halting',
    halt: 'halting',
  },
};

function decode(cell: Cell): { state: JobState; effects: ControlEffect[] } {
  const [state, ...effects] = cell.split(' ');
  return { state: state as JobState, effects: effects.map((e) => EFFECT[e]!) };
}

describe('control transitions', () => {
  it('lists every state and action', () => {
    expect([...JOB_STATES]).toEqual(['none', 'ready', 'paused', 'disabled', 'halting']);
    expect([...CONTROL_ACTIONS]).toEqual(['start', 'force-start', 'stop', 'disable', 'restart', 'ping', 'halt']);
  });

  const cases: [JobState, ControlAction, boolean, Cell][] = [];
  for (const state of JOB_STATES) {
    for (const action of CONTROL_ACTIONS) {
      cases.push([state, action, false, IDLE[state][action]]);
      cases.push([state, action, true, RUNNING[state][action]]);
    }
  }

  it('covers all 70 combinations', () => {
    expect(cases).toHaveLength(5 * 7 * 2);
  });

  it.each(cases)('%s + %s (running: %s) → %s', (state, action, running, cell) => {
    expect(controlTransition(state, action, running)).toEqual(decode(cell));
  });

  it('agrees with the exported table for the idle rows and the ready running row', () => {
    for (const state of JOB_STATES) {
      for (const action of CONTROL_ACTIONS) {
        expect(CONTROL_TABLE.idle[state][action]).toEqual(decode(IDLE[state][action]));
        expect(CONTROL_TABLE.running[action]).toEqual(decode(RUNNING.ready[action]));
      }
    }
  });

  it('returns fresh effect arrays, so callers cannot corrupt the table', () => {
    const first = controlTransition('none', 'force-start', false);
    first.effects.push('abort-run');
    first.effects.reverse();
    expect(controlTransition('none', 'force-start', false).effects).toEqual(['bypass-concurrency', 'begin-run']);
  });

  it('orders effects: abort before begin, bypass before begin', () => {
    for (const state of JOB_STATES) {
      for (const action of CONTROL_ACTIONS) {
        for (const running of [false, true]) {
          const { effects } = controlTransition(state, action, running);
          const begin = effects.indexOf('begin-run');
          if (begin >= 0) {
            expect(effects.slice(begin + 1)).toEqual([]);
          }
          if (!running) expect(effects).not.toContain('abort-run');
          expect(new Set(effects).size).toBe(effects.length);
        }
      }
    }
  });

  it('follows a realistic sequence of commands', () => {
    let state: JobState = 'none';
    let running = false;
    const log: string[] = [];
    const apply = (action: ControlAction): void => {
      const t = controlTransition(state, action, running);
      state = t.state;
      for (const e of t.effects) {
        log.push(e);
        if (e === 'abort-run') running = false;
        if (e === 'begin-run') running = true;
      }
    };
    apply('start');
    expect([state, running]).toEqual(['ready', true]);
    apply('ping');
    apply('start');
    expect(log).toEqual(['begin-run']);
    apply('stop');
    expect([state, running]).toEqual(['paused', false]);
    apply('disable');
    apply('stop');
    expect(state).toBe('disabled');
    apply('force-start');
    expect([state, running]).toEqual(['ready', true]);
    apply('halt');
    apply('start');
    expect([state, running]).toEqual(['halting', false]);
    expect(log).toEqual(['begin-run', 'abort-run', 'bypass-concurrency', 'begin-run', 'abort-run']);
  });
});
