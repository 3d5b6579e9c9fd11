import { describe, expect, it } from '@jest/globals';
import { formatSize, normalizeSize, parseSize } from '@tunasync/core';

const K = 1024;
const M = K * K;
const G = M * K;

describe('parseSize', () => {
  it.each<[string | number, number]>([
    ['256M', 256 * M],
    ['1.5G', 1.5 * G],
    ['1.5g', 1.5 * G],
    ['512MiB', 512 * M],
    ['512mb', 512 * M],
    ['1KB', K],
    ['.5K', 512],
    [' 2 G ', 2 * G],
    ['1T', K * G],
    ['1,234,567', 1234567],
    ['100', 100],
    [1024, 1024],
    [1.9, 1],
    [0, 0],
  ])('%p is %p bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each<[string | number]>([['lots'], [''], ['1.2.3'], ['1X'], ['-1K'], ['G'], [-1], [Number.NaN], [Number.POSITIVE_INFINITY], ['12,34']])(
    'rejects %p',
    (text) => {
      expect(parseSize(text)).toBeUndefined();
    },
  );
});

describe('formatSize', () => {
  it.each<[number, string]>([
    [0, '0'],
    [1023, '1023'],
    [1024, '1K'],
    [1536, '1.5K'],
    [256 * M, '256M'],
    [1.5 * G, '1.5G'],
    [23.4 * G, '23.4G'],
    [1234567, '1.2M'],
    [3 * K * G, '3T'],
    [2 * K * K * G, '2P'],
  ])('%p bytes is %p', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it('says unknown for what is not a byte count', () => {
    expect(formatSize(-1)).toBe('unknown');
    expect(formatSize(Number.NaN)).toBe('unknown');
  });

  it('round-trips through parseSize within a rounding step', () => {
    for (const text of ['1K', '1.5K', '256M', '1.5G', '23.4G', '7T']) {
      expect(formatSize(parseSize(text)!)).toBe(text);
    }
  });
});

describe('normalizeSize', () => {
  it('keeps values with a unit, upper-cased', () => {
    expect(normalizeSize('1.23G')).toBe('1.23G');
    expect(normalizeSize(' 512.00M ')).toBe('512.00M');
    expect(normalizeSize('7.5t')).toBe('7.5T');
  });

  it('formats plain byte counts', () => {
    expect(normalizeSize('1,234,567')).toBe('1.2M');
    expect(normalizeSize('1073741824')).toBe('1G');
    expect(normalizeSize('512')).toBe('512');
  });

  it('rejects anything else', () => {
    expect(normalizeSize('unknown')).toBeUndefined();
    expect(normalizeSize('')).toBeUndefined();
    expect(normalizeSize('1.5GB')).toBeUndefined();
    expect(normalizeSize('-5')).toBeUndefined();
  });
});
