/**
 * Live progress on the real stack (Redis, FerretDB, Kernel Gateway, an API service and a worker
 * node): progress events in order for a notebook of slow cells, the partial notebook while a later
 * cell runs, status rows' `progress`, a late client's snapshot, a coalesced output flood, and the
 * outputs kept in the result notebook of a run cut by its cell timeout.
 */
import { ApiClient } from '../../../../worker/src/cli/api-client';
import { followLogs, watchStatus } from '../../../../worker/src/cli/commands/progress-commands';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { SseClient } from './sse-client';
import { startProgressStack, TOKEN, waitFor, type IProgressStack, type IServiceUnderTest } from './stack';

jest.setTimeout(240_000);

let stack: IProgressStack;
let a: IServiceUnderTest;

beforeAll(async () => {
  stack = await startProgressStack('progress_events_test');
  a = await stack.startService();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

type Progress = { name: string; task_group: string; job_id: number; seq: number; done: number; total: number; cell: { index: number; source: string } | null; tail: string[]; final: boolean };
type OutCell = { outputs?: { text?: string | string[] }[] };
const textOf = (cell: OutCell): string => (cell.outputs ?? []).map((o) => ([] as string[]).concat(o.text ?? []).join('')).join('');

describe('progress of a running task', () => {
  it('arrives in order, shows in status rows and the partial notebook, and ends before the task event', async () => {
    await a.api.put(
      'slow',
      notebook([
        PARAM_CELL,
        "import time\nprint('one done', flush=True)\ntime.sleep(2)",
        "print('two done', flush=True)\ntime.sleep(2)",
        "print('three', flush=True)\ntime.sleep(4)\nprint('three done')"
      ])
    );
    const sse = await SseClient.open(`${a.server.url}/api/events?job=slow`, TOKEN);
    try {
      const m = await a.api.map('slow', { params: [1] });
      const mine = (d: Record<string, unknown>) => d.task_group === m.task_group && d.job_id === 0;
      // The third slow cell (index 4: after the parameters cell and the injected one) is running.
      await sse.until((ms) => ms.some((x) => x.event === 'progress' && mine(x.data) && (x.data as Progress).cell?.index === 4), 120_000, 'cell 4 to run');

      const partial = await a.api.call<{ name: string; content: { cells: OutCell[] } }>('GET', `/api/jobs/slow/tasks/${m.task_group}-0/partial`);
      expect(partial.status).toBe(200);
      expect(textOf(partial.body.content.cells[2])).toBe('one done\n');
      expect(textOf(partial.body.content.cells[3])).toBe('two done\n');
      expect(textOf(partial.body.content.cells[4])).not.toContain('three done');

      const [row] = await a.api.status('slow', m.task_group);
      expect(row.status).toBe('STARTED');
      expect(row.progress).toMatchObject({ done: 4, total: 5, cell: { index: 4, source: "print('three', flush=True)" } });
      const live = await a.api.call<{ progress: Progress[] }>('GET', '/api/jobs/slow/progress');
      expect(live.body.progress.map((p) => [p.task_group, p.job_id])).toEqual([[m.task_group, 0]]);

      await sse.until((ms) => ms.some((x) => x.event === 'task' && mine(x.data) && x.data.status === 'SUCCESS'), 120_000, 'the SUCCESS event');
      const events = sse.of('progress', mine) as unknown as Progress[];
      for (let i = 1; i < events.length; i++) {
        expect(events[i].seq).toBeGreaterThan(events[i - 1].seq);
        expect(events[i].done).toBeGreaterThanOrEqual(events[i - 1].done);
      }
      const cells = events.filter((e) => e.cell).map((e) => e.cell!.index);
      // Quick cells may fall between two updates (coalesced); each slow cell is seen running, in order.
      expect(cells).toEqual([...cells].sort((x, y) => x - y));
      expect([...new Set(cells)]).toEqual(expect.arrayContaining([2, 3, 4]));
      const last = events[events.length - 1];
      expect(last).toMatchObject({ done: 5, total: 5, cell: null, final: true });
      expect(last.tail).toEqual(['one done', 'two done', 'three', 'three done']);
      // The final progress comes before the task event that ends the run.
      const order = sse.messages.filter((x) => mine(x.data)).map((x) => (x.event === 'task' ? `task:${String(x.data.status)}` : 'progress'));
      expect(order.lastIndexOf('progress')).toBeLessThan(order.indexOf('task:SUCCESS'));

      const after = await a.api.call('GET', `/api/jobs/slow/tasks/${m.task_group}-0/partial`);
      expect(after.status).toBe(404);
      expect(String(after.body.message)).toContain('result notebook');
      const [done] = await a.api.status('slow', m.task_group);
      expect(done.progress ?? null).toBeNull();
    } finally {
      sse.close();
    }
  });

  it('is sent to a client that connects late, first thing', async () => {
    await a.api.put('late', notebook([PARAM_CELL, "import time\nprint('waiting', flush=True)\ntime.sleep(8)"]));
    const m = await a.api.map('late', { params: [1] });
    let seen: { seq: number; cell: { index: number } | null } | undefined;
    await waitFor(async () => {
      const live = await a.api.call<{ progress: Progress[] }>('GET', '/api/jobs/late/progress');
      seen = live.body.progress.find((p) => p.task_group === m.task_group && p.tail.includes('waiting'));
      return seen !== undefined;
    }, 'the task to print');
    const sse = await SseClient.open(`${a.server.url}/api/events?job=late`, TOKEN);
    try {
      // The cell sleeps 8 s printing nothing: only the snapshot can bring this event now.
      await sse.until((ms) => ms.some((x) => x.event === 'progress'), 5000, 'the snapshot');
      const [first] = sse.of('progress') as unknown as Progress[];
      expect(first.task_group).toBe(m.task_group);
      expect(first.seq).toBe(seen!.seq);
      expect(first.tail).toEqual(['waiting']);
      await a.api.waitDone('late', m.task_group);
    } finally {
      sse.close();
    }
  });

  it('coalesces a flood of output into a few updates carrying its last lines', async () => {
    await a.api.put('flood', notebook([PARAM_CELL, 'for i in range(100000):\n    print(i)', "import time\ntime.sleep(1)\nprint('after')"]));
    const sse = await SseClient.open(`${a.server.url}/api/events?job=flood`, TOKEN);
    try {
      const m = await a.api.map('flood', { params: [1] });
      const [row] = await a.api.waitDone('flood', m.task_group);
      expect([row.status, row.run_status]).toEqual(['SUCCESS', 'OK']);
      await sse.until((ms) => ms.some((x) => x.event === 'progress' && x.data.task_group === m.task_group && x.data.final === true), 30_000, 'the final update');
      const events = sse.of('progress', (d) => d.task_group === m.task_group) as unknown as Progress[];
      // At most four a second: a handful for a run of seconds, never one per printed line.
      expect(events.length).toBeLessThan(200);
      const during = events.find((e) => e.tail.includes('99999'));
      expect(during).toBeDefined();
      expect(during!.tail).toHaveLength(20);
      expect(during!.tail.slice(0, 19)).toEqual(Array.from({ length: 19 }, (_, i) => String(99980 + i)));
      expect(events[events.length - 1].tail.slice(-2)).toEqual(['99999', 'after']);
    } finally {
      sse.close();
    }
  });
});

describe('a run cut short', () => {
  it('keeps the outputs produced before its cell timeout in the result notebook', async () => {
    await a.api.put(
      'cut',
      notebook([PARAM_CELL, "print('before', flush=True)", "import time\nprint('started', flush=True)\ntime.sleep(60)", "print('never')"])
    );
    const m = await a.api.map('cut', { params: [1], cell_timeout: 3 });
    const [row] = await a.api.waitDone('cut', m.task_group);
    expect([row.status, row.run_status]).toEqual(['FAILURE', 'ERROR']);
    const res = await a.api.call<{ content: { cells: OutCell[] } }>('GET', `/api/notebooks/${row.results}`);
    expect(res.status).toBe(200);
    expect(textOf(res.body.content.cells[2])).toBe('before\n');
    expect(textOf(res.body.content.cells[3])).toContain('started\n');
    expect(textOf(res.body.content.cells[4])).toBe('');
  });
});

describe('on the command line', () => {
  /** What `run` printed on stdout. */
  async function printed<T>(run: () => Promise<T>): Promise<{ result: T; text: string }> {
    const chunks: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    });
    try {
      const result = await run();
      return { result, text: chunks.join('') };
    } finally {
      spy.mockRestore();
    }
  }

  it('nbgrid logs --follow prints the output as it comes, then the final status; status --watch shows cells', async () => {
    await a.api.put('cli', notebook([PARAM_CELL, "import time\nprint('first', flush=True)\ntime.sleep(2)", "print('second', flush=True)\ntime.sleep(2)\nprint('third')"]));
    const m = await a.api.map('cli', { params: [1, 2] });
    const api = new ApiClient(a.server.url, TOKEN);
    const [logs, watch] = await Promise.all([
      printed(() => followLogs(api, 'cli', `${m.task_group}-0`, { follow: true, intervalMs: 200 })),
      // Run side by side: the spy collects both, so only the logs' lines are checked in order.
      watchStatus(api, 'cli', { group: m.task_group, intervalMs: 300 })
    ]);
    expect(logs.result.status).toBe('SUCCESS');
    expect(watch.every((r) => r.status === 'SUCCESS')).toBe(true);
    const lines = logs.text.split('\n');
    const at = (line: string) => lines.indexOf(line);
    expect(at('first')).toBeGreaterThanOrEqual(0);
    expect(at('first')).toBeLessThan(at('second'));
    expect(at('second')).toBeLessThan(at('third'));
    expect(logs.text).toMatch(/cells \d+\/\d+ in \d running/);
    expect(logs.text).toMatch(/\d\/4 ▸ \[\d\] (import time|print\('second', flush=True\))/);
    expect(logs.text).toContain(`--- tasks/cli/${m.task_group}-0: SUCCESS/OK`);

    const after = await printed(() => followLogs(api, 'cli', '1', { follow: false }));
    expect(after.text).toBe(`first\nsecond\nthird\n--- tasks/cli/${m.task_group}-1: SUCCESS/OK\n`);
  });
});
