/**
 * Issue 14: the Kernel Gateway's IOPub rate limits (Jupyter Server's defaults) replaced a 3 MB
 * print with "IOPub data rate exceeded" and dropped thousands of `display()` outputs while the
 * run was OK. The stack's gateway now starts with them off, and the executor bounds output
 * itself, with a note in the cell where it cut. A real gateway from `worker/src/stack`.
 */
import { executeNotebook, type IExecuteOptions, type INotebook } from '../../../../worker/src/executor';
import { notebook } from '../../support/notebooks';
import { listKernels, startTestGateway, type ITestGateway } from '../executor/gateway';

jest.setTimeout(180000);

let gateway: ITestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});

afterAll(async () => {
  await gateway?.stop();
});

afterEach(async () => {
  expect(await listKernels(gateway)).toEqual([]);
});

function run(cells: string[], options: Partial<IExecuteOptions> = {}) {
  return executeNotebook(notebook(cells) as unknown as INotebook, { gatewayUrl: gateway.url, token: gateway.token, ...options });
}

function streamText(nb: INotebook, cell: number, name = 'stdout'): string {
  return (nb.cells[cell].outputs ?? [])
    .filter((o) => o.output_type === 'stream' && o.name === name)
    .map((o) => String(o.text))
    .join('');
}

it('keeps a 3 MB print whole (no "IOPub data rate exceeded")', async () => {
  const result = await run(["print('x' * 3_000_000)"]);
  expect(result.status).toBe('ok');
  const text = streamText(result.notebook, 0);
  expect(text).not.toContain('IOPub data rate exceeded');
  expect(text).toBe('x'.repeat(3_000_000) + '\n');
});

it('keeps all of 5,000 display() outputs', async () => {
  const result = await run(['from IPython.display import display\nfor i in range(5000):\n    display(i)']);
  expect(result.status).toBe('ok');
  const outputs = result.notebook.cells[0].outputs ?? [];
  expect(outputs.filter((o) => o.output_type === 'stream')).toEqual([]);
  expect(outputs.map((o) => (o.data as Record<string, string>)['text/plain'])).toEqual(Array.from({ length: 5000 }, (_, i) => String(i)));
});

it('cuts output over the bound and says so in the cell', async () => {
  const result = await run(["print('y' * 300_000)", 'from IPython.display import display\nfor i in range(10):\n    display(i)'], {
    outputLimits: { maxOutputBytes: 100_000, maxNotebookOutputBytes: 100_005, raiseHint: 'raise THE_LIMIT' }
  });
  expect(result.status).toBe('ok');
  const [first, second] = result.notebook.cells;
  const kept = (first.outputs ?? []).filter((o) => o.name === 'stdout').map((o) => String(o.text)).join('');
  expect(kept.length).toBeLessThanOrEqual(100_000);
  expect(kept).toMatch(/^y+$/);
  const note = streamText(result.notebook, 0, 'stderr');
  expect(note).toContain('[nbgrid] output of this cell was cut');
  expect(note).toContain('raise THE_LIMIT');
  // 5 bytes of room left: 0..4 fit, then the notebook bound leaves the rest out, noted once.
  const displayed = (second.outputs ?? []).filter((o) => o.output_type === 'display_data').map((o) => (o.data as Record<string, string>)['text/plain']);
  expect(displayed).toEqual(['0', '1', '2', '3', '4']);
  expect(streamText(result.notebook, 1, 'stderr')).toContain('5 outputs left out');
});
