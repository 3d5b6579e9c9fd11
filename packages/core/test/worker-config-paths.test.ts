import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseWorkerConfig } from '@tunasync/core';

const FILE = '/etc/tunasync/worker.conf';
const global = (name = 'w'): string => `[global]\nname = ${JSON.stringify(name)}\nlog_dir = "/l/{{.Name}}"\nmirror_dir = "/m"\n`;
const rsyncMirror = (name: string, extra = ''): string => `[[mirrors]]\nname = ${JSON.stringify(name)}\nupstream = "rsync://a.example/a/"\n${extra}\n`;

/** The issues of parsing `text` as worker.conf, as `path: message` lines (fails when it loads). */
function problems(text: string): string[] {
  try {
    parseWorkerConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => {
      expect(i.file).toBe(FILE);
      return `${i.path}: ${i.message}`;
    });
  }
  throw new Error('expected a ConfigError, the config loaded');
}

describe('worker.conf names and paths stay within bounds (issue 22)', () => {
  it('refuses a mirror name longer than 255 bytes, naming the key', () => {
    const long = 'a'.repeat(256);
    expect(problems(global() + rsyncMirror(long))).toEqual(['mirrors[0].name: is 256 bytes long; a name may have at most 255']);
    // 255 bytes is the limit (NAME_MAX), still accepted.
    const ok = parseWorkerConfig(global() + rsyncMirror('b'.repeat(255)), FILE).config;
    expect(ok.mirrors[0]!.name).toHaveLength(255);
  });

  it('refuses a 17,000-character name, as --dry-run used to accept', () => {
    expect(problems(global() + rsyncMirror('x'.repeat(17_000)))).toEqual(['mirrors[0].name: is 17000 bytes long; a name may have at most 255']);
  });

  it('validates [global] name like a mirror name', () => {
    const unsafe = (n: string): string => `${JSON.stringify(n)} is not a safe directory name (use letters, digits and ._+@~-, not starting with . or -)`;
    expect(problems(global('../../x') + rsyncMirror('a'))).toEqual([`global.name: ${unsafe('../../x')}`]);
    expect(problems(global('a/b') + rsyncMirror('a'))).toEqual([`global.name: ${unsafe('a/b')}`]);
    expect(problems(global('w'.repeat(300)) + rsyncMirror('a'))).toEqual(['global.name: is 300 bytes long; a name may have at most 255']);
    // Names tunasync sites use stay valid.
    expect(parseWorkerConfig(global('mirror_worker-1.tuna') + rsyncMirror('a'), FILE).config.global.stateDir).toBe('/l/.tunasync-state/mirror_worker-1.tuna');
  });

  it('refuses a mirror_subdir that leaves mirror_dir, naming the key', () => {
    const leaves = (sub: string, at = 'mirrors[0]'): string => `${at}.mirror_subdir: ${JSON.stringify(sub)} puts the mirror directory outside [global] mirror_dir "/m"`;
    expect(problems(global() + rsyncMirror('a', 'mirror_subdir = "../../elsewhere"'))).toEqual([leaves('../../elsewhere')]);
    expect(problems(global() + rsyncMirror('a', 'mirror_subdir = ".."'))).toEqual([leaves('..')]);
    expect(problems(global() + rsyncMirror('a', 'mirror_subdir = "x/../../.."'))).toEqual([leaves('x/../../..')]);
    // Inherited from a parent: the leaf's path is named.
    const nested = `${global()}[[mirrors]]\nmirror_subdir = "../up"\n[[mirrors.mirrors]]\nname = "b"\nupstream = "rsync://a.example/b/"\n`;
    expect(problems(nested)).toEqual([leaves('../up', 'mirrors[0].mirrors[0]')]);
  });

  it('keeps a mirror_subdir that stays inside mirror_dir', () => {
    const c = parseWorkerConfig(global() + rsyncMirror('a', 'mirror_subdir = "debian/../ubuntu"') + rsyncMirror('b', 'mirror_subdir = "/abs"'), FILE).config;
    expect(c.mirrors.map((m) => m.mirrorDir)).toEqual(['/m/ubuntu/a', '/m/abs/b']);
  });
});
