import { describe, expect, it } from '@jest/globals';
import { emptyMirrorStatus, zeroTime, type MirrorStatus } from '@tunasync/core';
import {
  UTC_ZONE,
  compileFormat,
  formatGoTime,
  goTimeString,
  mirrorStatusValue,
  sprintf,
  webMirrorStatusValue,
  workerStatusValue,
} from '@tunasync/ctl';

const at = new Date('2026-11-21T06:03:09.120Z');
const job: MirrorStatus = {
  ...emptyMirrorStatus('debian', 'w1'),
  status: 'failed',
  lastUpdate: at,
  lastEnded: new Date('2026-11-21T07:00:00Z'),
  nextSchedule: new Date('2026-11-21T08:00:00Z'),
  upstream: 'rsync://ftp.debian.org/debian/',
  size: '1.5T',
  errorMsg: 'rsync exited with 23',
};
const render = (format: string, subject: 'MirrorStatus' | 'WebMirrorStatus' = 'MirrorStatus'): string =>
  compileFormat(format, subject).render(subject === 'MirrorStatus' ? mirrorStatusValue(job) : webMirrorStatusValue(job));

describe('Go times', () => {
  it('print as time.Time.String(), fractional seconds trimmed, zero time in UTC', () => {
    expect(goTimeString(at, UTC_ZONE)).toBe('2026-11-21 06:03:09.12 +0000 UTC');
    expect(goTimeString(new Date('2026-11-21T06:03:09Z'), { offsetMinutes: 480, name: 'CST' })).toBe('2026-11-21 14:03:09 +0800 CST');
    expect(goTimeString(zeroTime())).toBe('0001-01-01 00:00:00 +0000 UTC');
  });

  it('format Go reference layouts', () => {
    const z = { offsetMinutes: -330, name: '-0530' };
    expect(formatGoTime(at, '2006-01-02T15:04:05Z07:00', UTC_ZONE)).toBe('2026-11-21T06:03:09Z');
    expect(formatGoTime(at, '2006-01-02T15:04:05.000Z07:00', z)).toBe('2026-11-21T00:33:09.120-05:30');
    expect(formatGoTime(at, 'Mon Jan _2 3:04PM 06 -0700 MST', z)).toBe('Sat Nov 21 12:33AM 26 -0530 -0530');
    expect(formatGoTime(at, 'Monday, 2 January 2006 (day 002) .999 pm', UTC_ZONE)).toBe('Saturday, 21 November 2026 (day 325) .12 am');
  });
});

describe('--format templates', () => {
  it('print fields by their Go names, one value each', () => {
    expect(render('{{.Name}} {{.Worker}} {{.Status}} {{.IsMaster}} {{.Size}} {{.Upstream}}')).toBe('debian w1 failed true 1.5T rsync://ftp.debian.org/debian/');
    expect(render('{{.ErrorMsg}}|{{.LastUpdate.UTC}}|{{.Scheduled.Unix}}|{{.NextSchedule.Unix}}')).toBe(
      'rsync exited with 23|2026-11-21 06:03:09.12 +0000 UTC|1795248000|1795248000',
    );
    expect(render('{{.LastStarted}} {{.LastStarted.IsZero}}')).toBe('0001-01-01 00:00:00 +0000 UTC true');
  });

  it('give WebMirrorStatus its *Ts fields (times, as in Go) and no Worker', () => {
    expect(render('{{.LastUpdateTs.Unix}} {{.ScheduledTs.Unix}} {{.LastEndedTs.Format "15:04"}}', 'WebMirrorStatus')).toBe('1795240989 1795248000 07:00');
    expect(() => compileFormat('{{.Worker}}', 'WebMirrorStatus')).toThrow(/can't evaluate field Worker in type WebMirrorStatus.*name workers/);
    expect(() => compileFormat('{{.LastUpdateTs}}', 'MirrorStatus')).toThrow(/can't evaluate field LastUpdateTs in type MirrorStatus/);
  });

  it('run pipelines, printf, comparisons and conditionals', () => {
    expect(render('{{printf "%-8s|%5s|%q" .Name .Size .Status}}')).toBe('debian  | 1.5T|"failed"');
    expect(render('{{.Name | printf "[%s]"}} {{len .Name}} {{print .IsMaster 3 "x"}}')).toBe('[debian] 6 true 3x');
    expect(render('{{if eq .Status "success"}}ok{{else if eq .Status "failed" "paused"}}BAD{{else}}?{{end}}')).toBe('BAD');
    expect(render('{{if and .IsMaster (ne .Size "unknown")}}{{.Size}}{{end}}')).toBe('1.5T');
    expect(render('{{with .ErrorMsg}}error: {{.}}{{end}}{{with .Upstream | not}}never{{end}}')).toBe('error: rsync exited with 23');
    expect(render('{{if lt .LastUpdate .NextSchedule}}due{{end}} {{gt 3 2}} {{not .IsMaster}} {{or "" "b"}}')).toBe('due true false b');
  });

  it('handle literals, escapes, trim markers and comments as Go does', () => {
    expect(render('{{"a\\tb"}}|{{`raw\\t`}}|{{1.5}}|{{-3}}|{{true}}|{{nil}}')).toBe('a\tb|raw\\t|1.5|-3|true|<nil>');
    expect(render('  {{- .Name -}}  \n {{/* hidden */}}x')).toBe('debianx');
    expect(render('{{.Name}}\\t{{.Status}}')).toBe('debian\\tfailed');
    expect(render('{{"}}"}} {{.Name}}')).toBe('}} debian');
  });

  it('reject bad templates with a message naming the problem', () => {
    expect(() => compileFormat('{{.Name', 'MirrorStatus')).toThrow(/template: unclosed action/);
    expect(() => compileFormat('{{.Nmae}}', 'MirrorStatus')).toThrow(/can't evaluate field Nmae in type MirrorStatus \(fields: Name, Worker/);
    expect(() => compileFormat('{{upper .Name}}', 'MirrorStatus')).toThrow(/function "upper" not defined/);
    expect(() => compileFormat('{{if .IsMaster}}x', 'MirrorStatus')).toThrow(/has no \{\{end\}\}/);
    expect(() => compileFormat('{{end}}', 'MirrorStatus')).toThrow(/unexpected \{\{end\}\}/);
    expect(() => compileFormat('{{range .}}{{end}}', 'MirrorStatus')).toThrow(/range.*not supported/);
    expect(() => compileFormat('{{$x := 1}}', 'MirrorStatus')).toThrow(/variables/);
    expect(() => compileFormat('{{.Name "x"}}', 'MirrorStatus')).toThrow(/Name is not a method but has arguments/);
    expect(() => compileFormat('{{eq .IsMaster "true"}}', 'MirrorStatus')).toThrow(/incompatible types for comparison/);
    expect(() => compileFormat('{{.LastUpdate.Nope}}', 'MirrorStatus')).toThrow(/can't evaluate field Nope in type time.Time/);
    expect(() => compileFormat('{{"abc}}', 'MirrorStatus')).toThrow(/unterminated quoted string/);
    expect(() => compileFormat('{{(.Name}}', 'MirrorStatus')).toThrow(/unclosed left paren/);
  });

  it('gives workers their Go names', () => {
    const w = workerStatusValue({ id: 'w1', url: 'http://h:6000/', token: 'REDACTED', lastOnline: at, lastRegister: zeroTime() });
    expect(compileFormat('{{.ID}} {{.URL}} {{.Token}} {{.LastOnline.Unix}} {{.LastRegister.IsZero}}', 'WorkerStatus').render(w)).toBe(
      'w1 http://h:6000/ REDACTED 1795240989 true',
    );
  });
});

describe('sprintf', () => {
  it('covers the verbs, flags and Go\'s mismatch notation', () => {
    expect(sprintf('%d|%5d|%-5d|%05d|%+d|%x|%X|%%', [42, 42, 42, -42, 7, 255, 'hi'])).toBe('42|   42|42   |-0042|+7|ff|6869|%');
    expect(sprintf('%.2f|%8.3f|%g|%e|%t|%v|%.3s', [1.005, 3.14159, 0.5, 1234.5, true, null, 'abcdef'])).toBe('1.00|   3.142|0.5|1.234500e+03|true|<nil>|abc');
    expect(sprintf('%d %s', ['x', 3])).toBe('%!d(string=x) %!s(int=3)');
    expect(sprintf('%s %s', ['a'])).toBe('a %!s(MISSING)');
    expect(sprintf('%s', ['a', 2])).toBe('a%!(EXTRA int=2)');
  });
});
