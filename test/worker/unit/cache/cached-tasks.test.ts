/**
 * How a map's cached tasks are kept with its group (`storage/cached-tasks.ts`): the returned
 * values in the group document while small, in one blob beside it when large, and either way
 * every cached task document made from the group SUCCESS / OK with `cached_from`, the source's
 * result notebook and its returned value byte for byte.
 */
import { Binary } from 'mongodb';
import type { ICachedTask } from '../../../../worker/src/domain/task-cache';
import { applyCached, cachedResultNames, isCachedTask, packCached, unpackCachedResults } from '../../../../worker/src/storage/cached-tasks';
import { binaryBytes, taskDocOf, type ITaskDoc, type ITaskGroupDoc } from '../../../../worker/src/storage/documents';

const values = ['{"a": 1.50, "b": [1, 2]}', null, '"x\\u0000y"', '12345678901234567890'];

function cached(): ICachedTask[] {
  return values.map((v, i) => ({
    job_id: i * 2,
    param: Buffer.from(String(i * 2)),
    entry: { key: `k${i}`, task: `tasks/nb/abcd0123-${i}`, results: i === 1 ? null : `results/tasks/nb/abcd0123-${i}.ipynb_t.ipynb`, ...(v === null ? {} : { result: Buffer.from(v) }) }
  }));
}

function group(extra: Partial<ITaskGroupDoc>): ITaskGroupDoc & { task_id_salt: string } {
  return { _id: 'ef012345', job: 'nb', count: 8, require: 'default', cell_timeout: null, main_sha256: 'f'.repeat(64), created: '2026-12-01T00:00:00.000Z', seq: 1, task_id_salt: 'salt', ...extra };
}

function docs(g: ITaskGroupDoc): ITaskDoc[] {
  return Array.from({ length: g.count }, (_, i) => taskDocOf(g, i, Buffer.from(String(i))));
}

const resultText = (d: ITaskDoc): string | null => (d.result ? Buffer.from(binaryBytes(d.result)).toString('utf8') : null);

function expectCached(made: ITaskDoc[]): void {
  const byId = new Map(made.map((d) => [d.job_id, d]));
  values.forEach((v, i) => {
    const d = byId.get(i * 2) as ITaskDoc;
    expect([d.state, d.run_status, d.cached_from, d.worker]).toEqual(['SUCCESS', 'OK', `tasks/nb/abcd0123-${i}`, 'cache']);
    expect(d.job_runs[0].results).toBe(i === 1 ? null : `results/tasks/nb/abcd0123-${i}.ipynb_t.ipynb`);
    expect(resultText(d)).toBe(v);
  });
  for (const d of made.filter((x) => x.job_id % 2 === 1)) expect([d.state, d.cached_from, d.result]).toEqual(['PENDING', undefined, undefined]);
}

describe('cached tasks of a group', () => {
  it('keeps small returned values in the group document', () => {
    const packed = packCached(cached());
    expect(packed.results).toBeUndefined();
    const g = group({ cached_tasks: packed.rows });
    expectCached(applyCached(g, docs(g)));
    expect(cachedResultNames(packed.rows)).toEqual(['results/tasks/nb/abcd0123-0.ipynb_t.ipynb', 'results/tasks/nb/abcd0123-2.ipynb_t.ipynb', 'results/tasks/nb/abcd0123-3.ipynb_t.ipynb']);
  });

  it('puts large returned values in one blob, the rows keeping names only, and needs the blob for a cached task', () => {
    const packed = packCached(cached(), 10);
    expect(packed.results).toBeDefined();
    const blob = packed.results?.blob as Buffer;
    // no value in the group document: it stays small whatever the tasks returned
    expect(Buffer.from(binaryBytes(packed.rows)).toString('utf8')).not.toContain('12345678901234567890');
    const g = group({ cached_tasks: packed.rows, cached_results_sha256: 'b'.repeat(64) });
    expectCached(applyCached(g, docs(g), unpackCachedResults(blob)));
    expect(cachedResultNames(packed.rows)).toHaveLength(3);
    // a task that is not cached is made without the blob; a cached one is not made without it
    expect(applyCached(g, [taskDocOf(g, 1, Buffer.from('1'))])[0].state).toBe('PENDING');
    expect(() => applyCached(g, [taskDocOf(g, 2, Buffer.from('2'))])).toThrow(/were not read/);
    expect([isCachedTask(g, 2), isCachedTask(g, 1), isCachedTask(group({}), 2)]).toEqual([true, false, false]);
  });

  it('reads rows stored before the values could go to a blob', () => {
    const rows = `[[0,"tasks/nb/abcd0123-0","results/x.ipynb","{\\"v\\": 1}"]]`;
    const g = group({ cached_tasks: new Binary(Buffer.from(rows)) });
    const [d] = applyCached(g, docs(g).slice(0, 1));
    expect([d.state, d.cached_from, resultText(d)]).toEqual(['SUCCESS', 'tasks/nb/abcd0123-0', '{"v": 1}']);
  });
});
