/**
 * Records every command Redis receives (`MONITOR`) into a file, reconnecting after a Redis restart:
 * the evidence for tracing a message delivered twice (pops, unacked index updates, acks, retries).
 * For post-mortems only (`SOAK_MONITOR=1`): MONITOR slows Redis down.
 */
import * as fs from 'fs';
import Redis from 'ioredis';

export class RedisMonitor {
  private stopped = false;
  private conn: Redis | null = null;
  private monitor: Redis | null = null;

  private constructor(private readonly url: string, private readonly out: fs.WriteStream) {}

  static start(url: string, file: string): RedisMonitor {
    const m = new RedisMonitor(url, fs.createWriteStream(file, { flags: 'a' }));
    void m.loop();
    return m;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        this.conn = new Redis(this.url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
        this.conn.on('error', () => undefined);
        const monitor = await this.conn.monitor();
        this.monitor = monitor;
        monitor.on('error', () => undefined);
        monitor.on('monitor', (time: string, args: string[]) => {
          this.out.write(`${time} ${args.map((a) => JSON.stringify(a.length > 300 ? `${a.slice(0, 300)}…` : a)).join(' ')}\n`);
        });
        await new Promise<void>((resolve) => monitor.once('end', () => resolve()));
      } catch {
        /* Redis down: try again */
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 500));
    }
  }

  stop(): void {
    this.stopped = true;
    this.monitor?.disconnect();
    this.conn?.disconnect();
    this.out.end();
  }
}
