import { OutputTail } from '../../../../worker/src/executor';
import { ProgressTracker, type IExecutionProgress } from '../../../../worker/src/executor/progress-tracker';

const msg = (msg_type: string, content: Record<string, unknown>) => ({ header: { msg_type }, content }) as never;

describe('OutputTail', () => {
  it('keeps the last lines, joining text split across messages', () => {
    const tail = new OutputTail(3);
    tail.write('a\nb');
    tail.write('c\nd\n');
    tail.write('e');
    expect(tail.snapshot()).toEqual(['bc', 'd', 'e']);
  });

  it('renders carriage-return progress bars as one line', () => {
    const tail = new OutputTail(5);
    tail.write('start\n');
    for (let i = 0; i <= 100; i += 10) tail.write(`\r${i}%|${'#'.repeat(i / 10)}|`);
    tail.write('\n');
    tail.write('\rfinal 1/2\r');
    expect(tail.snapshot()).toEqual(['start', '100%|##########|', 'final 1/2']);
  });

  it('keeps the last lines of a flood, not the first', () => {
    const tail = new OutputTail(20);
    const text = Array.from({ length: 100_000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    tail.write(text);
    const lines = tail.snapshot();
    expect(lines).toHaveLength(20);
    expect(lines[19]).toBe('line 99999');
    expect(lines[0]).toBe('line 99980');
  });

  it('cuts very long lines', () => {
    const tail = new OutputTail(2);
    tail.write('x'.repeat(10_000));
    expect(tail.snapshot()[0].length).toBeLessThanOrEqual(400);
  });
});

describe('ProgressTracker', () => {
  const notebook = { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 };

  it('coalesces a burst into few updates that carry the latest lines', async () => {
    const updates: IExecutionProgress[] = [];
    const tracker = new ProgressTracker(notebook, 2, (p) => updates.push({ ...p }), 50);
    tracker.cellStarted(0, '\n  for i in range(10**5):\n    print(i)');
    for (let i = 0; i < 100_000; i++) tracker.output(msg('stream', { name: 'stdout', text: `${i}\n` }));
    expect(updates.length).toBeLessThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 120));
    const last = updates[updates.length - 1];
    expect(last.tail[last.tail.length - 1]).toBe('99999');
    expect(last.cell).toMatchObject({ index: 0, source: '  for i in range(10**5):' });
    tracker.output(msg('update_display_data', { data: { 'text/plain': ' 50%|#####     | 5/10' } }));
    tracker.cellFinished();
    tracker.finish();
    const final = updates[updates.length - 1];
    expect(final).toMatchObject({ done: 1, total: 2, cell: null, final: true, display: ' 50%|#####     | 5/10' });
    const count = updates.length;
    tracker.output(msg('stream', { name: 'stdout', text: 'late\n' }));
    await new Promise((r) => setTimeout(r, 80));
    expect(updates).toHaveLength(count);
  });

  it('ignores a listener that throws', () => {
    const tracker = new ProgressTracker(notebook, 1, () => {
      throw new Error('broken listener');
    });
    expect(() => tracker.cellStarted(0, 'x')).not.toThrow();
    tracker.finish();
  });
});
