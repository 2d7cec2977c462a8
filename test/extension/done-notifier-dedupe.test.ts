/**
 * The service delivers a map's `group-done` at least once (a service dying mid-delivery leaves it to
 * another): the notifier shows each `(task_group, round)` once, and still shows a new round of the
 * same group (a restart started here).
 */
import './jsdom-polyfills';
import { DoneNotifier } from '../../src/done-notifier';
import { FakeEventStream } from './fake-client';

const done = { job: 'main', task_group: 'abcd1234', round: 'r1', count: 2, counts: { OK: 2, ERROR: 0 }, duration: 3, failed: [], ts: '' };

function notifier(): { notifier: DoneNotifier; notified: string[] } {
  const notified: string[] = [];
  const n = new DoneNotifier({
    eventsUrl: job => `events?job=${job}`,
    openStatus: () => undefined,
    openEvents: url => new FakeEventStream(url),
    notify: text => notified.push(text)
  });
  return { notifier: n, notified };
}

describe('DoneNotifier dedupe', () => {
  it('ignores a repeated (task_group, round), even when the group is watched again for a restart', () => {
    const { notifier: n, notified } = notifier();
    n.watch('main', 'abcd1234');
    const first = FakeEventStream.last!;
    first.emit('group-done', done);
    expect(notified).toHaveLength(1);
    expect(n.shown('abcd1234', 'r1')).toBe(true);

    // A restart from here watches the group again; the old round delivered once more is not news.
    n.watch('main', 'abcd1234');
    const second = FakeEventStream.last!;
    expect(second).not.toBe(first);
    second.emit('group-done', done);
    expect(notified).toHaveLength(1);
    expect(n.pending('main')).toEqual(['abcd1234']);

    // The restart's own round is shown, once.
    second.emit('group-done', { ...done, round: 'r2', counts: { OK: 1, ERROR: 1 } });
    second.emit('group-done', { ...done, round: 'r2', counts: { OK: 1, ERROR: 1 } });
    expect(notified).toHaveLength(2);
    expect(notified[1]).toContain('1 OK, 1 ERROR');
    expect(n.pending('main')).toEqual([]);
    n.dispose();
  });

  it('shows the same round of another group', () => {
    const { notifier: n, notified } = notifier();
    n.watch('main', 'abcd1234');
    n.watch('main', 'ffff0000');
    FakeEventStream.last!.emit('group-done', done);
    FakeEventStream.last!.emit('group-done', { ...done, task_group: 'ffff0000' });
    expect(notified).toHaveLength(2);
    n.dispose();
  });
});
