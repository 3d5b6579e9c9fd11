/**
 * The logger every daemon uses: winston underneath, a small interface on top
 * so custom providers and hooks do not depend on winston's types.
 */
import winston from 'winston';

/** What tunasync-ts code logs through. */
export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  /** Detail shown with `-v/--verbose` (and `--debug`). */
  verbose(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  /** A logger that adds `meta` (e.g. `{ job: 'debian' }`) to every line. */
  child(meta: Record<string, unknown>): Logger;
}

/** Options of createLogger, mirroring the daemons' flags. */
export interface LoggerOptions {
  /** `--verbose`: also log `verbose`-level detail. */
  verbose?: boolean;
  /** `--debug`: log everything. */
  debug?: boolean;
  /** `--with-systemd`: no timestamps (journald adds them), no colours. */
  systemd?: boolean;
  /** Component name shown on every line (`manager`, `worker`). */
  name?: string;
  /** Where to write (default: stderr). */
  stream?: NodeJS.WritableStream;
}

/**
 * Makes text safe for one log line: control characters (ESC, CR, C1…) are
 * shown as `\\xNN`, and each newline is followed by an indent, so a value
 * from a request can never forge a line of its own.
 */
export function escapeLogText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).replace(/\n/g, '\n    ');
}

function metaText(meta: Record<string, unknown>): string {
  const keys = Object.keys(meta).filter((k) => !['level', 'message', 'timestamp', 'component'].includes(k));
  return keys.length === 0 ? '' : ` ${keys.map((k) => `${k}=${typeof meta[k] === 'string' ? escapeLogText(meta[k]) : JSON.stringify(meta[k])}`).join(' ')}`;
}

/** Creates a logger: `info` by default, `verbose` with `verbose`, `debug` with `debug`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.debug ? 'debug' : options.verbose ? 'verbose' : 'info';
  const line = winston.format.printf((info) => {
    const component = info.component ? `[${String(info.component)}] ` : '';
    const stamp = options.systemd ? '' : `${String(info.timestamp)} `;
    return `${stamp}[${info.level}] ${component}${escapeLogText(String(info.message))}${metaText(info as Record<string, unknown>)}`;
  });
  const format = options.systemd
    ? line
    : winston.format.combine(winston.format.timestamp({ format: 'YYYY-MM-DD HH:mm:ss' }), line);
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'verbose', 'debug'] });
  return winston.createLogger({
    level,
    format,
    defaultMeta: options.name ? { component: options.name } : {},
    transports: [transport],
  }) as unknown as Logger;
}

/** A logger that drops everything. */
export function createSilentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] }) as unknown as Logger;
}
