import { OutputRecorder } from '../../../../worker/src/executor/output-recorder';
import type { INotebook } from '../../../../worker/src/executor';

function notebook(cells: number): INotebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: Array.from({ length: cells }, () => ({ cell_type: 'code', source: 'x', metadata: {}, outputs: [], execution_count: null }))
  };
}

let counter = 0;
function msg(msgType: string, content: Record<string, unknown>) {
  counter += 1;
  return { header: { msg_type: msgType, msg_id: `m${counter}`, date: '2026-01-02T03:04:05.000001Z' }, parent_header: {}, content };
}
const display = (text: string, displayId?: string, type = 'display_data') =>
  msg(type, { data: { 'text/plain': text }, metadata: {}, transient: displayId ? { display_id: displayId } : {} });

describe('OutputRecorder', () => {
  it('keeps each stream message as its own output, like nbclient without coalesce_streams', () => {
    const nb = notebook(1);
    const recorder = new OutputRecorder(nb);
    recorder.beginCell(0);
    recorder.handleIOPub(msg('stream', { name: 'stdout', text: 'a' }));
    recorder.handleIOPub(msg('stream', { name: 'stdout', text: 'b' }));
    expect(nb.cells[0].outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'a' },
      { output_type: 'stream', name: 'stdout', text: 'b' }
    ]);
  });

  it('clears at once, or before the next output with wait', () => {
    const nb = notebook(1);
    const recorder = new OutputRecorder(nb);
    recorder.beginCell(0);
    recorder.handleIOPub(display('a'));
    recorder.handleIOPub(msg('clear_output', { wait: false }));
    expect(nb.cells[0].outputs).toEqual([]);
    recorder.handleIOPub(display('b'));
    recorder.handleIOPub(msg('clear_output', { wait: true }));
    expect(nb.cells[0].outputs).toHaveLength(1);
    recorder.handleIOPub(display('c'));
    expect(nb.cells[0].outputs!.map(output => (output.data as Record<string, string>)['text/plain'])).toEqual(['c']);
  });

  it('updates every output with the display id, in every cell, and not cleared ones', () => {
    const nb = notebook(3);
    const recorder = new OutputRecorder(nb);
    recorder.beginCell(0);
    recorder.handleIOPub(display('one', 'd'));
    recorder.beginCell(1);
    recorder.handleIOPub(display('two', 'd'));
    recorder.beginCell(2);
    recorder.handleIOPub(display('three', 'd', 'update_display_data'));
    const text = (cell: number) => nb.cells[cell].outputs!.map(output => (output.data as Record<string, string>)['text/plain']);
    expect(text(0)).toEqual(['three']);
    expect(text(1)).toEqual(['three']);
    expect(text(2)).toEqual([]);
  });

  it('records execution_count and the four nbclient timings', () => {
    const nb = notebook(1);
    const recorder = new OutputRecorder(nb);
    recorder.beginCell(0);
    recorder.handleIOPub(msg('status', { execution_state: 'busy' }));
    recorder.handleIOPub(msg('execute_input', { code: 'x', execution_count: 7 }));
    recorder.recordReply(msg('execute_reply', { status: 'ok' }));
    recorder.handleIOPub(msg('status', { execution_state: 'idle' }));
    expect(nb.cells[0].execution_count).toBe(7);
    expect(nb.cells[0].metadata.execution).toEqual({
      'iopub.status.busy': '2026-01-02T03:04:05.000001Z',
      'iopub.execute_input': '2026-01-02T03:04:05.000001Z',
      'shell.execute_reply': '2026-01-02T03:04:05.000001Z',
      'iopub.status.idle': '2026-01-02T03:04:05.000001Z'
    });
  });
});

describe('OutputRecorder output budget (issue 14: bound output in the worker, not by IOPub rate limits)', () => {
  const stream = (text: string) => msg('stream', { name: 'stdout', text });

  it('keeps outputs under the limits whole', () => {
    const nb = notebook(1);
    const recorder = new OutputRecorder(nb, { maxOutputBytes: 10, maxNotebookOutputBytes: 100 });
    recorder.beginCell(0);
    recorder.handleIOPub(stream('0123456789'));
    expect(nb.cells[0].outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '0123456789' }]);
  });

  it('cuts a stream over the per-output limit on a character boundary, with a note that says how to raise it', () => {
    const nb = notebook(1);
    const recorder = new OutputRecorder(nb, { maxOutputBytes: 5, maxNotebookOutputBytes: 100, raiseHint: 'raise LIMIT' });
    recorder.beginCell(0);
    recorder.handleIOPub(stream('abcd\u00e9fgh')); // é is 2 bytes: 5 bytes end inside it
    const outputs = nb.cells[0].outputs!;
    expect(outputs).toHaveLength(2);
    expect(outputs[0]).toEqual({ output_type: 'stream', name: 'stdout', text: 'abcd' });
    expect(outputs[1].name).toBe('stderr');
    expect(outputs[1].text).toContain('1 output shortened, 5 bytes in all');
    expect(outputs[1].text).toContain('raise LIMIT');
  });

  it('leaves out a display over the per-output limit and outputs past the notebook limit, counting them in one note per cell', () => {
    const nb = notebook(2);
    const recorder = new OutputRecorder(nb, { maxOutputBytes: 8, maxNotebookOutputBytes: 12 });
    recorder.beginCell(0);
    recorder.handleIOPub(display('123456789')); // 9 bytes > 8: left out
    recorder.handleIOPub(display('1234'));
    recorder.handleIOPub(display('5678'));
    recorder.handleIOPub(display('9abc')); // 12 bytes kept now
    recorder.handleIOPub(display('x')); // over the notebook limit
    const texts = nb.cells[0].outputs!.map(o => (o.output_type === 'stream' ? 'NOTE' : (o.data as Record<string, string>)['text/plain']));
    expect(texts).toEqual(['NOTE', '1234', '5678', '9abc']);
    // one note per cell, updated in place as more is cut
    expect(nb.cells[0].outputs![0].text).toContain('2 outputs left out, 10 bytes in all');
    recorder.beginCell(1);
    recorder.handleIOPub(stream('more'));
    expect(nb.cells[1].outputs).toHaveLength(1);
    expect(nb.cells[1].outputs![0].text).toContain('1 output left out');
  });

  it('frees the budget of cleared outputs (a progress bar redrawn forever stays small)', () => {
    const nb = notebook(1);
    const recorder = new OutputRecorder(nb, { maxOutputBytes: 10, maxNotebookOutputBytes: 10 });
    recorder.beginCell(0);
    for (let i = 0; i < 100; i++) {
      recorder.handleIOPub(msg('clear_output', { wait: true }));
      recorder.handleIOPub(display(`step ${i}`.padEnd(10, '.')));
    }
    expect(nb.cells[0].outputs!.map(o => (o.data as Record<string, string>)['text/plain'])).toEqual(['step 99...']);
  });

  it('keeps error outputs whatever the budget', () => {
    const nb = notebook(1);
    const recorder = new OutputRecorder(nb, { maxOutputBytes: 1, maxNotebookOutputBytes: 1 });
    recorder.beginCell(0);
    recorder.handleIOPub(msg('error', { ename: 'ValueError', evalue: 'long message', traceback: ['x'] }));
    expect(nb.cells[0].outputs).toEqual([{ output_type: 'error', ename: 'ValueError', evalue: 'long message', traceback: ['x'] }]);
  });
});
