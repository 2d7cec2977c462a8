/**
 * A cell timeout longer than Node's longest timer (2^31-1 ms, about 24.8 days) is honoured: Node
 * clamps such a timer to 1 ms, which made every cell of a map with `cell_timeout` 10^7 s time out
 * at once.
 */
import { executeNotebook, type INotebook } from '../../../../worker/src/executor';
import { startTestGateway, type ITestGateway } from './gateway';

jest.setTimeout(120000);

let gateway: ITestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(async () => gateway?.stop());

const notebook: INotebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  cells: [{ cell_type: 'code', metadata: {}, source: 'import time\ntime.sleep(0.5)\nprint("done")', outputs: [], execution_count: null }]
};

it.each([1e7, 2 ** 31 / 1000 + 1])('a cell_timeout of %d s lets a 0.5 s cell finish', async (cellTimeout) => {
  const run = await executeNotebook(notebook, { gatewayUrl: gateway.url, token: gateway.token, cellTimeout });
  expect([run.status, run.message]).toEqual(['ok', '']);
});
