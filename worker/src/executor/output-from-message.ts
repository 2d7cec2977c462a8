/**
 * The nbformat output of an IOPub message, as nbformat's `output_from_msg` builds it; null for a
 * message that is not an output.
 */
import type { IKernelMessage } from './kernel-message';
import type { INotebookOutput } from './types';

export function outputFromMessage(msg: IKernelMessage, msgType: string = msg.header.msg_type): INotebookOutput | null {
  const content = msg.content;
  switch (msgType) {
    case 'execute_result':
      return {
        output_type: 'execute_result',
        data: content.data ?? {},
        execution_count: content.execution_count ?? null,
        metadata: content.metadata ?? {}
      };
    case 'display_data':
      return { output_type: 'display_data', data: content.data ?? {}, metadata: content.metadata ?? {} };
    case 'stream':
      return { output_type: 'stream', name: content.name, text: content.text };
    case 'error':
      return {
        output_type: 'error',
        ename: content.ename,
        evalue: content.evalue,
        traceback: content.traceback ?? []
      };
    default:
      return null;
  }
}
