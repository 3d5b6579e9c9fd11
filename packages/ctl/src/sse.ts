/**
 * A Server-Sent Events parser (the WHATWG event-stream format): text in any
 * chunking, events out. Comments (`: keep-alive`) are dropped; `retry:` is
 * kept for the caller's reconnect delay.
 */

/** One event. */
export interface SseEvent {
  /** `event:` (default `message`). */
  event: string;
  /** The `data:` fields joined by newlines. */
  data: string;
  /** `id:`, when the event had one. */
  id?: string;
}

/** Parses an event stream fed in pieces. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  /** The last `retry:` value in ms. */
  retryMs: number | undefined;

  /** Takes the next text; returns the events it completed. */
  push(text: string): SseEvent[] {
    const buf = this.buffer + text;
    const out: SseEvent[] = [];
    let from = 0;
    for (;;) {
      let i = from;
      while (i < buf.length && buf.charCodeAt(i) !== 10 && buf.charCodeAt(i) !== 13) i++;
      if (i >= buf.length) break;
      // A lone CR at the very end may be half of CRLF: wait for more.
      if (buf.charCodeAt(i) === 13 && i === buf.length - 1) break;
      const e = this.line(buf.slice(from, i));
      if (e) out.push(e);
      from = i + (buf.charCodeAt(i) === 13 && buf.charCodeAt(i + 1) === 10 ? 2 : 1);
    }
    this.buffer = buf.slice(from);
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.data.length === 0 && this.event === '') return undefined;
      const e: SseEvent = { event: this.event || 'message', data: this.data.join('\n'), ...(this.id !== undefined ? { id: this.id } : {}) };
      this.event = '';
      this.data = [];
      return e;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }
}
