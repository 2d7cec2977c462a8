/** The pure parts of the reduce step and the cache: rounds, the reduce input, input keys, canonical JSON. */
import { canonicalJson } from '../../../../worker/src/cache/canonical-json';
import { codeSources, inputKey, notebookDigest } from '../../../../worker/src/cache/input-key';
import { JsonText } from '../../../../worker/src/domain/json-bytes';
import { roundId, roundState } from '../../../../worker/src/domain/reduce';
import type { IExactTask } from '../../../../worker/src/domain/task-repository';
import type { ITask } from '../../../../worker/src/domain/types';
import { asReduceNotebook } from '../../../../worker/src/notebooks/reduce-injection';
import { reduceInputJson } from '../../../../worker/src/reduce/reduce-input';

const t = (state: string, run_status: string, attempt = 1) => ({ state, run_status, attempt }) as Parameters<typeof roundState>[0][number];

describe('roundState', () => {
  it('is complete only when every task is final, and counts a round per restart', () => {
    expect(roundState([t('SUCCESS', 'OK'), t('STARTED', 'unknown')]).complete).toBe(false);
    expect(roundState([t('SUCCESS', 'OK'), t('FAILURE', 'ERROR')])).toEqual({ complete: true, round: 1, allOk: false, cancelled: false });
    expect(roundState([t('SUCCESS', 'OK', 2), t('SUCCESS', 'OK', 3)])).toEqual({ complete: true, round: 4, allOk: true, cancelled: false });
    expect(roundState([t('REVOKED', 'unknown')]).cancelled).toBe(true);
    expect(roundState([]).complete).toBe(false);
    expect(roundId('c05ecd89', 2)).toBe('c05ecd89:reduce:2');
  });
});

describe('reduceInputJson', () => {
  it('splices parameters and results as stored, in job_id order, None for tasks without an OK result', () => {
    const task = (job_id: number, state: string, run_status: string) => ({ job_id, state, run_status }) as unknown as ITask;
    const exact = (job_id: number, param: string, result?: string, state = 'SUCCESS', run = 'OK'): IExactTask => ({
      task: task(job_id, state, run),
      param: new JsonText(param),
      ...(result !== undefined ? { result: new JsonText(result) } : {})
    });
    const text = reduceInputJson('g', [exact(1, '1.0', '12345678901234567891'), exact(0, '{"b":1,"a":2}', '-0.0'), exact(2, '3', undefined, 'FAILURE', 'ERROR')]);
    expect(text).toBe('{"task_group": "g", "params": [{"b":1,"a":2}, 1.0, 3], "results": [-0.0, 12345678901234567891, null], "status": ["SUCCESS", "SUCCESS", "FAILURE"], "failed": [2]}');
  });
});

describe('asReduceNotebook', () => {
  it("makes job the reduce input in the injected cell", () => {
    const nb = { cells: [{ cell_type: 'code', metadata: { tags: ['injected-parameters'] }, source: 'job = 1' }] };
    expect((asReduceNotebook(nb).cells as { source: string }[])[0].source).toBe("job = 1\njob = dict(job['param'], task_name=job['task_name'])\n");
  });
});

describe('canonicalJson', () => {
  it('sorts keys, drops spacing, keeps number texts, writes strings one way', () => {
    expect(canonicalJson('{ "b": [1.0, {"y": 1, "x": "\\u0041"}], "a": 12345678901234567891 }')).toBe('{"a":12345678901234567891,"b":[1.0,{"x":"A","y":1}]}');
    expect(canonicalJson('{"a": 1, "a": 2}')).toBe('{"a":2}');
    expect(canonicalJson(' [ ] ')).toBe('[]');
    expect(canonicalJson('"x"')).toBe('"x"');
  });
});

describe('input keys', () => {
  const nb = (cells: unknown[], kernel = 'python3') => ({ metadata: { kernelspec: { name: kernel } }, cells });
  const code = (source: string, extra: Record<string, unknown> = {}) => ({ cell_type: 'code', source, metadata: {}, outputs: [], ...extra });
  it('depend on code sources, kernelspec and the canonical parameter only', () => {
    const base = nb([{ cell_type: 'markdown', source: '# a' }, code('x = 1')]);
    const digest = notebookDigest(base);
    expect(notebookDigest(nb([{ cell_type: 'markdown', source: '# b' }, code('x = 1', { outputs: [{ output_type: 'stream' }], metadata: { collapsed: true } })]))).toBe(digest);
    expect(notebookDigest(nb([code(['x = ', '1'] as unknown as string)]))).toBe(digest);
    expect(notebookDigest(nb([code('x = 2')]))).not.toBe(digest);
    expect(notebookDigest(nb([code('x = 1')], 'python3-other'))).not.toBe(digest);
    // the injected-parameters cell is not the notebook's code
    expect(notebookDigest(nb([code('job = 1', { metadata: { tags: ['injected-parameters'] } }), code('x = 1')]))).toBe(digest);
    expect(codeSources(base)).toEqual(['x = 1']);
    expect(inputKey(digest, '{"a": 1, "b": 2}')).toBe(inputKey(digest, '{"b":2,"a":1}'));
    expect(inputKey(digest, '9007199254740993')).not.toBe(inputKey(digest, '9007199254740992'));
  });
});
