/**
 * The pieces that keep tokens secret, alone: the constant-time token check, the environment a
 * kernel gets, the request log, and name validation against hostile input.
 */
import { Writable } from 'stream';
import fc from 'fast-check';
import Fastify from 'fastify';
import { registerAuth, tokenFromHeader, tokenMatches } from '../../../../worker/src/service/auth';
import { loggerOptions } from '../../../../worker/src/service/logger';
import { kernelSafeEnv } from '../../../../worker/src/stack/gateway';
import { validateName } from '../../../../worker/src/notebooks/task-names';

const TOKEN = 'a3f1c9e07b6d4f2a8c5e1b7d9f0a2c4e6b8d0f1a3c5e7b9d';

describe('tokenMatches', () => {
  it('accepts exactly the token', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    for (const wrong of [null, '', TOKEN.slice(0, -1), TOKEN + 'x', TOKEN.toUpperCase(), ` ${TOKEN}`]) {
      expect(tokenMatches(wrong, TOKEN)).toBe(false);
    }
  });

  it('never matches an empty expected token', () => {
    expect(tokenMatches('', '')).toBe(false);
    expect(tokenMatches(null, '')).toBe(false);
  });

  it('matches exactly when equal, for any presented string (hashed, so lengths never short-circuit)', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 200 })), fc.string({ minLength: 1, maxLength: 64 }), (presented, expected) => {
        expect(tokenMatches(presented, expected)).toBe(presented === expected);
      })
    );
  });

  it('reads `token <t>` and `Bearer <t>` and nothing else', () => {
    expect(tokenFromHeader(`token ${TOKEN}`)).toBe(TOKEN);
    expect(tokenFromHeader(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(tokenFromHeader(TOKEN)).toBeNull();
    expect(tokenFromHeader(`token ${TOKEN} extra`)).toBeNull();
    expect(tokenFromHeader(undefined)).toBeNull();
  });
});

describe('kernelSafeEnv', () => {
  it('drops every nbgrid variable and anything named like a secret; keeps the rest', () => {
    const env = {
      PATH: '/usr/bin', HOME: '/root', LANG: 'C.UTF-8',
      NBGRID_TOKEN: TOKEN, NBGRID_GATEWAY_TOKEN: TOKEN, NBGRID_REDIS_URL: 'redis://x', NBGRID_MONGO_URL: 'mongodb://u:p@x',
      JUPYTER_TOKEN: TOKEN, GITHUB_TOKEN: TOKEN, AWS_SECRET_ACCESS_KEY: TOKEN, PGPASSWORD: TOKEN, my_api_token: TOKEN
    };
    const safe = kernelSafeEnv(env);
    expect(safe).toEqual({ PATH: '/usr/bin', HOME: '/root', LANG: 'C.UTF-8' });
    expect(JSON.stringify(safe)).not.toContain(TOKEN);
  });
});

describe('request logs', () => {
  it('never contain the Authorization header, accepted or rejected', async () => {
    let logged = '';
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged += chunk.toString();
        done();
      }
    });
    const app = Fastify({ logger: { ...loggerOptions({ level: 'trace' }), stream } as never });
    registerAuth(app, TOKEN);
    app.get('/api/x', async () => ({ ok: true }));
    await app.ready();
    expect((await app.inject({ url: '/api/x', headers: { authorization: `token ${TOKEN}` } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/x', headers: { authorization: `token ${TOKEN}x` } })).statusCode).toBe(401);
    await app.close();
    expect(logged).toMatch(/\/api\/x/);
    expect(logged).not.toContain(TOKEN);
  });
});

describe('validateName', () => {
  it('rejects every name with a .. or . segment, a leading /, a backslash or a control character', () => {
    const segment = fc.oneof(fc.constantFrom('..', '.', '', 'a', 'b.c', '...'), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean(), (segments, leading) => {
        const name = (leading ? '/' : '') + segments.join('/');
        let accepted = true;
        try {
          validateName(name);
        } catch {
          accepted = false;
        }
        const hostile =
          // eslint-disable-next-line no-control-regex
          leading || name.length === 0 || name.length > 512 || /[\\\u0000-\u001f\u007f-\u009f]/.test(name) ||
          name.split('/').some((s) => s === '..' || s === '.' || s === '');
        expect(accepted).toBe(!hostile);
      }),
      { numRuns: 2000 }
    );
  });
});
