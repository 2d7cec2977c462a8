import * as fs from 'fs';
import * as path from 'path';
import { CeleryKeys } from '../../../../worker/src/celery/keys';
import { MalformedMessageError } from '../../../../worker/src/celery/errors';
import { decodeBody, decodeEnvelope, decodeTaskMessage, encodeTaskMessage } from '../../../../worker/src/celery/message';
import { pythonRepr } from '../../../../worker/src/celery/python-repr';

// Made by test/peers/gen_vectors.py with real Celery 5.7 / kombu 5.7 (see its docstring).
interface IVectors {
  tasks: { key: string; raw: string; task_id: string; name: string; args: unknown[]; kwargs: Record<string, unknown> }[];
  meta: Record<string, string>;
}
const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'kombu-vectors.json'), 'utf8')) as IVectors;
const keys = new CeleryKeys();

describe('decoding messages written by kombu', () => {
  it.each(vectors.tasks.map((t) => [t.name, t] as const))('%s decodes to the args, kwargs and headers Celery sent', (_name, t) => {
    const msg = decodeTaskMessage(t.raw);
    expect(msg.headers.task).toBe(t.name);
    expect(msg.headers.id).toBe(t.task_id);
    expect(msg.args).toEqual(t.args);
    expect(msg.kwargs).toEqual(t.kwargs);
    expect(msg.embed).toEqual({ callbacks: null, errbacks: null, chain: null, chord: null });
    // kombu pushed it onto the list our key function names for its priority
    expect(keys.queue(msg.envelope.properties.delivery_info.routing_key, msg.envelope.properties.priority)).toBe(t.key);
  });

  it('keeps eta, expires and time limits of the run_notebook vector', () => {
    const msg = decodeTaskMessage(vectors.tasks[1].raw);
    expect(msg.headers.timelimit).toEqual([60, 50]);
    // sent with countdown=30, expires=600: 570 s apart
    const gap = Date.parse(msg.headers.expires as string) - Date.parse(msg.headers.eta as string);
    expect(Math.abs(gap - 570_000)).toBeLessThan(1000);
  });
});

describe('encoding messages like kombu', () => {
  it.each(vectors.tasks.map((t) => [t.name, t] as const))('%s re-encodes to the same envelope shape and values', (_name, t) => {
    const theirs = decodeEnvelope(t.raw);
    const msg = decodeTaskMessage(t.raw);
    const [hard, soft] = msg.headers.timelimit;
    const ours = encodeTaskMessage({
      taskName: t.name,
      taskId: t.task_id,
      args: t.args,
      kwargs: t.kwargs,
      queue: theirs.properties.delivery_info.routing_key,
      priority: theirs.properties.priority,
      eta: msg.headers.eta ? new Date(msg.headers.eta) : null,
      expires: msg.headers.expires ? new Date(msg.headers.expires) : null,
      timeLimit: [hard, soft],
      argsrepr: msg.headers.argsrepr,
      kwargsrepr: msg.headers.kwargsrepr,
      origin: msg.headers.origin,
      ignoreResult: msg.headers.ignore_result ?? undefined
    });
    // same keys everywhere (reply_to/delivery_tag values differ by nature)
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    expect(Object.keys(ours.headers).sort()).toEqual(Object.keys(theirs.headers).sort());
    const stable = (p: Record<string, unknown>): Record<string, unknown> => ({ ...p, reply_to: undefined, delivery_tag: undefined, expiration: undefined });
    expect(stable(ours.properties)).toEqual(stable(theirs.properties));
    const h = (x: Record<string, unknown>): Record<string, unknown> => ({ ...x, eta: x.eta && Date.parse(x.eta as string), expires: x.expires && Date.parse(x.expires as string) });
    expect(h(ours.headers)).toEqual(h(theirs.headers));
    expect(decodeBody(ours)).toEqual(decodeBody(theirs));
    expect(ours['content-type']).toBe('application/json');
    expect(ours['content-encoding']).toBe('utf-8');
  });

  it('round-trips its own messages', () => {
    const env = encodeTaskMessage({ taskName: 't', args: [1, 'a\u0000b', { x: [null] }], kwargs: { y: 1.5 }, queue: 'q', priority: 9, countdown: 5, retries: 2 });
    const msg = decodeTaskMessage(JSON.stringify(env));
    expect(msg.args).toEqual([1, 'a\u0000b', { x: [null] }]);
    expect(msg.kwargs).toEqual({ y: 1.5 });
    expect(msg.headers.retries).toBe(2);
    expect(msg.headers.root_id).toBe(msg.headers.id);
    expect(msg.headers.eta).toMatch(/\+00:00$/);
    expect(keys.queue('q', 9)).toBe('q\x06\x169');
  });

  it('writes Python reprs in argsrepr', () => {
    expect(pythonRepr([1, 'x', null, [1.5, true]])).toBe("[1, 'x', None, [1.5, True]]");
    expect(pythonRepr({ k: { n: 2 } })).toBe("{'k': {'n': 2}}");
    expect(vectors.tasks[0].raw).toContain('"argsrepr": "[1, \'x\', None, [1.5, True]]"');
  });
});

describe('rejecting malformed input with a typed error', () => {
  const good = JSON.parse(vectors.tasks[0].raw) as Record<string, unknown>;
  const cases: [string, string][] = [
    ['not JSON', '{"body": '],
    ['not an object', '[1,2]'],
    ['no body', JSON.stringify({ ...good, body: undefined })],
    ['unknown content type', JSON.stringify({ ...good, 'content-type': 'application/x-python-serialize' })],
    ['body not base64', JSON.stringify({ ...good, body: '%%%' })],
    ['body not JSON', JSON.stringify({ ...good, body: Buffer.from('nope').toString('base64') })],
    ['body not [args, kwargs]', JSON.stringify({ ...good, body: Buffer.from('{"a":1}').toString('base64') })],
    ['protocol v1 (no task header)', JSON.stringify({ ...good, headers: {} })]
  ];
  it.each(cases)('%s', (_what, raw) => {
    expect(() => decodeTaskMessage(raw)).toThrow(MalformedMessageError);
  });
});

describe('keys', () => {
  it('orders BRPOP keys like kombu: per priority step, every queue', () => {
    expect(keys.brpopKeys(['a', 'b'])).toEqual(['a', 'b', 'a\x06\x163', 'b\x06\x163', 'a\x06\x166', 'b\x06\x166', 'a\x06\x169', 'b\x06\x169']);
    expect(keys.queueFromKey('gpu\x06\x166')).toBe('gpu');
    expect(CeleryKeys.priorityStep(5)).toBe(3);
    expect(CeleryKeys.priorityStep(12)).toBe(9);
    expect(new CeleryKeys().event('task.started')).toBe('/0.celeryev/task.started');
    expect(new CeleryKeys().pidbox).toBe('/0.celery.pidbox');
    const prefixed = new CeleryKeys({ globalKeyPrefix: 't1:' });
    expect(prefixed.queue('q', 3)).toBe('t1:q\x06\x163');
    expect(prefixed.queueFromKey('t1:q\x06\x163')).toBe('q');
  });
});
