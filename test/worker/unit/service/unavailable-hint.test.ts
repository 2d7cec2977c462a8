/** 503 answers carry `hint: {code, part, fix}` so programs need not match the message text. */
import { ServiceUnavailableError } from '../../../../worker/src/domain/errors';
import { AUTH, makeApp, type ITestApp } from './helpers';

/** An error shaped like the MongoDB driver's (they are recognised by class name). */
class MongoServerSelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

describe('503 hints', () => {
  let t: ITestApp;
  afterEach(async () => {
    await t?.app.close();
  });

  const answerTo = async (error: unknown): Promise<{ statusCode: number; body: Record<string, unknown> }> => {
    t = makeApp();
    t.jobs.listNotebooks = async () => {
      throw error;
    };
    const res = await t.app.inject({ url: '/api/notebooks', headers: AUTH });
    return { statusCode: res.statusCode, body: res.json() };
  };

  it('names MongoDB when the error says so, or when its cause is a MongoDB driver error', async () => {
    for (const error of [
      new ServiceUnavailableError('MongoDB is unreachable: retry later', { part: 'mongodb' }),
      new ServiceUnavailableError('MongoDB is unreachable (x); retry when it is back', { cause: new MongoServerSelectionError('x') }),
      new MongoServerSelectionError('Server selection timed out after 30000 ms')
    ]) {
      const { statusCode, body } = await answerTo(error);
      expect(statusCode).toBe(503);
      expect(body.hint).toEqual({ code: 'mongo_unavailable', part: 'mongodb', fix: expect.stringContaining('NBGRID_MONGO_URL') });
      await t.app.close();
    }
  });

  it('names Redis for a failing event subscription', async () => {
    t = makeApp({
      subscribeEvents: () => {
        throw new Error('redis down');
      }
    });
    const res = await t.app.inject({ url: '/api/events', headers: AUTH });
    expect(res.statusCode).toBe(503);
    expect(res.json().hint).toEqual({ code: 'redis_unavailable', part: 'redis', fix: expect.stringContaining('NBGRID_REDIS_URL') });
  });

  it('says it does not know which part when nothing tells', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
    for (const error of [refused, new ServiceUnavailableError('down')]) {
      const { statusCode, body } = await answerTo(error);
      expect(statusCode).toBe(503);
      expect(body.hint).toEqual({ code: 'storage_unavailable', part: 'mongodb_or_redis', fix: expect.stringContaining('/api/health') });
      await t.app.close();
    }
  });

  it('gives no hint to other errors', async () => {
    const { InvalidInputError } = await import('../../../../worker/src/domain/errors');
    const { statusCode, body } = await answerTo(new InvalidInputError('bad'));
    expect(statusCode).toBe(400);
    expect(body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'bad' });
  });

  it('documents the hint in the error schema of the OpenAPI document', async () => {
    t = makeApp();
    const doc = (await t.app.inject({ url: '/api/openapi.json', headers: AUTH })).json();
    const schema = doc.paths['/api/notebooks'].get.responses['503'].content['application/json'].schema;
    expect(Object.keys(schema.properties.hint.properties).sort()).toEqual(['code', 'fix', 'part']);
    expect(schema.required).not.toContain('hint');
  });
});
