/**
 * executeNotebook against a real Kernel Gateway and real ipykernel kernels, compared with nbclient
 * executing the same fixture notebooks.
 */
import { executeNotebook, type IExecuteOptions, type INotebook } from '../../../../worker/src/executor';
import { loadFixture, runNbclient, withoutTimings } from './fixtures';
import { freePort } from '../../../../worker/src/stack';
import { listKernels, startTestGateway, type ITestGateway } from './gateway';

jest.setTimeout(120000);

const COMPARED = ['streams', 'rich-display', 'display-updates', 'clear-output', 'error', 'stdin'];
const TIMING_KEYS = ['iopub.execute_input', 'iopub.status.busy', 'iopub.status.idle', 'shell.execute_reply'];
// The stack's gateway already drops NBGRID_*/TOKEN variables from its environment; this canary
// passes that filter, so only the executor's empty kernel `env` keeps it from the kernel.
const CANARY = 'EXECUTOR_ENV_CANARY';
const SECRET = 'secret-must-not-reach-kernels';

let gateway: ITestGateway;
let reference: Record<string, INotebook>;

beforeAll(async () => {
  process.env[CANARY] = SECRET;
  try {
    [gateway, reference] = await Promise.all([startTestGateway(), runNbclient(COMPARED)]);
  } finally {
    delete process.env[CANARY];
  }
});

afterAll(async () => {
  await gateway?.stop();
});

afterEach(async () => {
  expect(await listKernels(gateway)).toEqual([]);
});

function run(name: string, options: Partial<IExecuteOptions> = {}) {
  return executeNotebook(loadFixture(name), { gatewayUrl: gateway.url, token: gateway.token, ...options });
}

describe('output fidelity: the same outputs and execution counts as nbclient', () => {
  it.each(COMPARED)('%s', async name => {
    const result = await run(name);
    expect(withoutTimings(result.notebook)).toEqual(withoutTimings(reference[name]));
    for (const cell of result.notebook.cells) {
      if (cell.cell_type === 'code' && cell.execution_count != null) {
        const timings = cell.metadata.execution as Record<string, string>;
        expect(Object.keys(timings).sort()).toEqual(TIMING_KEYS);
        for (const value of Object.values(timings)) {
          expect(value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
        }
      }
    }
  });

  it('does not modify the notebook it is given', async () => {
    const notebook = loadFixture('streams');
    const before = JSON.stringify(notebook);
    await executeNotebook(notebook, { gatewayUrl: gateway.url, token: gateway.token });
    expect(JSON.stringify(notebook)).toBe(before);
  });
});

describe('failures', () => {
  it('stops at the first error and reports it', async () => {
    const result = await run('error');
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ kind: 'cell-error', cellIndex: 1, ename: 'ValueError', evalue: 'bad value: 1' });
    expect(result.error!.traceback.length).toBeGreaterThan(0);
    expect(result.message.startsWith('ValueError: bad value: 1\n')).toBe(true);
    expect(result.message).toContain("raise ValueError('bad value: %d' % value)");
    expect(result.message).not.toContain('\u001b'); // ANSI colour codes stripped
    const [, failed, after] = result.notebook.cells;
    expect(failed.outputs!.map(output => output.output_type)).toEqual(['stream', 'error']);
    expect(after.outputs).toEqual([]);
    expect(after.execution_count).toBeNull();
  });

  it('has stdin off: input() raises StdinNotImplementedError', async () => {
    const result = await run('stdin');
    expect(result.error).toMatchObject({ kind: 'cell-error', ename: 'StdinNotImplementedError' });
  });

  it('interrupts a cell that exceeds the cell timeout and shuts the kernel down', async () => {
    const began = Date.now();
    const result = await run('timeout', { cellTimeout: 2 });
    expect(Date.now() - began).toBeLessThan(20000);
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ kind: 'timeout', cellIndex: 1, ename: 'CellTimeoutError' });
    expect(result.message).toContain('A cell timed out while it was being executed, after 2 seconds.');
    expect(result.message).toContain('time.sleep(30)');
    expect(result.notebook.cells[1].outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'sleeping\n' }]);
  });

  it('reports a kernel that exits as kernel-died', async () => {
    const result = await run('kernel-died');
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ kind: 'kernel-died', cellIndex: 1 });
    expect(result.message.toLowerCase()).toContain('kernel died');
    expect(result.notebook.cells[0].outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'alive\n' }]);
  });

  it('aborts on the signal: interrupts, shuts down, kind aborted', async () => {
    const controller = new AbortController();
    const began = Date.now();
    const result = await run('timeout', {
      signal: controller.signal,
      onCell: index => {
        if (index === 1) {
          setTimeout(() => controller.abort(new Error('cancelled by test')), 500);
        }
      }
    });
    expect(Date.now() - began).toBeLessThan(20000);
    expect(result.error).toMatchObject({ kind: 'aborted', cellIndex: 1 });
    expect(result.message).toContain('cancelled by test');
  });

  it('reports an unreachable gateway', async () => {
    const port = await freePort();
    const result = await executeNotebook(loadFixture('streams'), { gatewayUrl: `http://127.0.0.1:${port}`, token: 'x' });
    expect(result.error).toMatchObject({ kind: 'gateway-unreachable', cellIndex: -1 });
    expect(result.message).toContain('unreachable');
  });

  it('reports a wrong token as a gateway refusal', async () => {
    const result = await run('streams', { token: 'wrong' });
    expect(result.error).toMatchObject({ kind: 'gateway-unreachable' });
    expect(result.message).toContain('401');
  });

  it('reports a kernel start timeout and still shuts the late kernel down', async () => {
    const result = await run('streams', { startTimeout: 0.001 });
    expect(result.error).toMatchObject({ kind: 'start-timeout', cellIndex: -1 });
    expect(result.message).toContain('did not start within 0.001 seconds');
    // The start request is still under way: when the gateway answers it (a kernel starts in about
    // a second), the executor shuts that kernel down. Without that, it would be listed after 5 s.
    await new Promise(resolve => setTimeout(resolve, 5000));
    const deadline = Date.now() + 30000;
    while ((await listKernels(gateway)).length > 0 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 250));
    }
    expect(await listKernels(gateway)).toEqual([]);
  });
});

describe('returned value and environment', () => {
  it("returns job['result'] as JSON", async () => {
    const result = await run('result');
    expect(result.status).toBe('ok');
    expect(result.message).toBe('');
    expect(result.result).toEqual({ square: 81, list: [1, 'two', null, 2.5], nul: 'a\u0000b' });
    // The silent read of the result leaves no trace in the notebook.
    expect(result.notebook.cells.map(cell => cell.execution_count)).toEqual([1, 2]);
  });

  it('returns undefined when the notebook sets no result', async () => {
    const result = await run('no-result');
    expect(result.status).toBe('ok');
    expect(result.result).toBeUndefined();
    expect(result.resultError).toBeUndefined();
  });

  it('evaluates a custom result expression', async () => {
    const result = await run('no-result', { resultExpression: "__import__('json').dumps({'y': y})" });
    expect(result.result).toEqual({ y: 2 });
  });

  it('starts kernels without the gateway environment (no tokens)', async () => {
    const result = await run('env');
    const text = result.notebook.cells[0].outputs![0].text as string;
    const names = JSON.parse(text) as string[];
    expect(names).not.toContain(CANARY);
    expect(text).not.toContain(SECRET);
    expect(names).toContain('PATH');
  });
});
