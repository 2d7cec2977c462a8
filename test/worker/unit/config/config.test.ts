/**
 * The environment schema: defaults, conversion, and errors that name the variable and what it
 * accepts; and the README's environment table lists exactly the schema's variables.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, EnvSchema, configEnv, explicitEnv, loadConfig, readEnv } from '../../../../worker/src/config';

/** The error `loadConfig(env)` throws (fails the test when it does not throw). */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('gives every variable its default when the environment is empty', () => {
    expect(loadConfig({})).toEqual({
      redisUrl: 'redis://127.0.0.1:6379/0',
      mongoUrl: 'mongodb://127.0.0.1:27017/',
      database: 'nbgrid',
      token: '',
      gatewayUrl: 'http://127.0.0.1:8888',
      gatewayToken: '',
      host: '127.0.0.1',
      port: 8765,
      corsOrigins: [],
      logLevel: 'info',
      visibilityTimeout: 3600,
      shutdownGrace: 30,
      kernelPool: undefined,
      prefetch: 1,
      kernelReuse: 'off',
      kernelLaunch: 'fork',
      preload: [],
      maxOutputBytes: 20 * 1024 * 1024,
      maxNotebookOutputBytes: 50 * 1024 * 1024,
      runHistory: 20,
      reconcileInterval: 60
    });
  });

  it('reads and converts every variable', () => {
    const config = loadConfig({
      NBGRID_REDIS_URL: 'rediss://redis.example:6380/2',
      NBGRID_MONGO_URL: 'mongodb+srv://db.example/',
      NBGRID_DB: 'nbgrid_prod',
      NBGRID_TOKEN: 'tok',
      NBGRID_GATEWAY_URL: 'https://gw.example:8888',
      NBGRID_GATEWAY_TOKEN: 'gw',
      NBGRID_HOST: '0.0.0.0',
      NBGRID_PORT: '9000',
      NBGRID_CORS_ORIGINS: ' http://a.example , http://b.example,',
      NBGRID_LOG_LEVEL: 'warn',
      NBGRID_VISIBILITY_TIMEOUT: '2.5',
      NBGRID_SHUTDOWN_GRACE: '12',
      NBGRID_KERNEL_POOL: '0',
      NBGRID_PREFETCH: '3',
      NBGRID_KERNEL_REUSE: 'opt-in',
      NBGRID_KERNEL_LAUNCH: 'spawn',
      NBGRID_PRELOAD: ' numpy, pandas ,matplotlib.pyplot',
      NBGRID_MAX_OUTPUT_BYTES: '1000',
      NBGRID_MAX_NOTEBOOK_OUTPUT_BYTES: '5000',
      NBGRID_RUN_HISTORY: '5',
      NBGRID_RECONCILE_INTERVAL: '0.5'
    });
    expect(config).toEqual({
      redisUrl: 'rediss://redis.example:6380/2',
      mongoUrl: 'mongodb+srv://db.example/',
      database: 'nbgrid_prod',
      token: 'tok',
      gatewayUrl: 'https://gw.example:8888',
      gatewayToken: 'gw',
      host: '0.0.0.0',
      port: 9000,
      corsOrigins: ['http://a.example', 'http://b.example'],
      logLevel: 'warn',
      visibilityTimeout: 2.5,
      shutdownGrace: 12,
      kernelPool: 0,
      prefetch: 3,
      kernelReuse: 'opt-in',
      kernelLaunch: 'spawn',
      preload: ['numpy', 'pandas', 'matplotlib.pyplot'],
      maxOutputBytes: 1000,
      maxNotebookOutputBytes: 5000,
      runHistory: 5,
      reconcileInterval: 0.5
    });
  });

  it('treats an empty variable as unset and ignores NBGRID_ names it does not know', () => {
    const config = loadConfig({ NBGRID_PORT: '', NBGRID_KERNEL_POOL: '', NBGRID_TEST_REDIS: 'anything', NBGRID_FAULTS_REPORT: '/tmp/x' });
    expect(config.port).toBe(8765);
    expect(config.kernelPool).toBeUndefined();
  });

  it('refuses NBGRID_PORT=abc at start, naming the variable, its value and what is allowed', () => {
    const err = configError({ NBGRID_PORT: 'abc' });
    expect(err.problems).toEqual([
      'NBGRID_PORT="abc" is not allowed: it must be an integer from 0 to 65535. NBGRID_PORT is the port `serve` listens on (0: a free one).'
    ]);
    expect(err.message).toMatch(/^invalid environment:\n {2}NBGRID_PORT="abc"/);
  });

  it.each([
    ['NBGRID_PORT', '8.5', /an integer from 0 to 65535/],
    ['NBGRID_PORT', '0x10', /an integer from 0 to 65535/],
    ['NBGRID_PORT', '70000', /an integer from 0 to 65535/],
    ['NBGRID_KERNEL_POOL', '-1', /an integer of 0 or more/],
    ['NBGRID_PREFETCH', 'two', /an integer of 0 or more/],
    ['NBGRID_VISIBILITY_TIMEOUT', '0', /a number greater than 0/],
    ['NBGRID_KERNEL_REUSE', 'yes', /one of off, opt-in, all/],
    ['NBGRID_KERNEL_LAUNCH', 'exec', /one of spawn, fork/],
    ['NBGRID_LOG_LEVEL', 'loud', /one of fatal, error, warn, info, debug, trace, silent/],
    ['NBGRID_REDIS_URL', 'localhost:6379', /a redis:\/\/ or rediss:\/\/ URL/],
    ['NBGRID_MONGO_URL', 'http://db', /a mongodb:\/\/ or mongodb\+srv:\/\/ URL/],
    ['NBGRID_GATEWAY_URL', '127.0.0.1:8888', /an? http:\/\/ or https:\/\/ URL/],
    ['NBGRID_URL', 'localhost:8765', /an? http:\/\/ or https:\/\/ URL/],
    ['NBGRID_DB', 'a.b', /a MongoDB database name/]
  ])('refuses %s=%s', (name, value, allowed) => {
    const [problem, ...others] = configError({ [name]: value }).problems;
    expect(others).toEqual([]);
    expect(problem.startsWith(`${name}=${JSON.stringify(value)} is not allowed: it must be `)).toBe(true);
    expect(problem).toMatch(allowed);
  });

  it('lists every variable that does not fit, one line each', () => {
    const err = configError({ NBGRID_PORT: 'abc', NBGRID_PREFETCH: '-2', NBGRID_REDIS_URL: 'redis://ok' });
    expect(err.problems.map((p) => p.split('=')[0])).toEqual(['NBGRID_PORT', 'NBGRID_PREFETCH']);
  });
});

describe('explicitEnv and readEnv', () => {
  it('explicitEnv returns only what is set, so `up` can tell a given NBGRID_MONGO_URL from the default', () => {
    expect(explicitEnv({})).toEqual({});
    expect(explicitEnv({ NBGRID_MONGO_URL: 'mongodb://db:27017/', NBGRID_PORT: '1' })).toEqual({ NBGRID_MONGO_URL: 'mongodb://db:27017/', NBGRID_PORT: 1 });
    expect(readEnv({}).NBGRID_MONGO_URL).toBe('mongodb://127.0.0.1:27017/');
  });

  it('explicitEnv checks too', () => {
    expect(() => explicitEnv({ NBGRID_MONGO_URL: 'db:27017' })).toThrow(ConfigError);
  });
});

describe('configEnv', () => {
  it('hands a config to a child process in a form loadConfig reads back', () => {
    const config = loadConfig({ NBGRID_REDIS_URL: 'redis://r:1/0', NBGRID_PORT: '4321', NBGRID_VISIBILITY_TIMEOUT: '5', NBGRID_TOKEN: 't' });
    const back = loadConfig(configEnv(config));
    expect(back.redisUrl).toBe('redis://r:1/0');
    expect(back.port).toBe(4321);
    expect(back.visibilityTimeout).toBe(5);
    expect(back.token).toBe('t');
  });
});

describe("the README's environment table", () => {
  const readme = fs.readFileSync(path.join(__dirname, '../../../../README.md'), 'utf8');
  const header = '| variable | default | meaning | read by |';
  const rows = readme
    .slice(readme.indexOf(header))
    .split('\n')
    .slice(2)
    .filter((line, i, all) => line.startsWith('|') && all.slice(0, i).every((l) => l.startsWith('|')))
    .map((line) => line.split('|').map((cell) => cell.trim()));
  const properties = EnvSchema.properties as Record<string, { default?: unknown; readBy: string }>;

  it('exists', () => {
    expect(readme.includes(header)).toBe(true);
  });

  it('lists exactly the variables of the schema', () => {
    const listed = rows.map((cells) => cells[1].replace(/`/g, ''));
    expect([...listed].sort()).toEqual(Object.keys(properties).sort());
  });

  it('states each non-empty default and who reads each variable', () => {
    for (const cells of rows) {
      const name = cells[1].replace(/`/g, '');
      const schema = properties[name];
      if (schema.default !== undefined && schema.default !== '') expect([name, cells[2]]).toEqual([name, `\`${String(schema.default)}\``]);
      expect([name, cells[4]]).not.toEqual([name, '']);
    }
  });
});
