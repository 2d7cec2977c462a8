import type { ITaskEvent } from '../domain/ports';

/**
 * One Redis subscription to task events (or progress updates, or group-done announcements),
 * shared by every `/api/events` client of this service process (a connection per browser tab
 * would not scale). Every listener gets the same event object, so a stream formats it once.
 */
export class EventFanout<T = ITaskEvent> {
  private readonly listeners = new Set<(e: T) => void>();

  /** Feed this from the single subscription. */
  readonly dispatch = (event: T): void => {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // one broken stream must not starve the others
      }
    }
  };

  subscribe(listener: (e: T) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get size(): number {
    return this.listeners.size;
  }
}
