/** The parts of a Jupyter message the executor reads (a structural subset of KernelMessage.IMessage). */
export interface IKernelMessage {
  header: { msg_type: string; msg_id: string; date?: string };
  parent_header: { msg_id?: string } | Record<string, never>;
  content: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}
