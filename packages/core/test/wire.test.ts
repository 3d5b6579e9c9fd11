import { describe, expect, it } from '@jest/globals';
import {
  ValidationError,
  ZERO_TIME_MS,
  emptyMirrorStatus,
  parseClientCmd,
  parseMirrorSchedules,
  parseMirrorStatus,
  parseSizeUpdate,
  parseWebMirrorStatus,
  parseWorkerCmd,
  parseWorkerStatus,
  serializeClientCmd,
  serializeMirrorSchedules,
  serializeMirrorStatus,
  serializeWebMirrorStatus,
  serializeWorkerCmd,
  serializeWorkerStatus,
  type MirrorStatus,
} from '@tunasync/core';

/** Asserts `fn` throws a ValidationError whose message matches and whose field is `field`. */
function expectInvalid(fn: () => unknown, message: RegExp, field?: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const e = caught as ValidationError;
  expect(e.message).toMatch(message);
  expect(e.code).toBe('BAD_REQUEST');
  expect(e.httpStatus).toBe(400);
  if (field !== undefined) expect(e.field).toBe(field);
}

// What a Go worker posts: nanoseconds, local offsets, the zero time.
const goMirrorStatus = {
  name: 'debian',
  worker: 'mirror_worker',
  is_master: true,
  status: 'success',
  last_update: '2017-12-06T14:33:06.422712373+08:00',
  last_started: '2017-12-06T14:30:00+08:00',
  last_ended: '2017-12-06T14:33:06.422712373+08:00',
  next_schedule: '0001-01-01T00:00:00Z',
  upstream: 'rsync://ftp.debian.org/debian/',
  size: '23.4G',
  error_msg: '',
};

describe('MirrorStatus', () => {
  it('parses what Go sends, keeping millisecond precision and the zero time', () => {
    const s = parseMirrorStatus(goMirrorStatus);
    expect(s.name).toBe('debian');
    expect(s.worker).toBe('mirror_worker');
    expect(s.isMaster).toBe(true);
    expect(s.status).toBe('success');
    expect(s.lastUpdate.toISOString()).toBe('2017-12-06T06:33:06.422Z');
    expect(s.lastStarted.toISOString()).toBe('2017-12-06T06:30:00.000Z');
    expect(s.nextSchedule.getTime()).toBe(ZERO_TIME_MS);
    expect(s.size).toBe('23.4G');
  });

  it('serialises to the exact JSON, key set and order included', () => {
    const json = serializeMirrorStatus(parseMirrorStatus(goMirrorStatus));
    expect(JSON.stringify(json)).toBe(
      '{"name":"debian","worker":"mirror_worker","is_master":true,"status":"success",' +
        '"last_update":"2017-12-06T06:33:06.422Z","last_started":"2017-12-06T06:30:00Z",' +
        '"last_ended":"2017-12-06T06:33:06.422Z","next_schedule":"0001-01-01T00:00:00Z",' +
        '"upstream":"rsync://ftp.debian.org/debian/","size":"23.4G","error_msg":""}',
    );
  });

  it('round-trips parse → serialise → parse for every status', () => {
    for (const status of ['none', 'failed', 'success', 'syncing', 'pre-syncing', 'paused', 'disabled']) {
      const first = parseMirrorStatus({ ...goMirrorStatus, status, is_master: status !== 'paused', error_msg: `e-${status}` });
      const again = parseMirrorStatus(JSON.parse(JSON.stringify(serializeMirrorStatus(first))));
      expect(again).toEqual(first);
      expect(serializeMirrorStatus(again)).toEqual(serializeMirrorStatus(first));
    }
  });

  it('gives missing fields their zero values', () => {
    const s = parseMirrorStatus({ name: 'x', status: 'none' });
    expect(s).toEqual({
      name: 'x',
      worker: '',
      isMaster: true,
      status: 'none',
      lastUpdate: new Date(ZERO_TIME_MS),
      lastStarted: new Date(ZERO_TIME_MS),
      lastEnded: new Date(ZERO_TIME_MS),
      nextSchedule: new Date(ZERO_TIME_MS),
      upstream: '',
      size: '',
      errorMsg: '',
    });
  });

  it('ignores fields it does not know, as Go does', () => {
    expect(parseMirrorStatus({ ...goMirrorStatus, extra: { a: 1 } }).name).toBe('debian');
  });

  it('serialises an empty status with zero times', () => {
    expect(serializeMirrorStatus(emptyMirrorStatus('arch', 'w1'))).toEqual({
      name: 'arch',
      worker: 'w1',
      is_master: true,
      status: 'none',
      last_update: '0001-01-01T00:00:00Z',
      last_started: '0001-01-01T00:00:00Z',
      last_ended: '0001-01-01T00:00:00Z',
      next_schedule: '0001-01-01T00:00:00Z',
      upstream: '',
      size: 'unknown',
      error_msg: '',
    });
  });

  it('rejects unknown statuses, wrong types and bad times, naming the field', () => {
    expectInvalid(() => parseMirrorStatus({ ...goMirrorStatus, status: 'running' }), /invalid MirrorStatus: status: must be one of "none", .*"disabled"/, 'status');
    expectInvalid(() => parseMirrorStatus({ ...goMirrorStatus, is_master: 'yes' }), /is_master: must be boolean/, 'is_master');
    expectInvalid(() => parseMirrorStatus({ ...goMirrorStatus, size: 12 }), /size: must be string/, 'size');
    expectInvalid(() => parseMirrorStatus({ ...goMirrorStatus, last_update: 1512541986 }), /last_update: must be string/, 'last_update');
    expectInvalid(() => parseMirrorStatus({ ...goMirrorStatus, last_ended: '2017-12-06 14:33:06' }), /last_ended: "2017-12-06 14:33:06" is not an RFC 3339 time/, 'last_ended');
    expectInvalid(() => parseMirrorStatus({ status: 'none' }), /name: is required/, 'name');
    expectInvalid(() => parseMirrorStatus(null), /invalid MirrorStatus: must be object/);
    expectInvalid(() => parseMirrorStatus([goMirrorStatus]), /must be object/);
  });

  it('lists every wrong field at once', () => {
    expectInvalid(() => parseMirrorStatus({ name: 1, status: 'bogus', upstream: false }), /name: must be string.*status: must be one of.*upstream: must be string/);
  });
});

describe('WebMirrorStatus', () => {
  const status: MirrorStatus = {
    ...emptyMirrorStatus('debian', 'w1'),
    status: 'success',
    isMaster: false,
    lastUpdate: new Date(Date.UTC(2026, 10, 21, 6, 3, 9)),
    lastStarted: new Date(Date.UTC(2026, 10, 21, 5, 59, 1)),
    lastEnded: new Date(Date.UTC(2026, 10, 21, 6, 3, 9)),
    upstream: 'rsync://ftp.debian.org/debian/',
    size: '1.5T',
    errorMsg: 'not shown',
  };

  it('serialises text times in the web layout, *_ts as Unix seconds, without worker and error_msg', () => {
    const json = serializeWebMirrorStatus(status, 'Asia/Shanghai');
    expect(JSON.stringify(json)).toBe(
      '{"name":"debian","is_master":false,"status":"success",' +
        '"last_update":"2026-11-21 14:03:09 +0800","last_update_ts":1795240989,' +
        '"last_started":"2026-11-21 13:59:01 +0800","last_started_ts":1795240741,' +
        '"last_ended":"2026-11-21 14:03:09 +0800","last_ended_ts":1795240989,' +
        '"next_schedule":"0001-01-01 00:00:00 +0000","next_schedule_ts":-62135596800,' +
        '"upstream":"rsync://ftp.debian.org/debian/","size":"1.5T"}',
    );
    expect(json.last_update_ts).toBe(Date.UTC(2026, 10, 21, 6, 3, 9) / 1000);
  });

  it('round-trips, including the zero time', () => {
    const json = serializeWebMirrorStatus(status, 'America/St_Johns');
    expect(json.last_update).toBe('2026-11-21 02:33:09 -0330');
    const parsed = parseWebMirrorStatus(JSON.parse(JSON.stringify(json)));
    const { worker: _w, errorMsg: _e, ...web } = status;
    expect(parsed).toEqual(web);
    expect(serializeWebMirrorStatus(parsed, 'America/St_Johns')).toEqual(json);
    expect(parsed.nextSchedule.getTime()).toBe(ZERO_TIME_MS);
  });

  it('truncates sub-second times to whole seconds', () => {
    const json = serializeWebMirrorStatus({ ...status, lastUpdate: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 999)) }, 'UTC');
    expect(json.last_update).toBe('2026-01-01 00:00:00 +0000');
    expect(json.last_update_ts).toBe(Date.UTC(2026, 0, 1) / 1000);
  });

  it('parses text times when *_ts is absent and lets *_ts win when both are present', () => {
    const textOnly = parseWebMirrorStatus({ name: 'a', status: 'syncing', last_update: '2026-11-21 14:03:09 +0800' });
    expect(textOnly.lastUpdate.getTime()).toBe(Date.UTC(2026, 10, 21, 6, 3, 9));
    expect(textOnly.lastEnded.getTime()).toBe(ZERO_TIME_MS);
    const both = parseWebMirrorStatus({ name: 'a', status: 'syncing', last_update: '2026-11-21 14:03:09 +0800', last_update_ts: 0 });
    expect(both.lastUpdate.getTime()).toBe(0);
  });

  it('rejects bad statuses, fractional *_ts and non-layout times', () => {
    expectInvalid(() => parseWebMirrorStatus({ name: 'a', status: 'ok' }), /invalid WebMirrorStatus: status: must be one of/, 'status');
    expectInvalid(() => parseWebMirrorStatus({ name: 'a', status: 'none', last_update_ts: 1.5 }), /last_update_ts: must be integer/, 'last_update_ts');
    expectInvalid(() => parseWebMirrorStatus({ name: 'a', status: 'none', last_ended: '2026-11-21T14:03:09Z' }), /last_ended: .* layout/, 'last_ended');
  });
});

describe('WorkerStatus', () => {
  const body = {
    id: 'w1',
    url: 'https://w1.example:6000/',
    token: 's3cret',
    last_online: '2017-12-06T14:33:06.422712373+08:00',
    last_register: '0001-01-01T00:00:00Z',
  };

  it('round-trips with the token', () => {
    const w = parseWorkerStatus(body);
    expect(w.token).toBe('s3cret');
    const json = serializeWorkerStatus(w);
    expect(JSON.stringify(json)).toBe(
      '{"id":"w1","url":"https://w1.example:6000/","token":"s3cret",' +
        '"last_online":"2017-12-06T06:33:06.422Z","last_register":"0001-01-01T00:00:00Z"}',
    );
    expect(parseWorkerStatus(json)).toEqual(w);
  });

  it('redacts the token on request and leaves the value untouched', () => {
    const w = parseWorkerStatus(body);
    const json = serializeWorkerStatus(w, true);
    expect(json.token).toBe('REDACTED');
    expect(Object.keys(json)).toEqual(['id', 'url', 'token', 'last_online', 'last_register']);
    expect(w.token).toBe('s3cret');
    expect(JSON.stringify(json)).not.toContain('s3cret');
  });

  it('rejects a missing id and wrong types', () => {
    expectInvalid(() => parseWorkerStatus({ url: 'x' }), /invalid WorkerStatus: id: is required/, 'id');
    expectInvalid(() => parseWorkerStatus({ id: 'w', token: 5 }), /token: must be string/, 'token');
    expectInvalid(() => parseWorkerStatus({ id: 'w', last_online: 'yesterday' }), /last_online: "yesterday" is not an RFC 3339 time/, 'last_online');
  });
});

describe('ClientCmd and WorkerCmd', () => {
  it('round-trips a ClientCmd with the exact JSON', () => {
    const body = { cmd: 'start', mirror_id: 'debian', worker_id: 'w1', args: ['a', 'b'], options: { force: true } };
    const c = parseClientCmd(body);
    expect(c).toEqual({ cmd: 'start', mirrorId: 'debian', workerId: 'w1', args: ['a', 'b'], options: { force: true } });
    const json = serializeClientCmd(c);
    expect(JSON.stringify(json)).toBe('{"cmd":"start","mirror_id":"debian","worker_id":"w1","args":["a","b"],"options":{"force":true}}');
    expect(parseClientCmd(json)).toEqual(c);
  });

  it('round-trips a WorkerCmd with the exact JSON, for every verb', () => {
    for (const cmd of ['start', 'stop', 'disable', 'restart', 'ping', 'reload']) {
      const w = parseWorkerCmd({ cmd, mirror_id: 'm', args: [], options: {} });
      const json = serializeWorkerCmd(w);
      expect(JSON.stringify(json)).toBe(`{"cmd":"${cmd}","mirror_id":"m","args":[],"options":{}}`);
      expect(parseWorkerCmd(json)).toEqual(w);
    }
  });

  it("accepts Go's null args and options (and absent ones) as empty", () => {
    const fromGo = { cmd: 'stop', mirror_id: 'arch', worker_id: 'w1', args: null, options: null };
    expect(parseClientCmd(fromGo)).toEqual({ cmd: 'stop', mirrorId: 'arch', workerId: 'w1', args: [], options: {} });
    expect(parseWorkerCmd({ cmd: 'reload', mirror_id: '', args: null, options: null })).toEqual({ cmd: 'reload', mirrorId: '', args: [], options: {} });
    expect(serializeClientCmd(parseClientCmd({ cmd: 'ping', worker_id: 'w' }))).toEqual({ cmd: 'ping', mirror_id: '', worker_id: 'w', args: [], options: {} });
  });

  it('does not share arrays with the value it serialises', () => {
    const c = parseClientCmd({ cmd: 'start', mirror_id: 'm', worker_id: 'w', args: ['x'], options: {} });
    const json = serializeClientCmd(c);
    json.args.push('y');
    expect(c.args).toEqual(['x']);
  });

  it('rejects unknown verbs, empty or missing worker_id and wrong types', () => {
    expectInvalid(() => parseClientCmd({ cmd: 'frobnicate', mirror_id: 'm', worker_id: 'w' }), /invalid ClientCmd: cmd: must be one of "start", "stop", "disable", "restart", "ping", "reload"/, 'cmd');
    expectInvalid(() => parseWorkerCmd({ cmd: 'START', mirror_id: 'm' }), /invalid WorkerCmd: cmd: must be one of/, 'cmd');
    expectInvalid(() => parseClientCmd({ cmd: 'start', mirror_id: 'm', worker_id: '' }), /worker_id: must NOT have fewer than 1 characters/, 'worker_id');
    expectInvalid(() => parseClientCmd({ cmd: 'start', mirror_id: 'm' }), /worker_id: is required/, 'worker_id');
    expectInvalid(() => parseClientCmd({ cmd: 'start', worker_id: 'w', options: { force: 'yes' } }), /options\.force: must be boolean/, 'options.force');
    expectInvalid(() => parseWorkerCmd({ cmd: 'start', args: [1] }), /args\[0\]: must be string/, 'args[0]');
    expectInvalid(() => parseWorkerCmd({ mirror_id: 'm' }), /cmd: is required/, 'cmd');
  });
});

describe('schedules and size', () => {
  it('round-trips schedules with Go times and the zero time', () => {
    const body = {
      schedules: [
        { name: 'debian', next_schedule: '2017-12-06T14:33:06.422712373+08:00' },
        { name: 'arch', next_schedule: '0001-01-01T00:00:00Z' },
      ],
    };
    const list = parseMirrorSchedules(body);
    expect(list.map((s) => [s.name, s.nextSchedule.getTime()])).toEqual([
      ['debian', Date.UTC(2017, 11, 6, 6, 33, 6, 422)],
      ['arch', ZERO_TIME_MS],
    ]);
    const json = serializeMirrorSchedules(list);
    expect(JSON.stringify(json)).toBe(
      '{"schedules":[{"name":"debian","next_schedule":"2017-12-06T06:33:06.422Z"},{"name":"arch","next_schedule":"0001-01-01T00:00:00Z"}]}',
    );
    expect(parseMirrorSchedules(json)).toEqual(list);
  });

  it('accepts null schedules as none', () => {
    expect(parseMirrorSchedules({ schedules: null })).toEqual([]);
    expect(serializeMirrorSchedules([])).toEqual({ schedules: [] });
  });

  it('names the entry with a bad time or a bad name', () => {
    const bad = { schedules: [{ name: 'a', next_schedule: '2017-12-06T14:33:06Z' }, { name: 'b', next_schedule: 'soon' }] };
    expectInvalid(() => parseMirrorSchedules(bad), /schedules\[1\]\.next_schedule: "soon" is not an RFC 3339 time/, 'schedules[1].next_schedule');
    expectInvalid(() => parseMirrorSchedules({ schedules: [{ name: '', next_schedule: '0001-01-01T00:00:00Z' }] }), /schedules\[0\]\.name: must NOT have fewer than 1 characters/, 'schedules[0].name');
    expectInvalid(() => parseMirrorSchedules({ schedules: [{ name: 'a' }] }), /schedules\[0\]\.next_schedule: is required/, 'schedules[0].next_schedule');
    expectInvalid(() => parseMirrorSchedules({}), /schedules: is required/, 'schedules');
  });

  it('parses a size update and rejects wrong types', () => {
    expect(parseSizeUpdate({ name: 'debian', size: '1.5T' })).toEqual({ name: 'debian', size: '1.5T' });
    expectInvalid(() => parseSizeUpdate({ name: 'debian', size: 1024 }), /invalid SizeUpdate: size: must be string/, 'size');
    expectInvalid(() => parseSizeUpdate({ size: '1G' }), /name: is required/, 'name');
  });
});
