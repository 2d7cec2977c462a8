/**
 * A task request as Celery's `Request.info()` describes it in the pidbox replies `active`,
 * `reserved`, `scheduled` and `query_task`: the same keys, so Flower and `celery inspect` show
 * nbgrid's requests as they show a Python worker's.
 */
import type { ITaskMessage } from './message';

/**
 * @param startedAt milliseconds since the epoch when the task started, or null while it waits.
 * @param safe `args`/`kwargs` as their repr strings (Celery's `active(safe=True)`, what Flower asks for).
 */
export function requestInfo(msg: ITaskMessage, hostname: string, startedAt: number | null, safe = false): Record<string, unknown> {
  const h = msg.headers;
  const di = msg.envelope.properties.delivery_info;
  return {
    id: h.id,
    name: h.task,
    args: safe ? h.argsrepr : msg.args,
    kwargs: safe ? h.kwargsrepr : msg.kwargs,
    type: h.task,
    hostname,
    time_start: startedAt === null ? null : startedAt / 1000,
    // nbgrid acks late, after the task: a running task's message is not acknowledged yet.
    acknowledged: false,
    delivery_info: {
      exchange: di.exchange ?? '',
      routing_key: di.routing_key,
      priority: msg.envelope.properties.priority ?? 0,
      redelivered: di.redelivered === true
    },
    // Handlers run in the worker's own process (there is no child pool process).
    worker_pid: startedAt === null ? null : process.pid
  };
}
