/**
 * runFieldsOf: a job's status event to the run fields of its report, and
 * what core's parser (the manager's side of the contract) reads back.
 */
import { describe, expect, it } from '@jest/globals';
import { MAX_NAME_BYTES, parseRunFields, serializeRunFields } from '@tunasync/core';
import { runFieldsOf, type JobStatusEvent } from '@tunasync/worker';

const at = new Date('2026-01-02T03:04:05Z');
const event = (over: Partial<JobStatusEvent> = {}): JobStatusEvent => ({
  job: 'debian',
  status: 'syncing',
  errorMsg: '',
  final: false,
  runId: '6f1c0f9e-8d6a-4c1b-9b52-0d1c9a7e2b11',
  attempt: 2,
  trigger: 'schedule',
  at,
  ...over,
});

describe('runFieldsOf', () => {
  it('gives the run, try, finality and trigger on every report, and nothing about the end before it', () => {
    // A summary on a non-final event (there is none in practice) is not sent either.
    const fields = runFieldsOf(event({ summary: { exitCode: 1, durationMs: 5 } }));
    expect(serializeRunFields(fields)).toEqual({ run_id: '6f1c0f9e-8d6a-4c1b-9b52-0d1c9a7e2b11', attempt: 2, final: false, trigger: 'schedule' });
  });

  it('adds how the run ended to the final report, in seconds, with the log name only', () => {
    const e = event({
      status: 'success',
      final: true,
      summary: { exitCode: 0, durationMs: 61_234.6, logFile: '/var/log/tunasync/debian/debian_2026-01-02_03_04.log', transferredBytes: 1_250_000, filesTransferred: 3 },
    });
    const json = serializeRunFields(runFieldsOf(e));
    expect(json).toEqual({
      run_id: e.runId,
      attempt: 2,
      final: true,
      trigger: 'schedule',
      exit_code: 0,
      duration_s: 61.235,
      transferred_bytes: 1_250_000,
      files_transferred: 3,
      log_file: 'debian_2026-01-02_03_04.log',
    });
    // What the manager's parser reads back is what was meant.
    expect(parseRunFields(JSON.parse(JSON.stringify(json)))).toEqual(runFieldsOf(e));
  });

  it('leaves out an exit code when no command exited, and a log name a manager would refuse', () => {
    const long = `${'m'.repeat(MAX_NAME_BYTES - 5)}_2026-01-02_03_04.log`;
    const fields = runFieldsOf(event({ status: 'failed', final: true, summary: { exitCode: null, durationMs: 0, logFile: `/logs/${long}` } }));
    expect(fields).toEqual({ runId: expect.any(String), attempt: 2, final: true, trigger: 'schedule', durationS: 0 });
    // With it the report would be refused as a whole.
    expect(() => parseRunFields({ run_id: 'r', log_file: long })).toThrow('log_file');
    expect(parseRunFields(serializeRunFields(fields))).toEqual(fields);
  });
});
