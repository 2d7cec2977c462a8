/**
 * @jest-environment node
 */
// The client needs only fetch, Request and Response, which Node has and jsdom lacks.
import { ServerConnection } from '@jupyterlab/services';
import { NbgridClient, errorFromResponse } from '../../src/api-client';
import { NbgridError } from '../../src/errors';

interface ICall {
  url: string;
  method: string;
  body: string | null;
  contentType: string | null;
}

/** A client whose fetch records requests and answers from a queue. */
function clientAnswering(...answers: (Response | Error)[]): { client: NbgridClient; calls: ICall[] } {
  const calls: ICall[] = [];
  const fetch = jest.fn(async (input: RequestInfo, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input as string, init);
    const body = await request.text();
    calls.push({
      // Exactly as sent: the service rejects unknown query fields such as a cache-busting number.
      url: request.url,
      method: request.method,
      body: body || null,
      contentType: request.headers.get('Content-Type')
    });
    const answer = answers.shift();
    if (!answer) {
      throw new Error('no answer queued');
    }
    if (answer instanceof Error) {
      throw answer;
    }
    return answer;
  });
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/lab-base/',
    token: 'jt',
    fetch: fetch as unknown as typeof window.fetch,
    Request: Request,
    Headers: Headers
  });
  return { client: new NbgridClient(settings), calls };
}

function json(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

describe('NbgridClient', () => {
  it('maps a job with its name percent-encoded as one segment and a JSON body', async () => {
    const result = { task_group: 'g', job: 'reports/monthly', count: 4, require: 'gpu', tasks: [], warnings: [] };
    const { client, calls } = clientAnswering(json(201, result));
    await expect(
      client.map('reports/monthly', { range: { start: 0, stop: 4, step: 1 }, require: 'gpu' })
    ).resolves.toEqual(result);
    expect(calls[0].method).toBe('POST');
    expect(calls[0].url).toBe('http://localhost:8888/lab-base/nbgrid/api/jobs/reports%2Fmonthly/map');
    expect(JSON.parse(calls[0].body as string)).toEqual({ range: { start: 0, stop: 4, step: 1 }, require: 'gpu' });
    expect(calls[0].contentType).toBe('application/json');
  });

  it('keeps / literal in notebook names and wraps content for PUT', async () => {
    const { client, calls } = clientAnswering(json(200, { name: 'reports/monthly' }), json(200, { content: {} }));
    await client.putNotebook('reports/monthly', { cells: [] });
    await client.getNotebook('results/tasks/main/g-1.ipynb_2026-11-21T04:00:00.000Z.ipynb');
    expect(calls[0].method).toBe('PUT');
    expect(calls[0].url).toBe('http://localhost:8888/lab-base/nbgrid/api/notebooks/reports/monthly');
    expect(JSON.parse(calls[0].body as string)).toEqual({ content: { cells: [] } });
    expect(calls[1].url).toBe(
      'http://localhost:8888/lab-base/nbgrid/api/notebooks/results/tasks/main/g-1.ipynb_2026-11-21T04%3A00%3A00.000Z.ipynb'
    );
  });

  it('unwraps list answers and passes the task group', async () => {
    const { client, calls } = clientAnswering(
      json(200, { rows: [{ name: 'a' }] }),
      json(200, { groups: [{ task_group: 'g' }] }),
      json(200, { workers: [{ hostname: 'w', labels: ['gpu'] }] }),
      json(200, { rows: [] })
    );
    expect(await client.status('main', '*')).toEqual([{ name: 'a' }]);
    expect(await client.groups('main')).toEqual([{ task_group: 'g' }]);
    expect(await client.workers()).toEqual([{ hostname: 'w', labels: ['gpu'] }]);
    await client.status('main');
    expect(calls.map(c => c.url)).toEqual([
      'http://localhost:8888/lab-base/nbgrid/api/jobs/main/status?task_group=*',
      'http://localhost:8888/lab-base/nbgrid/api/jobs/main/groups',
      'http://localhost:8888/lab-base/nbgrid/api/workers',
      'http://localhost:8888/lab-base/nbgrid/api/jobs/main/status'
    ]);
  });

  it('sends restart and cancel options', async () => {
    const { client, calls } = clientAnswering(
      json(200, { task_group: 'g', restarted: [] }),
      json(200, { task_group: 'g', revoked: 3 })
    );
    await client.restart('main', { task_group: 'g', reset: true });
    expect((await client.cancel('main', { task_group: 'g' })).revoked).toBe(3);
    expect(calls.map(c => [c.method, c.url.replace(/.*nbgrid\/api/, ''), JSON.parse(c.body as string)])).toEqual([
      ['POST', '/jobs/main/restart', { task_group: 'g', reset: true }],
      ['POST', '/jobs/main/cancel', { task_group: 'g' }]
    ]);
  });

  it('turns a 503 of the server extension into an unreachable error with its message', async () => {
    const message = 'nbgrid service is not reachable at http://127.0.0.1:9: start it with `make demo` or `nbgrid up`';
    const { client } = clientAnswering(json(503, { message }));
    const error = await client.workers().catch(e => e);
    expect(error).toBeInstanceOf(NbgridError);
    expect(error).toMatchObject({ status: 503, unreachable: true, message });
  });

  it('keeps the hint of a 503 so the UI can branch on its code', async () => {
    const hint = { code: 'mongo_unavailable', part: 'mongodb', fix: 'start MongoDB again and retry' };
    const { client } = clientAnswering(json(503, { statusCode: 503, message: 'MongoDB is unreachable (x)', hint }));
    const error = await client.workers().catch(e => e);
    expect(error).toMatchObject({ status: 503, unreachable: true, message: 'MongoDB is unreachable (x)', hint });
    expect(error.title).toBe('nbgrid cannot reach MongoDB');
    const unreachable = errorFromResponse(503, { message: 'm', hint: { code: 'service_unreachable', part: 'service', fix: 'f' } });
    expect(unreachable.title).toBe('The nbgrid service is not running');
    expect(errorFromResponse(503, { hint: { code: 'redis_unavailable', part: 'redis', fix: 'start Redis' } })).toMatchObject({
      message: 'start Redis',
      title: 'nbgrid cannot reach Redis'
    });
    expect(errorFromResponse(503, { message: 'm', hint: 'not an object' }).hint).toBeUndefined();
    expect(errorFromResponse(503, { message: 'm' }).title).toBe('The nbgrid service is not running');
  });

  it('keeps the service message of a 4xx and marks it reachable', async () => {
    const { client } = clientAnswering(json(400, { statusCode: 400, message: 'params must not be empty' }));
    await expect(client.map('main', { params: [] })).rejects.toMatchObject({
      status: 400,
      unreachable: false,
      message: 'params must not be empty'
    });
  });

  it('says how to enable the server extension when its routes are missing', () => {
    const error = errorFromResponse(404, '<html><body>404 : Not Found</body></html>');
    expect(error.unreachable).toBe(true);
    expect(error.message).toMatch(/jupyter server extension enable nbgrid.server/);
  });

  it('reports a network failure as unreachable', async () => {
    const { client } = clientAnswering(new TypeError('Failed to fetch'));
    await expect(client.groups('main')).rejects.toMatchObject({ status: 0, unreachable: true });
  });

  it('builds the event stream URL with the job and Jupyter token', () => {
    const { client } = clientAnswering();
    expect(client.eventsUrl('reports/monthly')).toBe(
      'http://localhost:8888/lab-base/nbgrid/api/events?job=reports%2Fmonthly&token=jt'
    );
  });

  it('asks the server extension for its config', async () => {
    const { client, calls } = clientAnswering(json(200, { api_reachable: false, api_url: null }));
    await expect(client.config()).resolves.toEqual({ api_reachable: false, api_url: null });
    expect(calls[0].url).toBe('http://localhost:8888/lab-base/nbgrid/config');
  });
});
