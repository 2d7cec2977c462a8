/** nbgrid's task queue over the Celery layer: the notebook task publisher and the task event bus. */
import { CeleryKeys } from '../../../../worker/src/celery/keys';
import { decodeTaskMessage } from '../../../../worker/src/celery/message';
import type { ITaskEvent } from '../../../../worker/src/domain/ports';
import { NbgridTaskPublisher } from '../../../../worker/src/queue/task-publisher';
import { TaskEventBus } from '../../../../worker/src/queue/task-event-bus';
import { startTestRedis, type ITestRedis } from '../celery/support/redis-server';

jest.setTimeout(60000);

let redis: ITestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

it('publishMany pushes nbgrid.run_notebook messages to each queue, in order, with their kwargs', async () => {
  const keys = new CeleryKeys();
  const publisher = new NbgridTaskPublisher(redis.client);
  await publisher.publishMany([
    { taskId: 't0', queue: 'gpu', kwargs: { name: 'tasks/main/g-0', param: [1, { a: null }] }, argsrepr: '(0)' },
    { taskId: 't1', queue: 'gpu', kwargs: { name: 'tasks/main/g-1', param: 2 } },
    { taskId: 't2', queue: 'default', kwargs: { name: 'tasks/main/g-2', param: 3 } }
  ]);
  const gpu = (await redis.client.lrange(keys.queue('gpu'), 0, -1)).reverse().map((raw) => decodeTaskMessage(raw));
  expect(gpu.map((m) => [m.headers.task, m.headers.id, m.kwargs.name])).toEqual([
    ['nbgrid.run_notebook', 't0', 'tasks/main/g-0'],
    ['nbgrid.run_notebook', 't1', 'tasks/main/g-1']
  ]);
  expect(gpu[0].kwargs.param).toEqual([1, { a: null }]);
  expect(gpu[0].headers.argsrepr).toBe('(0)');
  expect(await redis.client.llen(keys.queue('default'))).toBe(1);
  expect(await redis.client.sismember(keys.binding('gpu'), CeleryKeys.bindingMember('gpu', 'gpu'))).toBe(1);
});

it('revoke remembers the ids for result_expires + the visibility timeout and stores REVOKED', async () => {
  const publisher = new NbgridTaskPublisher(redis.client, { visibilityTimeout: 60 });
  expect(publisher.producer.revoked.expires).toBe(86400 + 60);
  await publisher.revoke(['r1', 'r2'], { terminate: true });
  expect(await publisher.producer.revoked.has('r1')).toBe(true);
  expect((await publisher.producer.backend.get('r2'))?.status).toBe('REVOKED');
});

it('TaskEventBus carries ITaskEvent JSON on nbgrid:events', async () => {
  const bus = new TaskEventBus(redis.client);
  const got: ITaskEvent[] = [];
  const unsubscribe = await bus.subscribe((e) => got.push(e));
  const event: ITaskEvent = {
    name: 'tasks/main/abc-0', job: 'main', task_group: 'abc', job_id: 0, task_id: 't1',
    status: 'STARTED', run_status: 'unknown', message: '', worker: 'w@h', duration: null
  };
  const raw: string[] = [];
  const sub = redis.client.duplicate();
  sub.on('message', (channel: string, data: string) => channel === 'nbgrid:events' && raw.push(data));
  await sub.subscribe('nbgrid:events');
  await bus.publish(event);
  for (let i = 0; i < 50 && (got.length === 0 || raw.length === 0); i++) await sleep(20);
  await unsubscribe();
  sub.disconnect();
  expect(got).toEqual([event]);
  expect(JSON.parse(raw[0])).toEqual(event);
});
