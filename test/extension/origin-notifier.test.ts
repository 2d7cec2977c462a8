/**
 * The notifications of maps started by this JupyterLab's kernels: the stream of the lab's origin
 * shows each `(task_group, round)` of that origin once (also when the Map button's stream showed it
 * already), ignores other origins, and is opened again after EventSource gave up on it.
 */
import './jsdom-polyfills';
import { DoneNotifier } from '../../src/done-notifier';
import { OriginNotifier, originEventsUrl } from '../../src/origin-notifier';
import { FakeEventStream } from './fake-client';

const done = { job: 'main', task_group: 'abcd1234', round: 'r1', count: 3, counts: { OK: 2, ERROR: 1 }, duration: 3, failed: ['x'], ts: '', origin: 'lab-1' };

function setup(): { notifier: DoneNotifier; notified: { text: string; type: string }[]; streams: FakeEventStream[]; origin: OriginNotifier } {
  const notified: { text: string; type: string }[] = [];
  const streams: FakeEventStream[] = [];
  const openEvents = (url: string) => {
    const s = new FakeEventStream(url);
    streams.push(s);
    return s;
  };
  const notifier = new DoneNotifier({ eventsUrl: job => `events?job=${job}`, openStatus: () => undefined, openEvents, notify: (text, o) => notified.push({ text, type: o.type }) });
  const origin = new OriginNotifier({ origin: 'lab-1', url: 'events?origin=lab-1', show: e => notifier.show(e), openEvents, retryMs: 5 });
  return { notifier, notified, streams, origin };
}

describe('OriginNotifier', () => {
  it('builds the proxied URL with the origin and Jupyter token', () => {
    expect(originEventsUrl({ baseUrl: 'http://h/lab/', token: 't k' } as never, 'lab-1')).toBe('http://h/lab/nbgrid/api/events?origin=lab-1&token=t%20k');
  });

  it('shows the done events of its origin once, and none of another origin', () => {
    const { notifier, notified, streams, origin } = setup();
    origin.start();
    origin.start();
    expect(streams.map(s => s.url)).toEqual(['events?origin=lab-1']);
    streams[0].emit('group-done', { ...done, origin: 'lab-2', task_group: 'ffff0000' });
    streams[0].emit('group-done', { ...done, origin: undefined, task_group: 'eeee0000' });
    expect(notified).toEqual([]);
    streams[0].emit('group-done', done);
    streams[0].emit('group-done', done);
    expect(notified).toEqual([{ text: expect.stringContaining('2 OK, 1 ERROR'), type: 'warning' }]);
    // The same map seen by the Map button's stream: not shown twice.
    notifier.watch('main', 'abcd1234');
    streams[1].emit('group-done', done);
    expect(notified).toHaveLength(1);
    origin.dispose();
    notifier.dispose();
    expect(streams[0].closed).toBe(true);
  });

  it('opens the stream again after EventSource gave up on it', async () => {
    const { streams, origin } = setup();
    origin.start();
    streams[0].readyState = 1;
    streams[0].onerror?.(new Event('error')); // a dropped connection: EventSource retries itself
    expect(streams).toHaveLength(1);
    streams[0].readyState = 2;
    streams[0].onerror?.(new Event('error'));
    await new Promise(r => setTimeout(r, 30));
    expect(streams).toHaveLength(2);
    expect(streams[0].closed).toBe(true);
    origin.dispose();
  });
});
