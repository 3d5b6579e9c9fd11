/**
 * `GET /mirrorz.json` (issue 17): mirrorz data format v1.7, every status
 * checked against mirrorz's status grammar, several workers merged (master
 * first, then newest success), never a zero or negative timestamp, off
 * unless `[mirrorz.site]` is set.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { buildMirrorz, mirrorzStatus } from '@tunasync/manager';
import { emptyMirrorStatus, parseManagerConfig, type MirrorStatus, type SyncStatus } from '@tunasync/core';
import { startTestManager, tempDir, testManagerConfig, type TestManager } from '@tunasync/testkit';

/**
 * mirrorz's status grammar: one main code (S, Y, F, P, D, U) with an
 * optional Unix timestamp > 0, then auxiliary codes X, O, N, each with a
 * positive timestamp (N's optional); O only after Y or F.
 */
function checkStatus(status: string): void {
  const m = /^([SYFPDU])(\d*)((?:[XON]\d*)*)$/.exec(status);
  if (!m) throw new Error(`${status}: not [SYFPDU](ts)?([XON]ts)*`);
  if (m[2] !== '' && !(Number(m[2]) > 0)) throw new Error(`${status}: main timestamp must be > 0`);
  for (const [, code, ts] of m[3]!.matchAll(/([XON])(\d*)/g)) {
    if (code !== 'N' && !(Number(ts) > 0)) throw new Error(`${status}: ${code} needs a timestamp > 0`);
    if (code === 'O' && !'YF'.includes(m[1]!)) throw new Error(`${status}: O only after Y or F`);
  }
}

/** mirrorz v1.7 document shape (site.url and site.abbr required; mirrors entries as the format lists them). */
function checkDocument(doc: any): void {
  expect(doc.version).toBe(1.7);
  expect(typeof doc.site.url).toBe('string');
  expect(doc.site.url.endsWith('/')).toBe(false);
  expect(typeof doc.site.abbr).toBe('string');
  expect(doc.info).toEqual([]);
  for (const mirror of doc.mirrors) {
    for (const k of ['cname', 'desc', 'url', 'status', 'help', 'upstream']) expect(typeof mirror[k]).toBe('string');
    for (const k of Object.keys(mirror)) expect(['cname', 'desc', 'url', 'status', 'help', 'upstream', 'size', 'disable']).toContain(k);
    checkStatus(mirror.status);
  }
}

const T = (s: number) => new Date(s * 1000);
const zero = emptyMirrorStatus('x', 'w').lastUpdate;

function status(name: string, st: SyncStatus, times: Partial<Record<'last' | 'started' | 'ended' | 'next', number>>, extra: Partial<MirrorStatus> = {}): MirrorStatus {
  return {
    ...emptyMirrorStatus(name, 'w1'),
    status: st,
    lastUpdate: times.last ? T(times.last) : zero,
    lastStarted: times.started ? T(times.started) : zero,
    lastEnded: times.ended ? T(times.ended) : zero,
    nextSchedule: times.next ? T(times.next) : zero,
    upstream: `rsync://up/${name}/`,
    size: '1.5G',
    ...extra,
  };
}

describe('mirrorz status grammar', () => {
  const cases: [MirrorStatus, string][] = [
    [status('a', 'success', { last: 1700000000, next: 1700003600 }), 'S1700000000X1700003600'],
    [status('a', 'success', { last: 1700000000 }), 'S1700000000'],
    [status('a', 'syncing', { last: 1700000000, started: 1700001000, next: 1700009000 }), 'Y1700001000X1700009000O1700000000'],
    [status('a', 'pre-syncing', { started: 1700001000 }), 'Y1700001000'],
    [status('a', 'failed', { last: 1700000000, ended: 1700002000, next: 1700005000 }), 'F1700002000X1700005000O1700000000'],
    [status('a', 'failed', { ended: 1700002000 }), 'F1700002000'],
    [status('a', 'paused', { last: 1700000000, ended: 1700002000 }), 'P1700002000'],
    [status('a', 'none', {}), 'D'],
    [status('a', 'none', { next: 1700005000 }), 'DX1700005000'],
    [status('a', 'disabled', {}), 'D'],
    [status('a', 'disabled', { last: 1700000000 }), 'S1700000000'],
    // Zero times leave the number out, never write 0 or a negative one.
    [status('a', 'syncing', {}), 'Y'],
    [status('a', 'failed', {}), 'F'],
    [status('a', 'success', {}), 'S'],
  ];
  it.each(cases.map(([s, want]) => [`${s.status} → ${want}`, s, want] as const))('%s', (_title, s, want) => {
    expect(mirrorzStatus(s)).toBe(want);
    checkStatus(want);
  });

  it('the grammar check rejects what mirrorz would', () => {
    for (const bad of ['S0', 'Y-62135596800', 'SX0', 'SO1', 'Q1', 'S1F2', '']) expect(() => checkStatus(bad)).toThrow();
  });
});

describe('buildMirrorz', () => {
  it('merges several workers: the master first, then the newest success', () => {
    const doc = buildMirrorz({ site: { url: 'https://m.example', abbr: 'M' }, mirrors: {} }, [
      status('debian', 'success', { last: 1700009000 }, { worker: 'w2', isMaster: false }),
      status('debian', 'failed', { last: 1700000000, ended: 1700005000 }, { worker: 'w1', isMaster: true }),
      status('arch', 'success', { last: 1700000000 }, { worker: 'w1', isMaster: false }),
      status('arch', 'success', { last: 1700008000 }, { worker: 'w3', isMaster: false, upstream: 'rsync://newest/' }),
    ]);
    expect(doc.mirrors.map((m) => [m.cname, m.status, m.upstream])).toEqual([
      ['arch', 'S1700008000', 'rsync://newest/'],
      ['debian', 'F1700005000O1700000000', 'rsync://up/debian/'],
    ]);
    checkDocument(doc);
  });

  it('takes cname, desc, url, help from [mirrorz.mirrors.NAME], marks disabled mirrors, leaves unknown sizes out', () => {
    const doc = buildMirrorz(
      { site: { url: 'https://m.example', abbr: 'M' }, mirrors: { debian: { cname: 'Debian', desc: 'The universal OS', help: '/help/debian/', url: '/debian' } } },
      [status('debian', 'success', { last: 1700000000 }), status('old', 'disabled', {}, { size: 'unknown' })],
    );
    expect(doc.mirrors).toEqual([
      { cname: 'Debian', desc: 'The universal OS', url: '/debian', status: 'S1700000000', help: '/help/debian/', upstream: 'rsync://up/debian/', size: '1.5G' },
      { cname: 'old', desc: '', url: '/old/', status: 'D', help: '', upstream: 'rsync://up/old/', disable: true },
    ]);
    checkDocument(doc);
  });
});

describe('GET /mirrorz.json', () => {
  let m: TestManager | undefined;
  afterEach(async () => {
    await m?.close();
    m = undefined;
  });

  it('is a 404 saying what to configure without [mirrorz.site]', async () => {
    m = await startTestManager();
    const r = await m.call('GET', '/mirrorz.json');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('mirrorz_not_configured');
    expect(r.body.error).toContain('[mirrorz.site]');
  });

  it('serves every status of a real manager in mirrorz grammar, named by cname', async () => {
    const text = '[mirrorz.site]\nurl = "https://mirrors.example.org"\nabbr = "EX"\nname = "Example mirrors"\n[mirrorz.mirrors.debian]\ncname = "Debian"\n';
    const parsed = parseManagerConfig(text).config;
    const dir = tempDir('mirrorz-');
    m = await startTestManager({ config: { ...testManagerConfig(`${dir.dir}/m.db`), mirrorz: parsed.mirrorz! } });
    const close = m.close;
    m.close = async () => {
      await close();
      dir.cleanup();
    };
    await m.call('POST', '/workers', { id: 'w1', url: 'http://127.0.0.1:1/' });
    const statuses = ['none', 'pre-syncing', 'syncing', 'success', 'failed', 'paused', 'disabled'];
    for (const st of statuses) {
      expect((await m.call('POST', `/workers/w1/jobs/m-${st}`, { name: `m-${st}`, worker: 'w1', is_master: true, status: st, upstream: 'u', size: '1G' })).status).toBe(200);
    }
    expect((await m.call('POST', '/workers/w1/jobs/debian', { name: 'debian', worker: 'w1', is_master: true, status: 'success', upstream: 'u', size: '1G' })).status).toBe(200);
    const r = await m.call('GET', '/mirrorz.json');
    expect(r.status).toBe(200);
    expect(r.body.site).toEqual({ url: 'https://mirrors.example.org', abbr: 'EX', name: 'Example mirrors' });
    checkDocument(r.body);
    const codes = Object.fromEntries(r.body.mirrors.map((x: any) => [x.cname, x.status[0]]));
    expect(codes).toMatchObject({ 'm-none': 'D', 'm-pre-syncing': 'Y', 'm-syncing': 'Y', 'm-success': 'S', 'm-failed': 'F', 'm-paused': 'P', Debian: 'S' });
    expect(r.body.mirrors.find((x: any) => x.cname === 'm-disabled').disable).toBe(true);
  });
});

describe('[mirrorz] and [web] in manager.conf', () => {
  it('refuses a site without url or abbr, a url ending in "/", and a bad base_path, naming the key', () => {
    expect(() => parseManagerConfig('[mirrorz.site]\nname = "x"\n', 'm.conf')).toThrow(/mirrorz\.site\.url[\s\S]*mirrorz\.site\.abbr/);
    expect(() => parseManagerConfig('[mirrorz.site]\nurl = "https://a.example/"\nabbr = "A"\n', 'm.conf')).toThrow(/mirrorz\.site\.url.*must not end/);
    expect(() => parseManagerConfig('[web]\nbase_path = "status page"\n', 'm.conf')).toThrow(/web\.base_path/);
  });

  it('reads [web] with defaults; an old manager.conf has neither section', () => {
    expect(parseManagerConfig('[web]\nbase_path = "/status/"\n').config.web).toEqual({ enable: true, title: 'Mirror status', basePath: '/status' });
    expect(parseManagerConfig('[web]\nenable = false\ntitle = "TUNA"\n').config.web).toEqual({ enable: false, title: 'TUNA', basePath: '' });
    const old = parseManagerConfig('[server]\nport = 1\n').config;
    expect(old.web).toBeUndefined();
    expect(old.mirrorz).toBeUndefined();
  });
});
