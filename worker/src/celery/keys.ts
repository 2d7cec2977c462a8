/**
 * Every Redis key and channel name the Celery layer touches, in one place.
 * The defaults are the names kombu's Redis transport and Celery's Redis backend use,
 * so Python workers, clients, `celery inspect` and Flower share the same data.
 */

/** kombu's separator inside binding members and priority sub-queue names. */
export const SEP = '\x06\x16';

/** kombu's default priority steps: a message with priority p goes to the step at or below p. */
export const PRIORITY_STEPS: readonly number[] = [0, 3, 6, 9];

/** Options of {@link CeleryKeys}. */
export interface ICeleryKeysOptions {
  /**
   * kombu's `global_keyprefix` transport option: prepended to every key kombu uses (queues,
   * bindings, unacked). Pub/sub channels get it too, like kombu's prefixed pubsub client.
   * Result keys are not prefixed (Celery's backend has its own prefix option, not used here).
   * @defaultValue `''`
   */
  globalKeyPrefix?: string;
  /**
   * Redis database number, part of kombu's fanout channel prefix `/{db}.`.
   * @defaultValue `0`
   */
  db?: number;
}

/** Key and channel names for one broker configuration. */
export class CeleryKeys {
  readonly prefix: string;
  readonly db: number;

  constructor(options: ICeleryKeysOptions = {}) {
    this.prefix = options.globalKeyPrefix ?? '';
    this.db = options.db ?? 0;
  }

  /** Priority step a message priority maps to (kombu `priority()`), clamped to 0..9. */
  static priorityStep(priority: number | null | undefined): number {
    const p = Math.max(0, Math.min(9, Math.trunc(Number(priority) || 0)));
    let step = PRIORITY_STEPS[0];
    for (const s of PRIORITY_STEPS) if (s <= p) step = s;
    return step;
  }

  /** The list a message of `priority` is pushed to (kombu `_q_for_pri`). */
  queue(queue: string, priority = 0): string {
    const step = CeleryKeys.priorityStep(priority);
    return this.prefix + (step ? `${queue}${SEP}${step}` : queue);
  }

  /** BRPOP key order exactly as kombu: for each priority step, every queue. */
  brpopKeys(queues: readonly string[]): string[] {
    const keys: string[] = [];
    for (const step of PRIORITY_STEPS) for (const q of queues) keys.push(this.queue(q, step));
    return keys;
  }

  /** Queue name from a popped list key (drops the prefix and the priority suffix). */
  queueFromKey(key: string): string {
    const unprefixed = key.startsWith(this.prefix) ? key.slice(this.prefix.length) : key;
    const i = unprefixed.lastIndexOf(SEP);
    return i >= 0 ? unprefixed.slice(0, i) : unprefixed;
  }

  /** `_kombu.binding.<exchange>`: set of `routing_key SEP pattern SEP queue`. */
  binding(exchange: string): string {
    return `${this.prefix}_kombu.binding.${exchange}`;
  }

  /** `_kombu.binding_permanent.<exchange>` (kombu 5.7 keeps non-expiring bindings here too). */
  bindingPermanent(exchange: string): string {
    return `${this.prefix}_kombu.binding_permanent.${exchange}`;
  }

  /** Member of a binding set. */
  static bindingMember(routingKey: string, queue: string, pattern = ''): string {
    return [routingKey, pattern, queue].join(SEP);
  }

  get unacked(): string {
    return `${this.prefix}unacked`;
  }

  get unackedIndex(): string {
    return `${this.prefix}unacked_index`;
  }

  get unackedMutex(): string {
    return `${this.prefix}unacked_mutex`;
  }

  /**
   * Hash delivery tag -> the worker holding that unacked message (nbgrid workers only; not a kombu
   * key). With {@link unackedHeld} and {@link workerAlive} it lets survivors give back a dead
   * worker's messages soon after its heartbeat stops, instead of after the visibility timeout.
   */
  get unackedOwner(): string {
    return `${this.prefix}celery-unacked-owner`;
  }

  /** Hash delivery tag -> `<message bytes>:<list key>` of the messages `hostname` holds. */
  unackedHeld(hostname: string): string {
    return `${this.prefix}celery-unacked-held.${hostname}`;
  }

  /** Set of the workers that may hold messages (whose {@link unackedHeld} may be non-empty). */
  get unackedHolders(): string {
    return `${this.prefix}celery-unacked-holders`;
  }

  /** Key that exists (with a short expiry, refreshed) while `hostname` is alive. */
  workerAlive(hostname: string): string {
    return `${this.prefix}celery-worker-alive.${hostname}`;
  }

  /** Celery result key. */
  static taskMeta(taskId: string): string {
    return `celery-task-meta-${taskId}`;
  }

  /**
   * Zset of revoked task ids, scored by the time (unix ms) until which they stay revoked
   * (see `revoked-registry.ts`). Not a Celery key: Celery keeps revokes in worker memory only.
   */
  get revoked(): string {
    return `${this.prefix}celery-revoked`;
  }

  /** kombu fanout publish channel: `/{db}.<exchange>/<routing_key>` (fanout_patterns on). */
  fanout(exchange: string, routingKey: string): string {
    return routingKey
      ? `${this.prefix}/${this.db}.${exchange}/${routingKey}`
      : `${this.prefix}/${this.db}.${exchange}`;
  }

  /** Celery events exchange channel for a routing key like `task.started`. */
  event(routingKey: string): string {
    return this.fanout('celeryev', routingKey);
  }

  /** Pattern matching every Celery event. */
  get eventPattern(): string {
    return this.fanout('celeryev', '*');
  }

  /** Pattern matching worker events only (what Celery's own heartbeat watchers subscribe to). */
  get workerEventPattern(): string {
    return this.fanout('celeryev', 'worker.*');
  }

  /** Pidbox broadcast channel (`celery.pidbox` fanout exchange, empty routing key). */
  get pidbox(): string {
    return this.fanout('celery.pidbox', '');
  }

  /** Exchange replies of control commands go to. */
  static readonly replyExchange = 'reply.celery.pidbox';

  /** Exchange of broadcast control commands. */
  static readonly pidboxExchange = 'celery.pidbox';
}
