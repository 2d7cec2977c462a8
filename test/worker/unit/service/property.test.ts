import fc from 'fast-check';
import { nameProblem } from '../../../../worker/src/schemas/name';
import { AUTH, makeApp, notebook, type ITestApp } from './helpers';

/** Strings with many of the characters the name rules care about. */
const nameLike = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.array(fc.constantFrom('a', 'b', '/', '.', '..', '\\', '\n', '\u0000', '\u007f', '\u0085', '\u009f', '\u2028', ' ', 'é', '%', '?', '#', '😀'), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 30 })
);

describe('random input', () => {
  let t: ITestApp;
  beforeAll(async () => {
    t = makeApp();
    await t.app.inject({ method: 'PUT', url: '/api/notebooks/main', headers: AUTH, payload: { content: notebook() } });
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('never answers 5xx for random names, and accepts exactly the names the helper accepts', async () => {
    await fc.assert(
      fc.asyncProperty(nameLike, async (name) => {
        const before = t.jobs.snapshot();
        const encoded = encodeURIComponent(name);
        const res = await t.app.inject({ method: 'PUT', url: `/api/notebooks/${encoded}`, headers: AUTH, payload: { content: notebook() } });
        expect(res.statusCode).toBeLessThan(500);
        if (name === '.' || name === '..') {
          // Every URL parser (light-my-request's, curl's, browsers') resolves these segments away.
          expect([400, 404]).toContain(res.statusCode);
        } else if (nameProblem(name) === null) {
          expect(res.statusCode).toBe(200);
          expect(res.json().name).toBe(name);
          t.jobs.notebooks.delete(name);
        } else {
          expect(res.statusCode).toBe(400);
          expect(res.json().message).toBe(nameProblem(name, 'notebook name'));
        }
        expect(t.jobs.snapshot()).toBe(before);

        const job = await t.app.inject({ url: `/api/jobs/${encoded}/status`, headers: AUTH });
        expect(job.statusCode).toBeLessThan(500);
        expect([400, 404]).toContain(job.statusCode);
      }),
      { numRuns: 300 }
    );
  });

  it('never answers 5xx for random map bodies, and rejected ones change nothing', async () => {
    const body = fc.oneof(
      fc.json(),
      fc.record(
        {
          params: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.jsonValue()),
          range: fc.oneof(
            fc.record({ start: fc.integer(), stop: fc.integer(), step: fc.integer({ min: -5, max: 5 }) }, { requiredKeys: ['stop'] }),
            fc.jsonValue()
          ),
          require: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/), fc.string()),
          cell_timeout: fc.oneof(fc.double(), fc.jsonValue())
        },
        { requiredKeys: [] }
      ).map((o) => JSON.stringify(o))
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const before = t.jobs.snapshot();
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/jobs/main/map',
          headers: { ...AUTH, 'content-type': 'application/json' },
          payload
        });
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode !== 201) {
          expect(res.statusCode).toBe(400);
          expect(typeof res.json().message).toBe('string');
          expect(res.json().message.length).toBeGreaterThan(10);
          expect(t.jobs.snapshot()).toBe(before);
        }
      }),
      { numRuns: 300 }
    );
  });
});
