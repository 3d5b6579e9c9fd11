/**
 * Server-Sent Events as tunasynctl reads them (`GET /events`): the text is
 * cut into events at blank lines; `event:` names it (default `message`),
 * `data:` lines are joined with newlines, `id:` and `retry:` are kept,
 * comment lines (`: keep-alive`) are skipped.
 */

/** One event of a stream. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
  /** `retry:` in ms, when the event carried one. */
  retry?: number;
}

/** An incremental parser: feed text as it arrives, get the complete events. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private retry: number | undefined;

  /** Adds `chunk` and returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // A lone CR at the end may be the first half of CRLF: wait for more.
      if (!m || (m[0] === '\r' && m.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const done = this.line(line);
      if (done) out.push(done);
    }
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
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return undefined;
  }
}
