/**
 * Server-Sent Events as tunasynctl reads them (`GET /events`, the log
 * streams): the WHATWG event-stream format, text in any chunking, events out
 * at blank lines. `event:` names an event (default `message`), `data:`
 * lines are joined with newlines, `id:` is kept (one holding NUL is
 * ignored, as the spec says), `retry:` is kept both on the event that
 * carried it and as the last value seen; comments (`: keep-alive`) are dropped.
 */

/** One event of a stream. */
export interface SseEvent {
  event: string;
  data: string;
  /** The last `id:` seen, when there was one. */
  id?: string;
  /** `retry:` in ms, when this event carried one. */
  retry?: number;
}

/** An incremental parser: feed text as it arrives, get the complete events. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private retry: number | undefined;
  /** The last `retry:` value in ms (the caller's reconnect delay). */
  retryMs: number | undefined;

  /** Adds `chunk` and returns the events it completed. */
  push(chunk: string): SseEvent[] {
    const buf = this.buffer + chunk;
    const out: SseEvent[] = [];
    let from = 0;
    for (;;) {
      let i = from;
      while (i < buf.length && buf.charCodeAt(i) !== 10 && buf.charCodeAt(i) !== 13) i++;
      if (i >= buf.length) break;
      // A lone CR at the very end may be the first half of CRLF: wait for more.
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
      const e: SseEvent = { event: this.event || 'message', data: this.data.join('\n') };
      if (this.id !== undefined) e.id = this.id;
      if (this.retry !== undefined) e.retry = this.retry;
      this.event = '';
      this.data = [];
      this.retry = undefined;
      return e;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\u0000')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = this.retry = Number(value);
    return undefined;
  }
}
