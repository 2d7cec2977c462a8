/** nbgrid's task state changes (`ITaskEvent`) as JSON on the `nbgrid:events` channel. */
import type Redis from 'ioredis';
import { CeleryKeys } from '../celery';
import type { ITaskEvent } from '../domain/ports';
import { taskEventsChannel } from './keys';

export class TaskEventBus {
  private readonly channel: string;

  constructor(private readonly redis: Redis, keys: CeleryKeys = new CeleryKeys()) {
    this.channel = taskEventsChannel(keys);
  }

  async publish(event: ITaskEvent): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(event));
  }

  /** Call `listener` for every event until the returned function is called. */
  async subscribe(listener: (event: ITaskEvent) => void): Promise<() => Promise<void>> {
    const sub = this.redis.duplicate();
    sub.on('error', () => undefined); // ioredis reconnects and resubscribes
    sub.on('message', (channel: string, data: string) => {
      if (channel !== this.channel) return;
      try {
        listener(JSON.parse(data) as ITaskEvent);
      } catch {
        // a bad event must not stop the stream
      }
    });
    await sub.subscribe(this.channel);
    return async () => {
      sub.disconnect();
    };
  }
}
