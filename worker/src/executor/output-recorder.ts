/**
 * Records a cell's IOPub messages into the notebook exactly as nbclient's `process_message` does:
 * outputs, `clear_output` (immediate or on the next output), `update_display_data` applied to every
 * output with that display_id in every cell, `execution_count` and the `metadata.execution` timings.
 * Unlike nbclient it bounds what it keeps (see OutputBudget): the gateway's IOPub rate limits are
 * off, so this is where a notebook printing gigabytes is stopped, with a note in the cell.
 */
import type { IKernelMessage } from './kernel-message';
import { messageTimestamp } from './message-timestamp';
import { OutputBudget, outputBytes, type IOutputLimits } from './output-budget';
import { outputFromMessage } from './output-from-message';
import type { INotebook, INotebookCell, INotebookOutput } from './types';

const DISPLAY_TYPES = new Set(['execute_result', 'display_data', 'update_display_data']);

export class OutputRecorder {
  /** display_id → cell index → indices of outputs showing that display. */
  private readonly displays = new Map<string, Map<number, number[]>>();
  private cell: INotebookCell | null = null;
  private cellIndex = -1;
  private clearBeforeNextOutput = false;
  private readonly budget: OutputBudget;

  constructor(
    private readonly notebook: INotebook,
    limits: IOutputLimits = {}
  ) {
    this.budget = new OutputBudget(limits);
  }

  /** Starts recording a cell: its outputs and timings are reset, as nbclient does. */
  beginCell(cellIndex: number): INotebookCell {
    const cell = this.notebook.cells[cellIndex];
    cell.metadata ??= {};
    cell.metadata.execution = {};
    cell.outputs = [];
    this.cell = cell;
    this.cellIndex = cellIndex;
    this.clearBeforeNextOutput = false;
    return cell;
  }

  /** Records the time of the shell reply. */
  recordReply(msg: IKernelMessage): void {
    this.timings()['shell.execute_reply'] = messageTimestamp(msg);
  }

  /** Handles one IOPub message of the current cell's request. */
  handleIOPub(msg: IKernelMessage): void {
    const cell = this.cell;
    if (!cell) {
      return;
    }
    const msgType = msg.header.msg_type;
    const content = msg.content;
    const transient = content.transient as { display_id?: unknown } | null | undefined;
    const displayId = transient && typeof transient.display_id === 'string' ? transient.display_id : null;
    if (displayId && DISPLAY_TYPES.has(msgType)) {
      this.updateDisplay(displayId, msg);
    }
    if ('execution_count' in content) {
      cell.execution_count = content.execution_count as number | null;
    }
    const timings = this.timings();
    if (msgType === 'status') {
      if (content.execution_state === 'idle') {
        timings['iopub.status.idle'] = messageTimestamp(msg);
      } else if (content.execution_state === 'busy') {
        timings['iopub.status.busy'] = messageTimestamp(msg);
      }
      return;
    }
    if (msgType === 'execute_input') {
      timings['iopub.execute_input'] = messageTimestamp(msg);
      return;
    }
    if (msgType === 'clear_output') {
      this.clearOutput(content.wait === true);
    } else if (!msgType.startsWith('comm') && msgType !== 'update_display_data') {
      this.appendOutput(msg, displayId);
    }
  }

  private timings(): Record<string, string> {
    return this.cell!.metadata.execution as Record<string, string>;
  }

  private appendOutput(msg: IKernelMessage, displayId: string | null): void {
    const message = outputFromMessage(msg);
    if (!message) {
      return;
    }
    const outputs = this.cell!.outputs!;
    if (this.clearBeforeNextOutput) {
      this.budget.cleared(outputs);
      outputs.length = 0;
      this.forgetDisplaysOfCell();
      this.clearBeforeNextOutput = false;
    }
    const out = this.budget.admit(message, outputs);
    if (!out) {
      this.budget.flush();
      return;
    }
    if (displayId) {
      const cells = this.displays.get(displayId) ?? new Map<number, number[]>();
      this.displays.set(displayId, cells);
      const indices = cells.get(this.cellIndex) ?? [];
      cells.set(this.cellIndex, indices);
      indices.push(outputs.length);
    }
    outputs.push(out);
    this.budget.flush();
  }

  private clearOutput(wait: boolean): void {
    if (wait) {
      this.clearBeforeNextOutput = true;
      return;
    }
    this.budget.cleared(this.cell!.outputs!);
    this.cell!.outputs!.length = 0;
    this.forgetDisplaysOfCell();
  }

  private forgetDisplaysOfCell(): void {
    for (const cells of this.displays.values()) {
      if (cells.has(this.cellIndex)) {
        cells.set(this.cellIndex, []);
      }
    }
  }

  private updateDisplay(displayId: string, msg: IKernelMessage): void {
    const cells = this.displays.get(displayId);
    if (!cells) {
      return;
    }
    const msgType = msg.header.msg_type === 'update_display_data' ? 'display_data' : msg.header.msg_type;
    const out = outputFromMessage(msg, msgType);
    if (!out) {
      return;
    }
    const size = outputBytes(out);
    for (const [cellIndex, indices] of cells) {
      const outputs: INotebookOutput[] = this.notebook.cells[cellIndex].outputs ?? [];
      for (const index of indices) {
        if (!this.budget.admitUpdate(outputs[index], size, this.cell!.outputs!)) {
          this.budget.flush();
          continue;
        }
        // Each output gets its own copy: the notebook is later serialised and compared per output.
        outputs[index].data = structuredClone(out.data);
        outputs[index].metadata = structuredClone(out.metadata);
      }
    }
  }
}
