/**
 * manager.conf checks that used to wait until listen time (issue 13) and the
 * new optional keys of issue 22: `[limits]` and `[server] allow_worker_urls`.
 */
import { describe, expect, it } from '@jest/globals';
import { ConfigError, DEFAULT_MAX_JOBS_PER_WORKER, DEFAULT_MAX_WORKERS, parseManagerConfig } from '@tunasync/core';

function problems(text: string, overrides = {}): string[] {
  try {
    parseManagerConfig(text, 'm.conf', overrides);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.file}: ${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('manager.conf TLS keys are checked at load', () => {
  it('ssl_cert without ssl_key, and the reverse, name the file and the missing key', () => {
    expect(problems('[server]\nssl_cert = "/c.pem"\n')).toEqual(['m.conf: server.ssl_key: ssl_cert and ssl_key must be set together']);
    expect(problems('[server]\nssl_key = "/k.pem"\n')).toEqual(['m.conf: server.ssl_cert: ssl_cert and ssl_key must be set together']);
  });

  it('client_ca needs both', () => {
    expect(problems('[server]\nclient_ca = "/ca.pem"\n')).toEqual([
      'm.conf: server.client_ca: needs ssl_cert and ssl_key (client certificates only work over TLS)',
    ]);
  });

  it('checks after command-line overrides: --cert alone is refused, --cert with --key accepted', () => {
    expect(problems('', { sslCert: '/c.pem' })).toEqual(['m.conf: server.ssl_key: ssl_cert and ssl_key must be set together']);
    expect(parseManagerConfig('', 'm.conf', { sslCert: '/c.pem', sslKey: '/k.pem' }).config.server.sslKey).toBe('/k.pem');
  });

  it('remembers which file it was loaded from', () => {
    expect(parseManagerConfig('', 'm.conf').config.file).toBe('m.conf');
  });
});

describe('[limits] and [server] allow_worker_urls', () => {
  it('are optional: an old manager.conf gets the defaults', () => {
    const { config, warnings } = parseManagerConfig('[server]\naddr = "127.0.0.1"\n', 'm.conf');
    expect(warnings).toEqual([]);
    expect(config.limits).toEqual({ maxWorkers: DEFAULT_MAX_WORKERS, maxJobsPerWorker: DEFAULT_MAX_JOBS_PER_WORKER });
    expect([DEFAULT_MAX_WORKERS, DEFAULT_MAX_JOBS_PER_WORKER]).toEqual([1000, 10000]);
    expect(config.server.allowWorkerUrls).toEqual([]);
  });

  it('are read when set', () => {
    const { config } = parseManagerConfig(
      '[server]\nallow_worker_urls = ["169.254.1.1", "http://[fe80::1]:6000"]\n[limits]\nmax_workers = 5\nmax_jobs_per_worker = 7\n',
      'm.conf',
    );
    expect(config.limits).toEqual({ maxWorkers: 5, maxJobsPerWorker: 7 });
    expect(config.server.allowWorkerUrls).toEqual(['169.254.1.1', 'http://[fe80::1]:6000']);
  });

  it('refuse wrong values, naming file and key', () => {
    expect(problems('[limits]\nmax_workers = 0\nmax_jobs_per_worker = "many"\n').sort()).toEqual([
      'm.conf: limits.max_jobs_per_worker: must be integer',
      'm.conf: limits.max_workers: must be >= 1',
    ]);
    expect(problems('[server]\nallow_worker_urls = [""]\n')).toEqual(['m.conf: server.allow_worker_urls[0]: must NOT have fewer than 1 characters']);
  });
});
