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

function metaText(meta: Record<string, unknown>): string {
  const keys = Object.keys(meta).filter((k) => !['level', 'message', 'timestamp', 'component'].includes(k));
  return keys.length === 0 ? '' : ` ${keys.map((k) => `${k}=${typeof meta[k] === 'string' ? meta[k] : JSON.stringify(meta[k])}`).join(' ')}`;
}

/** Creates a logger: `info` by default, `verbose` with `verbose`, `debug` with `debug`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.debug ? 'debug' : options.verbose ? 'verbose' : 'info';
  const line = winston.format.printf((info) => {
    const component = info.component ? `[${String(info.component)}] ` : '';
    const stamp = options.systemd ? '' : `${String(info.timestamp)} `;
    return `${stamp}[${info.level}] ${component}${String(info.message)}${metaText(info as Record<string, unknown>)}`;
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
