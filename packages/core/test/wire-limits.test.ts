/**
 * Wire limits (issue 22) and wire error codes (issue 13) in core: byte
 * limits on names, error_msg truncation at a character boundary, and the
 * `code` each error class answers with.
 */
import { describe, expect, it } from '@jest/globals';
import {
  ConfigError,
  ForbiddenError,
  MAX_ERROR_MSG_BYTES,
  NotFoundError,
  UnauthorizedError,
  UpstreamError,
  ValidationError,
  parseClientCmd,
  parseMirrorStatus,
  truncateErrorMsg,
  wireErrorCode,
} from '@tunasync/core';

describe('truncateErrorMsg', () => {
  it('keeps a message of 4 KiB or less as it is', () => {
    const m = 'é'.repeat(2048);
    expect(truncateErrorMsg(m)).toBe(m);
  });

  it('cuts a longer one at a character boundary, within 4 KiB, with a marker', () => {
    const m = `a${'€'.repeat(3000)}`; // 9001 bytes; '€' is 3 bytes
    const t = truncateErrorMsg(m);
    expect(Buffer.byteLength(t)).toBeLessThanOrEqual(MAX_ERROR_MSG_BYTES);
    expect(t).not.toContain('\ufffd');
    expect(t).toMatch(/^a€+ … \[truncated, 9001 bytes in all\]$/);
  });
});

describe('byte limits', () => {
  it('a name is measured in UTF-8 bytes', () => {
    const body = (name: string) => ({ name, status: 'success' });
    expect(parseMirrorStatus(body('€'.repeat(85))).name).toHaveLength(85); // 255 bytes
    expect(() => parseMirrorStatus(body('€'.repeat(86)))).toThrow(/^invalid MirrorStatus: name: must not be longer than 255 bytes$/);
    expect(() => parseClientCmd({ cmd: 'start', worker_id: 'é'.repeat(128) })).toThrow(/worker_id: must not be longer than 255 bytes/);
  });
});

describe('wire codes', () => {
  it('each error class has a stable snake_case code; ValidationError takes a specific one', () => {
    expect(new ValidationError('x').wireCode).toBe('bad_request');
    expect(new ValidationError('invalid workerID w', 'id', 'invalid_worker_id').wireCode).toBe('invalid_worker_id');
    expect(new UnauthorizedError().wireCode).toBe('unauthorized');
    expect(new ForbiddenError('x').wireCode).toBe('forbidden');
    expect(new NotFoundError('x').wireCode).toBe('not_found');
    expect(new UpstreamError('x').wireCode).toBe('upstream_failed');
    expect(new UpstreamError('x', 500, { wireCode: 'worker_unreachable' }).wireCode).toBe('worker_unreachable');
    expect(new ConfigError([{ file: 'f', path: 'k', message: 'm' }]).wireCode).toBe('config_invalid');
  });

  it('wireErrorCode reads the code of an error body, and nothing from tunasync’s', () => {
    expect(wireErrorCode({ error: 'invalid workerID w', code: 'invalid_worker_id' })).toBe('invalid_worker_id');
    expect(wireErrorCode({ error: 'invalid workerID w' })).toBeUndefined();
    expect(wireErrorCode('text')).toBeUndefined();
    expect(wireErrorCode(null)).toBeUndefined();
  });
});
