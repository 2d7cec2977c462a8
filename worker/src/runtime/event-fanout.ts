import type { ITaskEvent } from '../domain/ports';

/**
 * One Redis subscription to task events, shared by every `/api/events` client of this service
 * process (a connection per browser tab would not scale).
 */
export class EventFanout {
  private readonly listeners = new Set<(e: ITaskEvent) => void>();

  /** Feed this from the single subscription. */
  readonly dispatch = (event: ITaskEvent): void => {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // one broken stream must not starve the others
      }
    }
  };

  subscribe(listener: (e: ITaskEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get size(): number {
    return this.listeners.size;
  }
}
