/**
 * Turns task events into server-sent-event chunks for many streams at once. A 5,000-task map
 * sends 5,000 events in bursts; with 200 streams, formatting and writing each event per stream
 * (a million JSON.stringify and write calls) blocked the event loop for seconds. Here each event
 * is formatted once, the events that arrive in one turn of the event loop go to a stream as one
 * chunk, and streams that received the same events with the same filter share one Buffer.
 */
import type { ITaskEvent } from '../domain/ports';

/** One `event: task` message; JSON has no raw newlines, so one data line suffices. */
export function formatTaskEvent(event: ITaskEvent): string {
  return `event: task\ndata: ${JSON.stringify(event)}\n\n`;
}

/** A stream as the batcher sees it. */
export interface IEventSink {
  /** Only events of this job; `undefined` for all. */
  readonly job: string | undefined;
  /** Called with the stream's chunk once per batch that holds an event for it. */
  write(chunk: Buffer): void;
}

/** What one sink received in the current batch: a run of batch positions, or explicit ones. */
interface ISinkState {
  readonly sink: IEventSink;
  start: number;
  count: number;
  /** Positions when they stopped being one run (the same event object dispatched twice). */
  positions: number[] | null;
  /** Position of the last event received in this batch, -1 for none. */
  last: number;
}

/** Batches task events per turn of the event loop for every attached sink. */
export class TaskEventBatcher {
  private batch: ITaskEvent[] = [];
  /** Latest position of each event object in `batch`: listeners of one dispatch share it. */
  private readonly positionOf = new Map<ITaskEvent, number>();
  private readonly pending = new Set<ISinkState>();
  private scheduled = false;
  /** Batches flushed so far (for tests and diagnostics). */
  flushes = 0;

  /**
   * Attaches a sink; returns the listener to subscribe to task events (the sink receives what this
   * listener is given, batched) and the function that detaches the sink.
   */
  attach(sink: IEventSink): { listener: (event: ITaskEvent) => void; detach: () => void } {
    const state: ISinkState = { sink, start: -1, count: 0, positions: null, last: -1 };
    return {
      listener: (event: ITaskEvent) => this.receive(state, event),
      detach: () => {
        this.pending.delete(state);
      }
    };
  }

  private receive(state: ISinkState, event: ITaskEvent): void {
    let position = this.positionOf.get(event);
    // Not seen in this batch, or seen already by this sink: a new dispatch of the object.
    if (position === undefined || position <= state.last) {
      position = this.batch.push(event) - 1;
      this.positionOf.set(event, position);
    }
    if (state.positions !== null) {
      state.positions.push(position);
    } else if (state.count === 0) {
      state.start = position;
      state.count = 1;
      this.pending.add(state);
    } else if (position === state.start + state.count) {
      state.count += 1;
    } else {
      state.positions = Array.from({ length: state.count }, (_, i) => state.start + i);
      state.positions.push(position);
    }
    state.last = position;
    if (!this.scheduled) {
      this.scheduled = true;
      // After the I/O callbacks of this turn: a burst read from Redis in one go becomes one chunk.
      setImmediate(() => this.flush());
    }
  }

  /** Writes the current batch to every sink that received part of it. */
  flush(): void {
    this.scheduled = false;
    const batch = this.batch;
    const states = [...this.pending];
    this.batch = [];
    this.positionOf.clear();
    this.pending.clear();
    if (batch.length === 0) {
      return;
    }
    this.flushes += 1;
    const texts: (string | undefined)[] = new Array<string | undefined>(batch.length);
    const chunks = new Map<string, Buffer>();
    for (const state of states) {
      const { sink, positions, start, count } = state;
      state.start = -1;
      state.count = 0;
      state.positions = null;
      state.last = -1;
      const key = positions === null ? `${start}:${count}${sink.job === undefined ? '' : `:${sink.job}`}` : null;
      let chunk = key === null ? undefined : chunks.get(key);
      if (chunk === undefined) {
        const parts: string[] = [];
        const take = (i: number): void => {
          if (sink.job === undefined || batch[i].job === sink.job) {
            parts.push((texts[i] ??= formatTaskEvent(batch[i])));
          }
        };
        if (positions === null) {
          for (let i = start; i < start + count; i++) take(i);
        } else {
          positions.forEach(take);
        }
        chunk = Buffer.from(parts.join(''), 'utf8');
        if (key !== null) {
          chunks.set(key, chunk);
        }
      }
      if (chunk.length > 0) {
        try {
          sink.write(chunk);
        } catch {
          // one broken stream must not starve the others; its own close handler cleans up
        }
      }
    }
  }
}
