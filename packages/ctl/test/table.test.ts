import { describe, expect, it } from '@jest/globals';
import { emptyMirrorStatus, zeroTime, type MirrorStatus } from '@tunasync/core';
import { escapeTerminalText, jobsTable, relativeTime, renderTable, wantsColor, workersTable } from '@tunasync/ctl';

const now = new Date('2026-11-21T12:00:00Z');
const ago = (s: number): Date => new Date(now.getTime() - s * 1000);

describe('relative times', () => {
  it('read as a person would say them, past and future', () => {
    expect(relativeTime(zeroTime(), now)).toBe('never');
    expect(relativeTime(zeroTime(), now, '-')).toBe('-');
    expect(relativeTime(ago(2), now)).toBe('just now');
    expect(relativeTime(ago(42), now)).toBe('42s ago');
    expect(relativeTime(ago(5 * 60 + 20), now)).toBe('5m ago');
    expect(relativeTime(ago(2 * 3600 + 15 * 60), now)).toBe('2h15m ago');
    expect(relativeTime(ago(13 * 3600), now)).toBe('13h ago');
    expect(relativeTime(ago(3 * 86_400), now)).toBe('3d ago');
    expect(relativeTime(ago(90 * 86_400), now)).toBe('3mo ago');
    expect(relativeTime(ago(3 * 365 * 86_400), now)).toBe('3y ago');
    expect(relativeTime(ago(-10 * 60), now)).toBe('in 10m');
  });
});

function job(name: string, worker: string, status: MirrorStatus['status'], extra: Partial<MirrorStatus> = {}): MirrorStatus {
  return { ...emptyMirrorStatus(name, worker), status, upstream: `rsync://up/${name}/`, ...extra };
}

describe('tables', () => {
  const jobs = [
    job('debian', 'w1', 'success', { lastUpdate: ago(3600), nextSchedule: ago(-1800), size: '1.5T' }),
    job('archlinux-cn', 'worker-two', 'failed', { nextSchedule: ago(-60) }),
    job('old', 'w1', 'disabled', { lastUpdate: ago(86_400 * 2), nextSchedule: ago(-60), size: '' }),
  ];

  it('align the job columns, with relative times and no trailing blanks', () => {
    const text = jobsTable(jobs, { now, color: false });
    expect(text).toBe(
      [
        'NAME          WORKER      STATUS    LAST UPDATE  NEXT RUN  SIZE     UPSTREAM',
        'debian        w1          success   1h ago       in 30m    1.5T     rsync://up/debian/',
        'archlinux-cn  worker-two  failed    never        in 1m     unknown  rsync://up/archlinux-cn/',
        'old           w1          disabled  2d ago       -         unknown  rsync://up/old/',
        '',
      ].join('\n'),
    );
  });

  it('colour statuses only when asked, keeping the alignment', () => {
    const plain = jobsTable(jobs, { now, color: false });
    const coloured = jobsTable(jobs, { now, color: true });
    expect(plain).not.toMatch(/\x1b\[/);
    expect(coloured).toMatch(/\x1b\[32msuccess\x1b\[0m {3}1h ago/);
    expect(coloured).toMatch(/\x1b\[31mfailed\x1b\[0m {4}never/);
    expect(coloured).toMatch(/^\x1b\[1mNAME/);
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
  });

  it('list workers with how long ago they were seen', () => {
    const text = workersTable([{ id: 'w1', url: 'http://10.0.0.1:6000/', token: 'REDACTED', lastOnline: ago(30), lastRegister: ago(7200) }], { now, color: false });
    expect(text).toBe('ID  URL                    LAST ONLINE  LAST REGISTER\nw1  http://10.0.0.1:6000/  30s ago      2h ago\n');
    expect(renderTable(['A'], [], { color: false })).toBe('A\n');
  });

  it('colour only a terminal, unless NO_COLOR or FORCE_COLOR say otherwise', () => {
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(wantsColor({}, {})).toBe(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColor({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(true);
    expect(wantsColor({ isTTY: false }, { FORCE_COLOR: '0' })).toBe(false);
  });
});

describe('control characters', () => {
  it('escapeTerminalText shows C0, DEL, C1, CR, newlines, tabs and bidi controls; leaves other text', () => {
    expect(escapeTerminalText('a\u001b]0;t\u0007\u001b[2K\r\n\t\u007f\u0080\u009b\u009fb')).toBe('a\\x1b]0;t\\x07\\x1b[2K\\x0d\\x0a\\x09\\x7f\\x80\\x9b\\x9fb');
    expect(escapeTerminalText('x\u202ey\u2066z\u200f\u2028')).toBe('x\\u202ey\\u2066z\\u200f\\u2028');
    expect(escapeTerminalText('清华 mirrors ✓ é \\x1b')).toBe('清华 mirrors ✓ é \\x1b');
  });

  it('jobsTable and workersTable escape values but keep their own colours', () => {
    const evil = '\u001b]0;pwned\u0007\u001b[2K\u009b2J\r';
    const table = jobsTable([job(`n${evil}`, `w${evil}`, 'failed', { upstream: `u${evil}`, size: `s${evil}` })], { now, color: true });
    // eslint-disable-next-line no-control-regex
    expect(table.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(table).toContain('\x1b[31mfailed\x1b[0m');
    expect(table).toContain('u\\x1b]0;pwned\\x07\\x1b[2K\\x9b2J\\x0d');
    const workers = workersTable([{ id: `w${evil}`, url: `http://x/${evil}`, token: '', lastOnline: now, lastRegister: now }], { now, color: false });
    expect(workers).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(workers.split('\n')).toHaveLength(3);
  });
});
