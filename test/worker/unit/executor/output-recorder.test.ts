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
