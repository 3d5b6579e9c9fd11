import { afterEach, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rsyncSizeFromLine } from '@tunasync/core';
import { lastLineWhere } from '@tunasync/worker';
import { tempDir } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function file(content: string | Buffer): string {
  const t = tempDir('tunasync-logscan-');
  cleanups.push(t.cleanup);
  const f = join(t.dir, 'run.log');
  writeFileSync(f, content);
  return f;
}

const stats = (size: string): string => `Number of files: 3\nTotal file size: ${size} bytes\nTotal transferred file size: 0 bytes\n`;

describe('lastLineWhere', () => {
  it('gives undefined for a missing or empty file and for no match', async () => {
    const t = tempDir('tunasync-logscan-');
    cleanups.push(t.cleanup);
    expect(await lastLineWhere(join(t.dir, 'nope.log'), rsyncSizeFromLine)).toBeUndefined();
    writeFileSync(join(t.dir, 'empty.log'), '');
    expect(await lastLineWhere(join(t.dir, 'empty.log'), rsyncSizeFromLine)).toBeUndefined();
    writeFileSync(join(t.dir, 'none.log'), 'rsync: failed to connect\n');
    expect(await lastLineWhere(join(t.dir, 'none.log'), rsyncSizeFromLine)).toBeUndefined();
  });

  it('finds the last match, with or without a closing newline, CRLF or LF', async () => {
    expect(await lastLineWhere(file(`${stats('1.00G')}--- stage 2\n${stats('23.40G')}sent 10 bytes`), rsyncSizeFromLine)).toBe('23.40G');
    expect(await lastLineWhere(file(`${stats('5K')}Total file size: 7.5M bytes`), rsyncSizeFromLine)).toBe('7.5M');
    expect(await lastLineWhere(file('a\r\nTotal file size: 1,610,612,736 bytes\r\nb\r\n'), rsyncSizeFromLine)).toBe('1.5G');
  });

  it('reads a big log from its end: a match near the end costs a few lines, not the whole file', async () => {
    const lines = Array.from({ length: 400_000 }, (_, i) => `pool/main/p/pkg${i}/pkg${i}_1.0_amd64.deb`);
    const f = file(`${stats('9.99G')}${lines.join('\n')}\n${stats('12.34G')}\nsent 1 bytes  received 2 bytes\n`);
    const seen: string[] = [];
    expect(await lastLineWhere(f, (l) => (seen.push(l), rsyncSizeFromLine(l)))).toBe('12.34G');
    expect(seen.length).toBeLessThan(10);
  });

  it('finds a match at the very start of a log of many chunks, and one straddling a chunk boundary', async () => {
    const filler = 'x'.repeat(99);
    const body = Array.from({ length: 3000 }, () => filler).join('\n');
    expect(await lastLineWhere(file(`${stats('3.21M')}${body}\n`), rsyncSizeFromLine)).toBe('3.21M');
    for (const shift of [1, 5, 12, 30]) {
      // The stats line starts `shift` bytes before the last 64 KiB of the file.
      const tail = `Total file size: 4.56K bytes\n${'y'.repeat(64 * 1024 - 29 + shift)}`;
      const head = 'z'.repeat(200_000);
      expect(await lastLineWhere(file(`${head}\n${tail}`), rsyncSizeFromLine)).toBe('4.56K');
    }
  });

  it('decodes multi-byte characters split across chunks', async () => {
    const word = 'é€😀'.repeat(30_000);
    expect(await lastLineWhere(file(`${word}\nend\n`), (l) => (l.length > 3 ? l : undefined))).toBe(word);
  });

  it('skips lines longer than 1 MiB instead of holding them, and still finds a match before them', async () => {
    const huge = `Total file size: 9.99G bytes${'q'.repeat(3 * 1024 * 1024)}`;
    let longest = 0;
    const pick = (l: string): string | undefined => {
      longest = Math.max(longest, l.length);
      return rsyncSizeFromLine(l);
    };
    expect(await lastLineWhere(file(`${stats('1.23M')}${huge}\nend\n`), pick)).toBe('1.23M');
    expect(longest).toBeLessThanOrEqual(1024 * 1024);
  });
});
