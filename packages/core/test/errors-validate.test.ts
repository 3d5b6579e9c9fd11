import { describe, expect, it } from '@jest/globals';
import {
  ConfigError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  TunasyncError,
  UnauthorizedError,
  UpstreamError,
  ValidationError,
  ctlConfigSchema,
  errorMessage,
  isTunasyncError,
  managerConfigSchema,
  wireSchemas,
  workerConfigSchema,
} from '@tunasync/core';
// ajv and its glue are internal to core (not a public export): tested from the source.
import { ajv, assertValid, describeAjvErrors, pointerToPath } from '../src/validate.js';

describe('error classes', () => {
  it.each<[string, string, number, TunasyncError]>([
    ['ValidationError', 'BAD_REQUEST', 400, new ValidationError('bad', 'status')],
    ['UnauthorizedError', 'UNAUTHORIZED', 401, new UnauthorizedError()],
    ['ForbiddenError', 'FORBIDDEN', 403, new ForbiddenError('no')],
    ['NotFoundError', 'NOT_FOUND', 404, new NotFoundError('gone')],
    ['PayloadTooLargeError', 'PAYLOAD_TOO_LARGE', 413, new PayloadTooLargeError()],
    ['UpstreamError', 'UPSTREAM_FAILED', 502, new UpstreamError('worker down')],
    ['ConfigError', 'CONFIG_INVALID', 500, new ConfigError([{ file: 'f', path: 'p', message: 'm' }])],
  ])('%s has code %s and status %i', (name, code, status, err) => {
    expect(err).toBeInstanceOf(TunasyncError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(code);
    expect(err.httpStatus).toBe(status);
    expect(err.name).toBe(name);
    expect(isTunasyncError(err)).toBe(true);
  });

  it('keeps defaults, fields and causes', () => {
    expect(new UnauthorizedError().message).toBe('token missing or wrong');
    expect(new PayloadTooLargeError().message).toBe('request body too large');
    expect(new ValidationError('x', 'cmd').field).toBe('cmd');
    expect(new ValidationError('x').field).toBeUndefined();
    const cause = new Error('ECONNREFUSED');
    const up = new UpstreamError('post command to worker w fail', 500, { cause });
    expect(up.httpStatus).toBe(500);
    expect(up.cause).toBe(cause);
  });

  it('tells tunasync errors from others and extracts messages', () => {
    expect(isTunasyncError(new Error('x'))).toBe(false);
    expect(isTunasyncError('x')).toBe(false);
    expect(errorMessage(new NotFoundError('no job'))).toBe('no job');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(42)).toBe('42');
  });

  it('builds one message from one issue or several', () => {
    expect(new ConfigError([{ file: 'a.conf', path: 'x', message: 'bad' }]).message).toBe('a.conf: x: bad');
    const two = new ConfigError([
      { file: 'a.conf', path: 'x', message: 'bad' },
      { file: 'b.conf', path: '', message: 'broken', line: 1, column: 2 },
    ]);
    expect(two.message).toBe('invalid configuration:\n  a.conf: x: bad\n  b.conf:1:2: broken');
    expect(two.issues).toHaveLength(2);
  });
});

describe('schema helpers', () => {
  it('turns JSON pointers into key paths', () => {
    expect(pointerToPath('')).toBe('');
    expect(pointerToPath('/mirrors/3/interval')).toBe('mirrors[3].interval');
    expect(pointerToPath('/schedules/1/next_schedule')).toBe('schedules[1].next_schedule');
    expect(pointerToPath('/env/a~1b/c~0d')).toBe('env.a/b.c~d');
    expect(pointerToPath('/0/x')).toBe('[0].x');
  });

  it('describes ajv errors once per path, marking unknown keys', () => {
    const validate = ajv.compile({
      type: 'object',
      additionalProperties: false,
      required: ['a'],
      properties: { a: { type: 'integer' }, b: { type: 'string', enum: ['x', 'y'] } },
    });
    expect(validate({ b: 'z', c: 1 })).toBe(false);
    expect(describeAjvErrors(validate.errors)).toEqual([
      { path: 'a', message: 'is required' },
      { path: 'c', message: 'unknown key', unknownKey: true },
      { path: 'b', message: 'must be one of "x", "y"' },
    ]);
    expect(describeAjvErrors(null)).toEqual([]);
    expect(() => assertValid(validate, { a: 'no' }, 'Thing')).toThrow(new ValidationError('invalid Thing: a: must be integer', 'a'));
    expect(() => assertValid(validate, { a: 1 }, 'Thing')).not.toThrow();
  });

  it('exports schemas that compile, for editors and tools', () => {
    for (const schema of [managerConfigSchema, workerConfigSchema, ctlConfigSchema]) {
      expect(typeof ajv.getSchema(schema.$id)).toBe('function');
    }
    expect(Object.keys(wireSchemas).sort()).toEqual(['ClientCmd', 'MirrorSchedules', 'MirrorStatus', 'SizeUpdate', 'WebMirrorStatus', 'WorkerCmd', 'WorkerStatus']);
    const validate = ajv.compile(wireSchemas.WorkerCmd);
    expect(validate({ cmd: 'start', args: null, options: null })).toBe(true);
    expect(validate({ cmd: 'launch' })).toBe(false);
  });
});
