/**
 * A gateway that goes away while a cell runs: the run ends as gateway-unreachable instead of
 * waiting forever. Its own gateway, since this test stops it.
 */
import { executeNotebook } from '../../../../worker/src/executor';
import { loadFixture } from './fixtures';
import { startTestGateway, type ITestGateway } from './gateway';

jest.setTimeout(120000);

let gateway: ITestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});

afterAll(async () => {
  await gateway?.stop();
});

it('reports a gateway that stops during a cell as gateway-unreachable', async () => {
  let stopping: Promise<void> | undefined;
  const began = Date.now();
  const result = await executeNotebook(loadFixture('timeout'), {
    gatewayUrl: gateway.url,
    token: gateway.token,
    onCell: index => {
      if (index === 1) {
        stopping = new Promise(resolve => setTimeout(resolve, 500)).then(() => gateway.stop());
      }
    }
  });
  await stopping;
  expect(Date.now() - began).toBeLessThan(25000);
  expect(result.status).toBe('error');
  expect(result.error).toMatchObject({ kind: 'gateway-unreachable', cellIndex: 1 });
  expect(result.message).toContain(gateway.url);
});
