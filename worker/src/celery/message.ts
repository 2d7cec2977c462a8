/**
 * Celery protocol v2 task messages in the envelope kombu's Redis transport stores on a list,
 * and the fanout envelopes of events and pidbox commands. Encoding produces what
 * `app.send_task` would push; decoding validates and throws {@link MalformedMessageError}.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { MalformedMessageError } from './errors';
import { pythonRepr } from './python-repr';

/** kombu's message envelope as JSON on a Redis list or channel. */
export interface IEnvelope {
  body: string;
  'content-encoding': string;
  'content-type': string;
  headers: Record<string, unknown>;
  properties: IEnvelopeProperties;
}

export interface IEnvelopeProperties {
  correlation_id?: string;
  reply_to?: string;
  delivery_mode: number;
  delivery_info: { exchange: string; routing_key: string; redelivered?: boolean };
  priority: number;
  body_encoding: string;
  delivery_tag: string;
  expiration?: string;
  [key: string]: unknown;
}

/** Protocol v2 headers (Celery `as_task_v2`). Unknown extra headers are kept. */
export interface ITaskHeaders {
  lang: string;
  task: string;
  id: string;
  shadow: string | null;
  eta: string | null;
  expires: string | null;
  group: string | null;
  group_index: number | null;
  retries: number;
  timelimit: [number | null, number | null];
  root_id: string;
  parent_id: string | null;
  argsrepr: string;
  kwargsrepr: string;
  origin: string;
  ignore_result: boolean | null;
  [key: string]: unknown;
}

/** Third element of the body: workflow links. */
export interface ITaskEmbed {
  callbacks: unknown[] | null;
  errbacks: unknown[] | null;
  chain: unknown[] | null;
  chord: unknown | null;
}

/** A decoded task message. */
export interface ITaskMessage {
  envelope: IEnvelope;
  headers: ITaskHeaders;
  args: unknown[];
  kwargs: Record<string, unknown>;
  embed: ITaskEmbed;
}

/** What a producer says about a task to send. */
export interface ITaskMessageOptions {
  taskName: string;
  taskId?: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /** Queue (routing key on the default exchange). @defaultValue `'celery'` */
  queue?: string;
  /** When to run: absolute time. Wins over `countdown`. */
  eta?: Date | null;
  /** Seconds from now before the task may run. */
  countdown?: number | null;
  /** Absolute time, or seconds from now, after which the task is revoked instead of run. */
  expires?: Date | number | null;
  /** 0..9, higher runs first (kombu priority sub-queues). @defaultValue `0` */
  priority?: number;
  /** @defaultValue `0` */
  retries?: number;
  /** `[hard, soft]` seconds, as Celery's `timelimit` header. */
  timeLimit?: [number | null, number | null];
  rootId?: string | null;
  parentId?: string | null;
  group?: string | null;
  groupIndex?: number | null;
  argsrepr?: string;
  kwargsrepr?: string;
  origin?: string;
  ignoreResult?: boolean;
  /** Extra headers, merged last. */
  headers?: Record<string, unknown>;
  replyTo?: string;
}

/** ISO time as Python's `datetime.isoformat()` writes an aware UTC time. */
export function isoUtc(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

/** Build the envelope `app.send_task` would push for these options. */
export function encodeTaskMessage(options: ITaskMessageOptions, now = new Date()): IEnvelope {
  const taskId = options.taskId ?? randomUUID();
  const args = options.args ?? [];
  const kwargs = options.kwargs ?? {};
  const queue = options.queue ?? 'celery';
  let eta: string | null = null;
  if (options.eta) eta = isoUtc(options.eta);
  else if (options.countdown) eta = isoUtc(new Date(now.getTime() + options.countdown * 1000));
  let expires: string | null = null;
  if (typeof options.expires === 'number') expires = isoUtc(new Date(now.getTime() + options.expires * 1000));
  else if (options.expires) expires = isoUtc(options.expires);
  const headers: ITaskHeaders = {
    lang: 'py',
    task: options.taskName,
    id: taskId,
    shadow: null,
    eta,
    expires,
    group: options.group ?? null,
    group_index: options.groupIndex ?? null,
    retries: options.retries ?? 0,
    timelimit: options.timeLimit ?? [null, null],
    root_id: options.rootId || taskId,
    parent_id: options.parentId ?? null,
    argsrepr: options.argsrepr ?? pythonRepr(args),
    kwargsrepr: options.kwargsrepr ?? pythonRepr(kwargs),
    origin: options.origin ?? `nbgrid${process.pid}@${hostname()}`,
    ignore_result: options.ignoreResult ?? null,
    replaced_task_nesting: 0,
    stamped_headers: null,
    stamps: {},
    ...options.headers
  };
  const embed: ITaskEmbed = { callbacks: null, errbacks: null, chain: null, chord: null };
  return {
    body: Buffer.from(JSON.stringify([args, kwargs, embed]), 'utf8').toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers,
    properties: {
      correlation_id: taskId,
      reply_to: options.replyTo ?? '',
      delivery_mode: 2,
      delivery_info: { exchange: '', routing_key: queue },
      priority: options.priority ?? 0,
      body_encoding: 'base64',
      delivery_tag: randomUUID()
    }
  };
}

/** Envelope of a fanout message (events, pidbox commands and replies). */
export function encodeFanout(
  body: unknown,
  options: { exchange: string; routingKey: string; headers?: Record<string, unknown>; deliveryMode?: number }
): IEnvelope {
  return {
    body: Buffer.from(JSON.stringify(body), 'utf8').toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: options.headers ?? {},
    properties: {
      delivery_mode: options.deliveryMode ?? 1,
      delivery_info: { exchange: options.exchange, routing_key: options.routingKey },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: randomUUID()
    }
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse and check a kombu envelope. */
export function decodeEnvelope(raw: string | Buffer): IEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString());
  } catch (err) {
    throw new MalformedMessageError(`not JSON: ${preview(raw)}`, { cause: err });
  }
  if (!isRecord(parsed)) throw new MalformedMessageError(`envelope is not an object: ${preview(raw)}`);
  if (typeof parsed.body !== 'string') throw new MalformedMessageError('envelope has no string body');
  if (!isRecord(parsed.properties)) throw new MalformedMessageError('envelope has no properties');
  const headers = parsed.headers ?? {};
  if (!isRecord(headers)) throw new MalformedMessageError('envelope headers are not an object');
  const props = parsed.properties;
  if (!isRecord(props.delivery_info)) props.delivery_info = { exchange: '', routing_key: '' };
  return { ...(parsed as unknown as IEnvelope), headers };
}

/** Decode the body of an envelope to its JSON value. */
export function decodeBody(envelope: IEnvelope): unknown {
  const type = envelope['content-type'];
  if (type !== 'application/json') {
    throw new MalformedMessageError(`unsupported content-type ${JSON.stringify(type)} (only application/json)`);
  }
  const encoding = envelope.properties.body_encoding;
  let text: string;
  if (encoding === 'base64') {
    if (!/^[A-Za-z0-9+/=\s_-]*$/.test(envelope.body)) throw new MalformedMessageError('body is not base64');
    text = Buffer.from(envelope.body, 'base64').toString('utf8');
  } else if (encoding === undefined || encoding === null || encoding === 'utf-8') {
    text = envelope.body;
  } else {
    throw new MalformedMessageError(`unsupported body_encoding ${JSON.stringify(encoding)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MalformedMessageError(`body is not JSON: ${preview(text)}`, { cause: err });
  }
}

/** Decode a task message (protocol v2). */
export function decodeTaskMessage(raw: string | Buffer | IEnvelope): ITaskMessage {
  const envelope = typeof raw === 'string' || Buffer.isBuffer(raw) ? decodeEnvelope(raw) : raw;
  const h = envelope.headers;
  if (typeof h.task !== 'string' || typeof h.id !== 'string') {
    throw new MalformedMessageError('headers lack task/id: not a Celery protocol v2 message (protocol v1 is not supported)');
  }
  const body = decodeBody(envelope);
  if (!Array.isArray(body) || body.length < 2 || !Array.isArray(body[0]) || !isRecord(body[1])) {
    throw new MalformedMessageError(`task ${h.id}: body is not [args, kwargs, embed]`);
  }
  const embedRaw = isRecord(body[2]) ? body[2] : {};
  const timelimit = Array.isArray(h.timelimit) ? h.timelimit : [null, null];
  const headers: ITaskHeaders = {
    ...h,
    lang: typeof h.lang === 'string' ? h.lang : 'py',
    task: h.task,
    id: h.id,
    shadow: strOrNull(h.shadow),
    eta: strOrNull(h.eta),
    expires: strOrNull(h.expires),
    group: strOrNull(h.group),
    group_index: typeof h.group_index === 'number' ? h.group_index : null,
    retries: typeof h.retries === 'number' ? h.retries : 0,
    timelimit: [numOrNull(timelimit[0]), numOrNull(timelimit[1])],
    root_id: typeof h.root_id === 'string' ? h.root_id : h.id,
    parent_id: strOrNull(h.parent_id),
    argsrepr: typeof h.argsrepr === 'string' ? h.argsrepr : pythonRepr(body[0]),
    kwargsrepr: typeof h.kwargsrepr === 'string' ? h.kwargsrepr : pythonRepr(body[1]),
    origin: typeof h.origin === 'string' ? h.origin : '',
    ignore_result: typeof h.ignore_result === 'boolean' ? h.ignore_result : null
  };
  return {
    envelope,
    headers,
    args: body[0],
    kwargs: body[1],
    embed: {
      callbacks: Array.isArray(embedRaw.callbacks) ? embedRaw.callbacks : null,
      errbacks: Array.isArray(embedRaw.errbacks) ? embedRaw.errbacks : null,
      chain: Array.isArray(embedRaw.chain) ? embedRaw.chain : null,
      chord: embedRaw.chord ?? null
    }
  };
}

function strOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

function preview(raw: string | Buffer): string {
  const s = raw.toString();
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}...` : s);
}
