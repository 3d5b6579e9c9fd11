/**
 * The status page's files (packages/manager/web/, shipped in the package):
 * read once, found relative to this module (src/web or dist/web, both two
 * levels below the package), kept in memory with a gzip copy and a content
 * hash for cache-busting URLs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The directory of the page's files. */
export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/** One served file. */
export interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  /** Short content hash (the `?v=` of its URL). */
  hash: string;
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** The files a browser loads, by name. */
export const ASSET_NAMES = ['app.js', 'view.js', 'style.css'] as const;

/** Reads one file of the web directory. */
export function readAsset(name: string, dir = WEB_DIR): Asset {
  const body = readFileSync(`${dir}${name}`);
  return {
    body,
    gzip: gzipSync(body, { level: 9 }),
    type: TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
    hash: createHash('sha256').update(body).digest('hex').slice(0, 12),
  };
}

/** Every browser file plus the dictionaries. */
export interface WebAssets {
  files: Map<string, Asset>;
  /** `{en: {...}, zh: {...}}`. */
  i18n: Record<string, Record<string, string>>;
  /** A hash of every file together (the page's asset version). */
  version: string;
}

/** Loads the page's files (throws naming the file when one is missing: a broken install). */
export function loadWebAssets(dir = WEB_DIR): WebAssets {
  const files = new Map<string, Asset>();
  for (const name of ASSET_NAMES) files.set(name, readAsset(name, dir));
  const i18n = JSON.parse(readFileSync(`${dir}i18n.json`, 'utf8')) as WebAssets['i18n'];
  const all = createHash('sha256');
  for (const a of files.values()) all.update(a.hash);
  return { files, i18n, version: all.digest('hex').slice(0, 12) };
}
