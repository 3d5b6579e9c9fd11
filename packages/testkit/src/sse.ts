/** A small Server-Sent Events client for the log route tests of the worker and the manager (ctl has its own parser). */
import { get, type IncomingMessage } from 'node:http';

/** One parsed event or comment. */
export interface TestSseEvent {
  event: string;
  data: string;
  id?: string;
}

/** An open stream. */
export interface TestSse {
  status: number;
  headers: IncomingMessage['headers'];
  events: TestSseEvent[];
  comments: string[];
  /** Raw text received. */
  raw(): string;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  /** Drops the connection. */
  close(): void;
  /** Stops reading (the server's writes back up), until resume(). */
  pause(): void;
  resume(): void;
}

/** Opens `url` as an event stream; resolves once the answer's headers arrived. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<TestSse> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: TestSseEvent[] = [];
      const comments: string[] = [];
      let text = '';
      let buffer = '';
      res.setEncoding('utf8');
      const ended = new Promise<void>((r) => {
        res.on('end', () => r());
        res.on('close', () => r());
      });
      res.on('data', (chunk: string) => {
        text += chunk;
        buffer += chunk;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const e: TestSseEvent = { event: 'message', data: '' };
          const data: string[] = [];
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) (e.event = line.slice(7)), (isEvent = true);
            else if (line.startsWith('data: ')) data.push(line.slice(6)), (isEvent = true);
            else if (line.startsWith('id: ')) e.id = line.slice(4);
          }
          e.data = data.join('\n');
          if (isEvent) events.push(e);
        }
      });
      res.on('error', () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        raw: () => text,
        ended,
        close: () => req.destroy(),
        pause: () => void res.pause(),
        resume: () => void res.resume(),
      });
    });
    req.on('error', reject);
  });
}

/** The `data` of the `line` events. */
export function lineData(s: TestSse): string[] {
  return s.events.filter((e) => e.event === 'line').map((e) => e.data);
}
