// @ts-check
/**
 * A custom tunasync-ts provider: mirrors one file over HTTP(S) into the job's directory.
 *
 *   [[mirrors]]
 *   name = "hello"
 *   provider = "./http-file-provider.js"   # relative to worker.conf, or an installed package
 *   upstream = "https://example.org/pub/hello.tar.gz"
 */
import { createWriteStream } from 'node:fs';
import { appendFile, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { formatSize } from '@tunasync/core';
/** @import { MirrorConfig, Provider, RunContext } from '@tunasync/core' */

/** @implements {Provider} */
export default class HttpFileProvider {
  /** @param {MirrorConfig} mirror */
  constructor(mirror) {
    this.name = mirror.name;
    this.kind = mirror.provider;
    this.upstream = mirror.upstream;
  }

  /** One try: download to a temporary name, then rename, so readers never see half a file. */
  async run(/** @type {RunContext} */ ctx) {
    const res = await fetch(this.upstream, { signal: ctx.signal });
    if (!res.ok || !res.body) throw new Error(`GET ${this.upstream}: HTTP ${res.status}`);
    const file = join(ctx.workingDir, basename(new URL(this.upstream).pathname) || 'index.html');
    await pipeline(res.body, createWriteStream(`${file}.part`), { signal: ctx.signal });
    await rename(`${file}.part`, file);
    const { size } = await stat(file);
    await appendFile(ctx.logFile, `fetched ${this.upstream} -> ${file} (${size} bytes)\n`);
    return { size: formatSize(size) };
  }
}
