/**
 * A pool whose kernels are never reused (`reusable: false`, a worker with `--kernel-reuse off`,
 * the default) does not run the snippet that remembers a kernel's working directory for a reset:
 * one execute request per task spared. A reuse asked of such a kernel anyway fails its reset and
 * the kernel is shut down, never handed on.
 */
import { executeNotebook, KernelPool, type INotebook } from '../../../../worker/src/executor';
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

function probe(): INotebook {
  const code = (source: string) => ({ cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [code("import os\njob = {'result': {'remembered': hasattr(get_ipython(), '_nbgrid_cwd'), 'pid': os.getpid()}}")]
  };
}

async function twoTasks(reusable: boolean | undefined) {
  const pool = new KernelPool({ gatewayUrl: gateway.url, token: gateway.token, size: 1, ...(reusable === undefined ? {} : { reusable }) }).start();
  try {
    const options = { gatewayUrl: gateway.url, token: gateway.token, kernelPool: pool, reuseKernel: true };
    const first = await executeNotebook(probe(), options);
    const second = await executeNotebook(probe(), options);
    return [first, second].map(r => {
      expect(r.status).toBe('ok');
      return { ...(r.result as { remembered: boolean; pid: number }), id: r.kernel!.id };
    });
  } finally {
    await pool.close();
  }
}

it('a reusable pool (the default) remembers the working directory and can hand a kernel on', async () => {
  const [first, second] = await twoTasks(undefined);
  expect(first.remembered).toBe(true);
  expect(second.id).toBe(first.id);
  expect(second.pid).toBe(first.pid);
});

it('a pool that is not reusable skips it, and never hands a kernel to a second task', async () => {
  const [first, second] = await twoTasks(false);
  expect(first.remembered).toBe(false);
  expect(second.id).not.toBe(first.id);
  expect(second.pid).not.toBe(first.pid);
});
