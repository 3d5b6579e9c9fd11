/** Alert bodies per receiver format (issue 16): escaping of worker-supplied text and the HMAC header value. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { renderAlert, signBody, type Alert } from '@tunasync/manager';

const alert: Alert = { event: 'failed', time: '2026-11-30T00:00:00.000Z', worker: 'w1', mirror: 'debian', failures: 1, error: '<!channel> @everyone & co' };

describe('alert rendering', () => {
  it('escapes Slack control text so a worker message cannot mention the channel', () => {
    const { body } = renderAlert(alert, 'slack');
    expect(JSON.parse(body)).toEqual({ text: '[tunasync] debian on w1 failed: &lt;!channel&gt; @everyone &amp; co' });
  });
  it('allows no Discord mentions and keeps content within 2000 characters', () => {
    const long = renderAlert({ ...alert, error: 'x'.repeat(3000) }, 'discord');
    const parsed = JSON.parse(long.body) as { content: string; allowed_mentions: unknown };
    expect(parsed.allowed_mentions).toEqual({ parse: [] });
    expect(parsed.content).toHaveLength(2000);
    expect(parsed.content.endsWith('…')).toBe(true);
  });
  it('sends the alert object itself as json, and one line as text', () => {
    expect(JSON.parse(renderAlert(alert, 'json').body)).toEqual(alert);
    expect(renderAlert(alert, 'text')).toEqual({ body: '[tunasync] debian on w1 failed: <!channel> @everyone & co\n', contentType: 'text/plain; charset=utf-8' });
  });
  it('signs the exact body with HMAC-SHA256', () => {
    expect(signBody('{"a":1}', 'k')).toBe(`sha256=${createHmac('sha256', 'k').update('{"a":1}').digest('hex')}`);
    expect(signBody('body', 'secret')).toBe('sha256=dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355');
  });
});
