/**
 * Writing to a client with back-pressure: a write that fills the socket's
 * buffer waits for `drain` (or the client going away) before more of the
 * file is read.
 */
import type { ServerResponse } from 'node:http';

/** True once the client went away or the response ended. */
export function gone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded;
}

/** Writes `text`; resolves when more may be written, false when the client is gone. */
export function writeText(res: ServerResponse, text: string | Buffer): Promise<boolean> | boolean {
  if (gone(res)) return false;
  if (text.length === 0 || res.write(text)) return true;
  return new Promise<boolean>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve(!gone(res));
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
