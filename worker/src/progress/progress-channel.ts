/** One Redis subscription to nbgrid's progress and group-done channels, for one API service process. */
import type Redis from 'ioredis';
import type { IGroupDoneEvent, IProgressEvent } from '../schemas/progress';
import { ProgressKeys } from './keys';

export interface IProgressListeners {
  progress(event: IProgressEvent): void;
  groupDone(event: IGroupDoneEvent): void;
}

/** Subscribes on a connection of its own; resolves with the function that ends the subscription. */
export async function subscribeProgress(redis: Redis, listeners: IProgressListeners, keys: ProgressKeys = new ProgressKeys()): Promise<() => Promise<void>> {
  const sub = redis.duplicate();
  sub.on('error', () => undefined); // ioredis reconnects and resubscribes
  sub.on('message', (channel: string, data: string) => {
    try {
      if (channel === keys.progressChannel) listeners.progress(JSON.parse(data) as IProgressEvent);
      else if (channel === keys.doneChannel) listeners.groupDone(JSON.parse(data) as IGroupDoneEvent);
    } catch {
      // a bad message must not stop the stream
    }
  });
  await sub.subscribe(keys.progressChannel, keys.doneChannel);
  return async () => {
    sub.disconnect();
  };
}
