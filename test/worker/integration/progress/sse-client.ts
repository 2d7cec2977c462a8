/** A minimal server-sent-events reader over node:http for tests: collects `{event, data}` in arrival order. */
import * as http from 'node:http';

export interface ISseMessage {
  event: string;
  data: Record<string, unknown>;
  at: number;
}

export class SseClient {
  readonly messages: ISseMessage[] = [];
  private request: http.ClientRequest | null = null;
  private buffer = '';

  private constructor() {}

  static open(url: string, token: string): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      const req = http.get(url, { headers: { Authorization: `token ${token}`, Accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`events: ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.feed(chunk));
        res.on('error', () => undefined);
        resolve(client);
      });
      req.on('error', reject);
      client.request = req;
    });
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) this.messages.push({ event, data: JSON.parse(data) as Record<string, unknown>, at: Date.now() });
    }
  }

  of(event: string, filter: (data: Record<string, unknown>) => boolean = () => true): Record<string, unknown>[] {
    return this.messages.filter((m) => m.event === event && filter(m.data)).map((m) => m.data);
  }

  /** Waits until `predicate` holds for the messages so far. */
  async until(predicate: (messages: ISseMessage[]) => boolean, timeoutMs = 120_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.map((m) => m.event))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    this.request?.destroy();
  }
}
