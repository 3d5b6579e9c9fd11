import { describe, expect, it } from '@jest/globals';
import { ValidationError, parseRunFields, parseRunRecord, serializeRunFields, serializeRunRecord, type RunRecord } from '@tunasync/core';

describe('run fields on a status report', () => {
  it('are absent from a tunasync worker report, and round-trip from ours', () => {
    expect(parseRunFields({ name: 'debian', status: 'syncing' })).toBeUndefined();
    const body = { name: 'debian', status: 'success', run_id: 'r-1', attempt: 3, final: true, trigger: 'startup', exit_code: 0, duration_s: 12.5, transferred_bytes: 1024, files_transferred: 2, log_file: 'debian_2026-11-30_08_00.log' };
    const fields = parseRunFields(body)!;
    expect(fields).toEqual({ runId: 'r-1', attempt: 3, final: true, trigger: 'startup', exitCode: 0, durationS: 12.5, transferredBytes: 1024, filesTransferred: 2, logFile: 'debian_2026-11-30_08_00.log' });
    expect(serializeRunFields(fields)).toEqual(Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'name' && k !== 'status')));
    expect(serializeRunFields({ runId: 'r-2' })).toEqual({ run_id: 'r-2' });
  });

  it('refuse wrong values naming the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ run_id: '' }, 'run_id'],
      [{ run_id: 7 }, 'run_id'],
      [{ run_id: 'r', attempt: 0 }, 'attempt'],
      [{ run_id: 'r', final: 'yes' }, 'final'],
      [{ run_id: 'r', trigger: 'cron' }, 'trigger'],
      [{ run_id: 'r', transferred_bytes: -1 }, 'transferred_bytes'],
      [{ run_id: 'r', duration_s: 'long' }, 'duration_s'],
      [{ run_id: 'r', log_file: '../../etc/passwd' }, 'log_file'],
      [{ run_id: 'x'.repeat(256) }, 'run_id'],
    ];
    for (const [body, field] of cases) {
      let err: unknown;
      try {
        parseRunFields(body);
      } catch (e) {
        err = e;
      }
      expect([field, err instanceof ValidationError ? (err as ValidationError).field : 'no error']).toEqual([field, field]);
    }
  });
});

describe('history rows', () => {
  it('serialise with null for what is unknown and parse back', () => {
    const open: RunRecord = { runId: 'r', worker: 'w', mirror: 'm', trigger: 'schedule', startedAt: new Date('2026-11-30T08:00:00Z'), attempts: 1, errorMsg: '', size: '' };
    const json = serializeRunRecord(open);
    expect(json).toMatchObject({ ended_at: null, result: null, exit_code: null, transferred_bytes: null, log_file: null, started_at: '2026-11-30T08:00:00Z' });
    expect(parseRunRecord(JSON.parse(JSON.stringify(json)))).toEqual(open);
    const done: RunRecord = { ...open, endedAt: new Date('2026-11-30T08:10:00.5Z'), durationS: 600.5, result: 'failed', attempts: 3, exitCode: 23, errorMsg: 'rsync exited with 23', transferredBytes: 0, filesTransferred: 0, logFile: 'm.log' };
    expect(parseRunRecord(JSON.parse(JSON.stringify(serializeRunRecord(done))))).toEqual(done);
    expect(() => parseRunRecord({ ...json, result: 'meh' })).toThrow(/result/);
  });
});
