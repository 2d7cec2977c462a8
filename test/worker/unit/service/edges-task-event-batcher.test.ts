import type { ITaskEvent } from '../../../../worker/src/domain/ports';
import { EventFanout } from '../../../../worker/src/runtime/event-fanout';
import { formatTaskEvent, TaskEventBatcher } from '../../../../worker/src/service/task-event-batcher';
import { taskEvent } from './helpers';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A sink attached to the batcher and subscribed to the fanout, recording its chunks. */
function sink(batcher: TaskEventBatcher, fanout: EventFanout, job?: string): { chunks: Buffer[]; text: () => string; unsubscribe: () => void } {
  const chunks: Buffer[] = [];
  const { listener, detach } = batcher.attach({ job, write: (chunk) => chunks.push(chunk) });
  const off = fanout.subscribe(listener);
  return {
    chunks,
    text: () => Buffer.concat(chunks).toString('utf8'),
    unsubscribe: () => {
      off();
      detach();
    }
  };
}

const events = (n: number, job = 'main'): ITaskEvent[] => Array.from({ length: n }, (_, i) => taskEvent({ job, job_id: i, task_id: `t-${job}-${i}` }));

describe('TaskEventBatcher', () => {
  it('formats each event once and writes one shared chunk per turn to every stream', async () => {
    const batcher = new TaskEventBatcher();
    const fanout = new EventFanout();
    const sinks = Array.from({ length: 50 }, () => sink(batcher, fanout));
    const burst = events(300);
    const stringify = jest.spyOn(JSON, 'stringify');
    try {
      burst.forEach(fanout.dispatch);
      await turn();
      expect(stringify).toHaveBeenCalledTimes(300);
    } finally {
      stringify.mockRestore();
    }
    const expected = burst.map(formatTaskEvent).join('');
    for (const s of sinks) {
      expect(s.chunks).toHaveLength(1);
      expect(s.chunks[0]).toBe(sinks[0].chunks[0]);
    }
    expect(sinks[0].text()).toBe(expected);
    expect(batcher.flushes).toBe(1);

    burst.slice(0, 2).forEach(fanout.dispatch);
    await turn();
    expect(sinks[7].chunks).toHaveLength(2);
    expect(sinks[7].chunks[1].toString()).toBe(burst.slice(0, 2).map(formatTaskEvent).join(''));
  });

  it('filters by job, sharing the chunk among streams with the same filter', async () => {
    const batcher = new TaskEventBatcher();
    const fanout = new EventFanout();
    const all = sink(batcher, fanout);
    const a1 = sink(batcher, fanout, 'a');
    const a2 = sink(batcher, fanout, 'a');
    const none = sink(batcher, fanout, 'nothing');
    const mixed = [...events(3, 'a'), ...events(2, 'b'), ...events(2, 'a')];
    mixed.forEach(fanout.dispatch);
    await turn();
    expect(all.text()).toBe(mixed.map(formatTaskEvent).join(''));
    expect(a1.text()).toBe(mixed.filter((e) => e.job === 'a').map(formatTaskEvent).join(''));
    expect(a1.chunks[0]).toBe(a2.chunks[0]);
    expect(none.chunks).toHaveLength(0);
  });

  it('delivers an event object dispatched twice twice, in order', async () => {
    const batcher = new TaskEventBatcher();
    const fanout = new EventFanout();
    const s1 = sink(batcher, fanout);
    const s2 = sink(batcher, fanout);
    const [x, y] = events(2);
    [x, y, x].forEach(fanout.dispatch);
    await turn();
    const expected = [x, y, x].map(formatTaskEvent).join('');
    expect(s1.text()).toBe(expected);
    expect(s2.text()).toBe(expected);
  });

  it('a stream gets what was dispatched while it was attached, and a throwing stream does not stop the others', async () => {
    const batcher = new TaskEventBatcher();
    const fanout = new EventFanout();
    const early = sink(batcher, fanout);
    const broken = batcher.attach({ job: undefined, write: () => { throw new Error('socket gone'); } });
    fanout.subscribe(broken.listener);
    const burst = events(4);
    fanout.dispatch(burst[0]);
    fanout.dispatch(burst[1]);
    const late = sink(batcher, fanout);
    fanout.dispatch(burst[2]);
    early.unsubscribe();
    fanout.dispatch(burst[3]);
    await turn();
    expect(early.chunks).toHaveLength(0);
    expect(late.text()).toBe(burst.slice(2).map(formatTaskEvent).join(''));
  });
});
