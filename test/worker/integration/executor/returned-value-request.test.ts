/**
 * The returned value rides on the last cell's execute request (its user expression), which spares
 * one request per task; when the last cell raised (tagged `raises-exception`) or the run ended
 * earlier (`sys.exit()`), it is read with a request of its own, as before. Which request evaluated
 * the expression is read in the kernel: the code of the request being answered.
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

const code = (source: string, tags: string[] = []) => ({ cell_type: 'code', source, metadata: tags.length ? { tags } : {}, outputs: [], execution_count: null });

function notebook(cells: ReturnType<typeof code>[]): INotebook {
  return { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }, cells };
}

/** The code of the execute request in which the expression is evaluated, and job['result']. */
const WHERE = "__import__('json').dumps({'request': get_ipython().kernel.get_parent()['content']['code'], 'result': globals().get('job', {}).get('result')})";

function run(nb: INotebook) {
  return executeNotebook(nb, { gatewayUrl: gateway.url, token: gateway.token, resultExpression: WHERE });
}

it("evaluates the returned value within the last cell's request when that cell ends ok", async () => {
  const last = "job['result'] = job['result'] * 2";
  const result = await run(notebook([code("job = {'result': 21}"), code('# markdown-like comment only\n'), code(last), code('   ')]));
  expect(result.status).toBe('ok');
  expect(result.result).toEqual({ request: last, result: 42 });
  expect(result.notebook.cells.map(c => c.execution_count)).toEqual([1, 2, 3, null]);
});

it('reads it with a request of its own when the last cell raised (raises-exception)', async () => {
  const result = await run(notebook([code("job = {'result': 7}"), code("raise ValueError('tolerated')", ['raises-exception'])]));
  expect(result.status).toBe('ok');
  expect(result.result).toEqual({ request: '', result: 7 });
});

it('reads it with a request of its own when sys.exit() ended the run before the last cell', async () => {
  const result = await run(notebook([code("job = {'result': 'early'}\nimport sys\nsys.exit()"), code("job['result'] = 'never'")]));
  expect(result.status).toBe('ok');
  expect(result.result).toEqual({ request: '', result: 'early' });
});

it("reports an error of the expression evaluated with the last cell as the run's error", async () => {
  const result = await executeNotebook(notebook([code("job = {'result': {1, 2}}")]), { gatewayUrl: gateway.url, token: gateway.token });
  expect(result.status).toBe('error');
  expect(result.message).toContain("job['result'] is a set");
});
