/**
 * sys.exit() as papermill has it: `sys.exit()`, `sys.exit(0)` and `raise SystemExit` end the run
 * cleanly (the following cells are not run, the run is OK, the returned value is read); a
 * non-zero exit is an error. Real Kernel Gateway, real kernels.
 */
import { executeNotebook, type INotebook } from '../../../../worker/src/executor';
import { listKernels, startTestGateway, type ITestGateway } from './gateway';

jest.setTimeout(120000);

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

function notebook(exit: string): INotebook {
  const code = (source: string) => ({ cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [code("import sys\njob = {'result': 'before exit'}\nprint('first')"), code(exit), code("job['result'] = 'after exit'\nprint('not run')")]
  } as unknown as INotebook;
}

const run = (exit: string) => executeNotebook(notebook(exit), { gatewayUrl: gateway.url, token: gateway.token });

describe('SystemExit', () => {
  it.each(['sys.exit()', 'sys.exit(0)', 'raise SystemExit', 'raise SystemExit()'])('%s ends the run cleanly', async (exit) => {
    const result = await run(exit);
    expect(result.status).toBe('ok');
    expect(result.result).toBe('before exit');
    const [first, exiting, after] = result.notebook.cells;
    expect(first.outputs).toEqual([expect.objectContaining({ name: 'stdout', text: 'first\n' })]);
    // the exit's own output stays, as papermill keeps it
    expect(exiting.outputs!.some((o) => o.output_type === 'error' && o.ename === 'SystemExit')).toBe(true);
    expect(after.outputs).toEqual([]);
    expect(after.execution_count).toBeNull();
  });

  it.each([
    ['sys.exit(1)', '1'],
    ["sys.exit('stopped: no data')", 'stopped: no data'],
    ['raise SystemExit(2)', '2']
  ])('%s is an error', async (exit, evalue) => {
    const result = await run(exit);
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ kind: 'cell-error', cellIndex: 1, ename: 'SystemExit', evalue });
    expect(result.notebook.cells[2].execution_count).toBeNull();
  });
});
