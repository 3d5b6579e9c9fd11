import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError, formatConfigIssue, loadWorkerConfig, parseWorkerConfig } from '@tunasync/core';
import { makeTempDir, type TempDir } from './helpers.js';

const FILE = '/etc/tunasync/worker.conf';
const GLOBAL = '[global]\nname = "w"\nlog_dir = "/l"\nmirror_dir = "/m"\n';
const mirror = (body: string): string => `[[mirrors]]\n${body}\n`;
const rsyncMirror = (name: string, extra = ''): string => mirror(`name = ${JSON.stringify(name)}\nupstream = "rsync://a.example/a/"\n${extra}`);

/** The ConfigError thrown by `fn` (fails the test when nothing or something else is thrown). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.code).toBe('CONFIG_INVALID');
    return e;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

/** The issues of parsing `text` as worker.conf, as `path: message` lines. */
function problems(text: string): string[] {
  return configError(() => parseWorkerConfig(text, FILE)).issues.map((i) => {
    expect(i.file).toBe(FILE);
    return `${i.path}: ${i.message}`;
  });
}

describe('worker.conf errors', () => {
  it('names file, line and column of a TOML syntax error', () => {
    const e = configError(() => parseWorkerConfig(`${GLOBAL}[[mirrors]]\nname = "a"\nupstream = "rsync://a/a/\n`, FILE));
    expect(e.issues).toEqual([{ file: FILE, path: '', message: 'TOML syntax error: Unterminated string', line: 7, column: 25 }]);
    expect(e.message).toBe(`${FILE}:7:25: TOML syntax error: Unterminated string`);
    const e2 = configError(() => parseWorkerConfig(`${GLOBAL}x = = 1\n`, FILE));
    expect(e2.message).toMatch(/^\/etc\/tunasync\/worker\.conf:5:5: TOML syntax error: Unexpected character/);
  });

  it('names the file and key path of a value of the wrong type', () => {
    const text = GLOBAL + rsyncMirror('a') + rsyncMirror('b') + rsyncMirror('c') + rsyncMirror('d', 'interval = "often"');
    const e = configError(() => parseWorkerConfig(text, FILE));
    expect(e.message).toBe(`${FILE}: mirrors[3].interval: must be integer`);
    expect(problems(`${GLOBAL}[server]\nlisten_port = 70000\n`)).toContain('server.listen_port: must be <= 65535');
    expect(problems('[global]\nname = "w"\nlog_dir = "/l"\nmirror_dir = "/m"\nretry = -1\n')).toEqual(['global.retry: must be >= 0']);
    expect(problems(GLOBAL + rsyncMirror('a', 'env = { A = 1 }'))).toEqual(['mirrors[0].env.A: must be string']);
    expect(problems(GLOBAL + rsyncMirror('a', 'success_exit_codes = [256]'))).toEqual(['mirrors[0].success_exit_codes[0]: must be <= 255']);
    expect(problems(GLOBAL + rsyncMirror('a', 'role = "primary"'))).toEqual(['mirrors[0].role: must be one of "master", "slave", ""']);
    // An integer beyond 2^53 (a BigInt from the TOML parser) is not silently rounded.
    expect(problems(GLOBAL + rsyncMirror('a', 'interval = 99999999999999999999'))).toEqual(['mirrors[0].interval: must be integer']);
    expect(problems(GLOBAL + rsyncMirror('a', 'command = 1979-05-27T07:32:00Z'))).toEqual(['mirrors[0].command: must be string']);
  });

  it('names nested mirrors by their full path', () => {
    const text = `${GLOBAL}[[mirrors]]\nupstream = "rsync://a/a/"\n  [[mirrors.mirrors]]\n  name = "ok"\n  [[mirrors.mirrors]]\n  name = "bad"\n  retry = "x"\n`;
    expect(problems(text)).toEqual(['mirrors[0].mirrors[1].retry: must be integer']);
  });

  it('warns about an unknown key, naming it, and still loads', () => {
    const { config, warnings } = parseWorkerConfig(`${GLOBAL}nmae = "x"\n[servre]\nport = 1\n${rsyncMirror('a', 'frobnicate = true')}`, FILE);
    expect(config.mirrors.map((m) => m.name)).toEqual(['a']);
    expect([...warnings].sort()).toEqual([
      `${FILE}: global.nmae: unknown key`,
      `${FILE}: mirrors[0].frobnicate: unknown key`,
      `${FILE}: servre: unknown key`,
    ]);
  });

  it('rejects empty, missing, unsafe and duplicated mirror names', () => {
    const text =
      GLOBAL +
      rsyncMirror('') +
      rsyncMirror('../x') +
      rsyncMirror('a/b') +
      rsyncMirror('.hidden') +
      rsyncMirror('-rf') +
      rsyncMirror('dup') +
      rsyncMirror('dup') +
      mirror('upstream = "rsync://a/a/"');
    const unsafe = (n: string): string => `${JSON.stringify(n)} is not a safe directory name (use letters, digits and ._+@~-, not starting with . or -)`;
    expect(problems(text)).toEqual([
      'mirrors[0].name: is required and must not be empty',
      `mirrors[1].name: ${unsafe('../x')}`,
      `mirrors[2].name: ${unsafe('a/b')}`,
      `mirrors[3].name: ${unsafe('.hidden')}`,
      `mirrors[4].name: ${unsafe('-rf')}`,
      'mirrors[7].name: is required and must not be empty',
      `mirrors[6].name: duplicate mirror name "dup" (first at ${FILE}: mirrors[5])`,
    ]);
  });

  it('rejects a duplicate across the main file and an included file', () => {
    const tmp = makeTempDir();
    try {
      const inc = tmp.write('inc/x.conf', rsyncMirror('same'));
      const main = tmp.write('worker.conf', `${GLOBAL}[include]\ninclude_mirrors = "inc/*.conf"\n${rsyncMirror('same')}`);
      const e = configError(() => loadWorkerConfig(main));
      expect(e.issues).toEqual([{ file: inc, path: 'mirrors[0].name', message: `duplicate mirror name "same" (first at ${main}: mirrors[0])` }]);
    } finally {
      tmp.remove();
    }
  });

  it.each<[string, string, string]>([
    ['rsync upstream without a trailing slash', rsyncMirror('a').replace('a.example/a/', 'a.example/a'), 'mirrors[0].upstream: rsync upstream must end with "/" (got "rsync://a.example/a")'],
    ['rsync without upstream', mirror('name = "a"'), 'mirrors[0].upstream: is required for provider rsync'],
    ['two-stage without stage1_profile', rsyncMirror('a', 'provider = "two-stage-rsync"'), 'mirrors[0].stage1_profile: is required for two-stage-rsync; known: "debian", "debian-oldstyle"'],
    ['two-stage with an unknown profile', rsyncMirror('a', 'provider = "two-stage-rsync"\nstage1_profile = "ubuntu"'), 'mirrors[0].stage1_profile: unknown profile "ubuntu"; known: "debian", "debian-oldstyle"'],
    ['command without command', mirror('name = "a"\nprovider = "command"'), 'mirrors[0].command: is required for provider command'],
    ['rsync_override_only without rsync_override', rsyncMirror('a', 'rsync_override_only = true'), 'mirrors[0].rsync_override_only: needs a non-empty rsync_override'],
    ['rsync_override_only with an empty rsync_override', rsyncMirror('a', 'rsync_override_only = true\nrsync_override = []'), 'mirrors[0].rsync_override_only: needs a non-empty rsync_override'],
    ['a bad memory_limit', rsyncMirror('a', 'memory_limit = "lots"'), 'mirrors[0].memory_limit: "lots" is not a size such as "256M" or "1.5G"'],
    ['a size_pattern that is not a regex', mirror('name = "a"\nprovider = "command"\ncommand = "x"\nsize_pattern = "([0-9"'), 'mirrors[0].size_pattern: is not a valid regular expression: Invalid regular expression: /([0-9/: Unterminated character class'],
    ['a size_pattern without a group', mirror('name = "a"\nprovider = "command"\ncommand = "x"\nsize_pattern = "[0-9]+G"'), 'mirrors[0].size_pattern: must contain a capture group holding the size'],
    ['a transferred_pattern without a group', mirror('name = "a"\nprovider = "command"\ncommand = "x"\ntransferred_pattern = "[0-9]+ bytes"'), 'mirrors[0].transferred_pattern: must contain a capture group holding the size'],
    ['a fail_on_match that is not a regex', rsyncMirror('a', 'fail_on_match = "*oops"'), 'mirrors[0].fail_on_match: is not a valid regular expression: Invalid regular expression: /*oops/: Nothing to repeat'],
    ['both use_ipv4 and use_ipv6', rsyncMirror('a', 'use_ipv4 = true\nuse_ipv6 = true'), 'mirrors[0].use_ipv6: use_ipv4 and use_ipv6 cannot both be true'],
    ['an unsupported log_dir template', rsyncMirror('a', 'log_dir = "/x/{{.Worker}}"'), 'mirrors[0].log_dir: log_dir template {{.Worker}} is not supported (only {{.Name}})'],
  ])('%s', (_what, body, expected) => {
    expect(problems(GLOBAL + body)).toEqual([expected]);
  });

  it('accepts a size_pattern with a non-capturing group only when it also has a capturing one', () => {
    expect(problems(GLOBAL + mirror('name = "a"\nprovider = "command"\ncommand = "x"\nsize_pattern = "(?:size) [0-9]+"'))).toEqual([
      'mirrors[0].size_pattern: must contain a capture group holding the size',
    ]);
    const { config } = parseWorkerConfig(GLOBAL + mirror('name = "a"\nprovider = "command"\ncommand = "x"\nsize_pattern = "(?:size) ([0-9]+)"'), FILE);
    expect(config.mirrors[0]!.sizePattern).toBe('(?:size) ([0-9]+)');
  });

  it('requires global.name and an http(s) api_base', () => {
    expect(problems('[global]\nlog_dir = "/l"\nmirror_dir = "/m"\n[manager]\napi_base = "ftp://manager"\n')).toEqual([
      'global.name: is required: it is the worker id at the manager',
      'manager.api_base: "ftp://manager" is not an http:// or https:// URL',
    ]);
    expect(problems(`${GLOBAL}[manager]\napi_base_list = ["http://ok:14242", "not a url"]\n`)).toEqual([
      'manager.api_base_list[1]: "not a url" is not an http:// or https:// URL',
    ]);
  });

  it('requires a mirror_dir and a log_dir somewhere', () => {
    expect(problems(`[global]\nname = "w"\n${rsyncMirror('a')}`)).toEqual([
      'mirrors[0].mirror_dir: is not set here nor in [global] mirror_dir',
      'mirrors[0].log_dir: is not set here nor in [global] log_dir',
    ]);
    const { config } = parseWorkerConfig(`[global]\nname = "w"\n${rsyncMirror('a', 'mirror_dir = "/d"\nlog_dir = "/l"')}`, FILE);
    expect(config.mirrors[0]).toMatchObject({ mirrorDir: '/d', logDir: '/l' });
  });

  it('lists every problem at once, in one message', () => {
    const text = '[global]\nconcurrent = "ten"\n' + rsyncMirror('../up') + mirror('name = "c"\nprovider = "command"') + rsyncMirror('m', 'memory_limit = "x"');
    const e = configError(() => parseWorkerConfig(text, FILE));
    expect(e.issues.length).toBeGreaterThanOrEqual(4);
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('invalid configuration:');
    for (const needle of ['global.concurrent: must be integer', 'global.name: is required', 'mirrors[0].name: "../up"', 'mirrors[1].command: is required', 'mirrors[2].memory_limit']) {
      expect(lines.some((l) => l.startsWith(`  ${FILE}: ${needle}`))).toBe(true);
    }
  });
});

describe('worker.conf files', () => {
  let tmp: TempDir;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.remove());

  it('names a missing -c file', () => {
    const missing = tmp.path('nope', 'worker.conf');
    const e = configError(() => loadWorkerConfig(missing));
    expect(e.issues).toEqual([{ file: missing, path: '', message: 'cannot read config file: no such file' }]);
    expect(e.message).toBe(`${missing}: cannot read config file: no such file`);
  });

  it('reports a syntax error in an included file with its name, next to the main file\'s problems', () => {
    const bad = tmp.write('inc/bad.conf', '[[mirrors]]\nname = "x\n');
    tmp.write('inc/good.conf', rsyncMirror('good'));
    const main = tmp.write('main.conf', `[global]\nlog_dir = "/l"\nmirror_dir = "/m"\n[include]\ninclude_mirrors = "inc/*.conf"\n`);
    const e = configError(() => loadWorkerConfig(main));
    expect(e.issues).toEqual([
      { file: main, path: 'global.name', message: 'is required: it is the worker id at the manager' },
      { file: bad, path: '', message: 'TOML syntax error: Unterminated string', line: 2, column: 10 },
    ]);
    expect(e.message).toContain(`${bad}:2:10: TOML syntax error`);
  });

  it('formats issues as file: path: reason, file:line:col: reason, or file: reason', () => {
    expect(formatConfigIssue({ file: 'f', path: 'a.b', message: 'm' })).toBe('f: a.b: m');
    expect(formatConfigIssue({ file: 'f', path: '', message: 'm', line: 3, column: 4 })).toBe('f:3:4: m');
    expect(formatConfigIssue({ file: 'f', path: '', message: 'm' })).toBe('f: m');
    expect(new ConfigError([{ file: 'f', path: 'x', message: 'y' }]).httpStatus).toBe(500);
  });
});
