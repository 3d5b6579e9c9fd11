/** A real core logger writing to memory, for tests that read what was logged. */
import { Writable } from 'node:stream';
import { createLogger, type Logger, type LoggerOptions } from '@tunasync/core';

/** A logger and what it wrote. */
export interface CapturedLogger {
  logger: Logger;
  /** Every line written so far, without its newline. */
  lines: string[];
  /** Everything written so far, as one text. */
  text(): string;
}

/**
 * A `createLogger` logger writing to a memory stream. Defaults: every level
 * (`debug`), no timestamps or colours (`systemd`); `options` override them.
 */
export function captureLogger(options: Omit<LoggerOptions, 'stream'> = {}): CapturedLogger {
  const chunks: string[] = [];
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const s = chunk.toString();
      chunks.push(s);
      lines.push(...s.split('\n').filter((l) => l !== ''));
      cb();
    },
  });
  const logger = createLogger({ debug: true, systemd: true, ...options, stream });
  return { logger, lines, text: () => chunks.join('') };
}
