/**
 * Alerts as they sit in the delivery queue (JSON payloads) and as each
 * receiver format renders them: `json` (the alert object itself), `slack`
 * (`{"text"}`), `discord` (`{"content"}`, 2000 characters at most) and
 * `text` (plain text). Text from workers (mirror names, error messages)
 * cannot ping anyone: Slack's `&`, `<`, `>` are escaped (no `<!channel>`),
 * Discord bodies allow no mentions. A signed receiver gets `X-Tunasync-Signature:
 * sha256=<hex HMAC-SHA256 of the exact body>`.
 */
import { createHmac } from 'node:crypto';
import type { NotifyEvent, NotifyFormat } from '@tunasync/core';

/** One alert (the queue's payload, and the `json` format's body). */
export interface Alert {
  event: NotifyEvent | 'maintenance_summary';
  /** When it was detected (RFC 3339, the manager's clock). */
  time: string;
  worker?: string;
  mirror?: string;
  /** `failed`: consecutive failed runs; `recovered`: how many failed before this success. */
  failures?: number;
  /** The last error message the worker reported. */
  error?: string;
  /** `stale`: the last success (RFC 3339), or absent when there never was one. */
  last_success?: string;
  /** `worker_offline`/`worker_online`: when the worker was last heard of. */
  last_seen?: string;
  /** `maintenance_summary`: the alerts held while maintenance mode was on. */
  held?: Alert[];
}

/** One line describing an alert, for the text-like formats. */
export function alertLine(a: Alert): string {
  const where = a.mirror ? `${a.mirror} on ${a.worker ?? '?'}` : (a.worker ?? '');
  switch (a.event) {
    case 'failed':
      return `[tunasync] ${where} failed${a.failures && a.failures > 1 ? ` ${a.failures} times in a row` : ''}${a.error ? `: ${a.error}` : ''}`;
    case 'recovered':
      return `[tunasync] ${where} recovered${a.failures ? ` after ${a.failures} failed runs` : ''}`;
    case 'stale':
      return `[tunasync] ${where} is stale: last success ${a.last_success ?? 'never'}`;
    case 'worker_offline':
      return `[tunasync] worker ${where} is offline: last seen ${a.last_seen ?? 'never'}`;
    case 'worker_online':
      return `[tunasync] worker ${where} is back online`;
    case 'maintenance_summary': {
      const held = a.held ?? [];
      const lines = held.slice(0, 50).map((h) => `- ${alertLine(h).replace(/^\[tunasync\] /, '')}`);
      if (held.length > 50) lines.push(`- … and ${held.length - 50} more`);
      return [`[tunasync] maintenance ended; ${held.length} alert(s) held meanwhile:`, ...lines].join('\n');
    }
  }
}

/** What goes over the wire to a receiver. */
export interface RenderedAlert {
  body: string;
  contentType: string;
}

const DISCORD_MAX = 2000;

/** Slack's escaping of message text (`&`, `<`, `>`), so no mention or link can be forged. */
function slackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Renders an alert in a receiver's format. */
export function renderAlert(a: Alert, format: NotifyFormat): RenderedAlert {
  switch (format) {
    case 'json':
      return { body: JSON.stringify(a), contentType: 'application/json' };
    case 'slack':
      return { body: JSON.stringify({ text: slackText(alertLine(a)) }), contentType: 'application/json' };
    case 'discord': {
      const line = alertLine(a);
      const content = line.length > DISCORD_MAX ? `${line.slice(0, DISCORD_MAX - 1)}…` : line;
      return { body: JSON.stringify({ content, allowed_mentions: { parse: [] } }), contentType: 'application/json' };
    }
    case 'text':
      return { body: `${alertLine(a)}\n`, contentType: 'text/plain; charset=utf-8' };
  }
}

/** The `X-Tunasync-Signature` value of `body` under `secret`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
