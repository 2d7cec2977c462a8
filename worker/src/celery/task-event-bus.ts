/** nbgrid's own task state changes (`ITaskEvent`) as JSON on the `nbgrid:events` channel. */
import type Redis from 'ioredis';
import type { ITaskEvent } from '../domain/ports';
import { CeleryKeys } from './keys';

export class TaskEventBus {
  private sub: Redis | null = null;

  constructor(private readonly redis: Redis, private readonly keys: CeleryKeys = new CeleryKeys()) {}

  async publish(event: ITaskEvent): Promise<void> {
    await this.redis.publish(this.keys.nbgridEvents, JSON.stringify(event));
  }

  /** Call `listener` for every event until the returned function is called. */
  async subscribe(listener: (event: ITaskEvent) => void): Promise<() => Promise<void>> {
    const sub = this.redis.duplicate();
    sub.on('error', () => undefined); // ioredis reconnects and resubscribes
    this.sub = sub;
    sub.on('message', (channel: string, data: string) => {
      if (channel !== this.keys.nbgridEvents) return;
      try {
        listener(JSON.parse(data) as ITaskEvent);
      } catch {
        // a bad event must not stop the stream
      }
    });
    await sub.subscribe(this.keys.nbgridEvents);
    return async () => {
      sub.disconnect();
      if (this.sub === sub) this.sub = null;
    };
  }
}
