/**
 * Every environment variable nbgrid's Node side reads, in one schema, checked at start: a value
 * that does not fit is an error naming the variable and what it accepts (`NBGRID_PORT=abc` does
 * not become NaN). `nbgrid up` sets these for the processes it starts; in production they point at
 * real MongoDB/Redis. Only configuration differs between a laptop and a cluster.
 *
 * The schema is the single list: the README's environment table is checked against it by a test.
 * An empty variable counts as unset (as `VAR= nbgrid serve` means in a shell). Other `NBGRID_*`
 * names (the tests' own, e.g. `NBGRID_TEST_REDIS`) are ignored.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Extra keywords of each variable's schema, for error messages and the README table. */
interface IVariableDoc {
  /** What the variable means. */
  description: string;
  /** The processes or commands that read it. */
  readBy: string;
  /** What a valid value looks like, when the type alone does not say it. */
  allowed?: string;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const url = (schemes: string[], doc: IVariableDoc & { default?: string }) =>
  Type.String({ pattern: `^(${schemes.map(escape).join('|')})://`, allowed: `a ${schemes.map(s => `${s}://`).join(' or ')} URL`, ...doc });
// Unsafe only types the union as T; the schema (and its kind) stay the union's.
const oneOf = <T extends string>(values: readonly T[], doc: IVariableDoc & { default: NoInfer<T> }) =>
  Type.Unsafe<T>(Type.Union(values.map(v => Type.Literal(v)), doc));
const count = (doc: IVariableDoc & { default?: number }) => Type.Integer({ minimum: 0, ...doc });

/** Log levels of the API service's logger (pino). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** How the Kernel Gateway that `nbgrid up` starts launches python3 kernels. */
export const KERNEL_LAUNCH_MODES = ['spawn', 'fork'] as const;
/** When a worker gives a kernel back to its pool after a task instead of a fresh one. */
export const KERNEL_REUSE_MODES = ['off', 'opt-in', 'all'] as const;

/** The environment nbgrid reads; `default` is what an unset variable means. */
export const EnvSchema = Type.Object({
  NBGRID_REDIS_URL: url(['redis', 'rediss'], {
    description: 'the Redis used as Celery broker and result backend',
    readBy: 'serve, worker',
    default: 'redis://127.0.0.1:6379/0'
  }),
  NBGRID_MONGO_URL: url(['mongodb', 'mongodb+srv'], {
    description: 'the MongoDB (or FerretDB) of record; when set, `nbgrid up` starts no FerretDB and uses it',
    readBy: 'serve, worker, up',
    default: 'mongodb://127.0.0.1:27017/'
  }),
  NBGRID_DB: Type.String({
    pattern: '^[^/\\\\. "$*<>:|?]{1,63}$',
    allowed: 'a MongoDB database name (1 to 63 characters, none of /\\. "$*<>:|?)',
    description: 'the database name',
    readBy: 'serve, worker',
    default: 'nbgrid'
  }),
  NBGRID_TOKEN: Type.String({
    description: 'the API token: `serve` requires it; the CLI sends it with NBGRID_URL',
    readBy: 'serve, CLI, Python client',
    default: ''
  }),
  NBGRID_GATEWAY_URL: url(['http', 'https'], {
    description: "this node's Jupyter Kernel Gateway",
    readBy: 'worker',
    default: 'http://127.0.0.1:8888'
  }),
  NBGRID_GATEWAY_TOKEN: Type.String({ description: "the Kernel Gateway's auth token", readBy: 'worker', default: '' }),
  NBGRID_HOST: Type.String({ minLength: 1, description: 'the interface `serve` binds', readBy: 'serve', default: '127.0.0.1' }),
  NBGRID_PORT: Type.Integer({ minimum: 0, maximum: 65535, description: 'the port `serve` listens on (0: a free one)', readBy: 'serve', default: 8765 }),
  NBGRID_CORS_ORIGINS: Type.String({
    allowed: 'comma-separated origins, e.g. http://localhost:8888',
    description: 'the browser origins the API allows through CORS',
    readBy: 'serve',
    default: ''
  }),
  NBGRID_LOG_LEVEL: oneOf(LOG_LEVELS, { description: "the API service's log level", readBy: 'serve', default: 'info' }),
  NBGRID_VISIBILITY_TIMEOUT: Type.Number({
    exclusiveMinimum: 0,
    description: 'the seconds before a task whose worker died (unacked) is delivered again',
    readBy: 'worker',
    default: 3600
  }),
  NBGRID_SHUTDOWN_GRACE: Type.Number({
    exclusiveMinimum: 0,
    maximum: 86400,
    description: 'the seconds a worker stopped by SIGTERM or SIGINT takes at most: running tasks drain, then the rest is given back and the process exits',
    readBy: 'worker',
    default: 30
  }),
  NBGRID_KERNEL_POOL: Type.Optional(count({
    description: 'the number of kernels a worker starts ahead of need (0: one per task, no pool); `--pool-size` wins; unset: concurrency + 3',
    readBy: 'worker'
  })),
  NBGRID_PREFETCH: count({ description: 'the number of messages a worker takes ahead of a free slot; `--prefetch` wins', readBy: 'worker', default: 1 }),
  NBGRID_KERNEL_REUSE: oneOf(KERNEL_REUSE_MODES, {
    description: 'whether a worker reuses a kernel after a namespace reset (`opt-in`: notebooks that ask for it); `--kernel-reuse` wins',
    readBy: 'worker',
    default: 'off'
  }),
  NBGRID_MAX_OUTPUT_BYTES: Type.Integer({
    minimum: 1,
    description: 'the largest output a worker keeps in a result notebook (a longer stream is cut, a larger display left out, with a note in the cell)',
    readBy: 'worker',
    default: 20 * 1024 * 1024
  }),
  NBGRID_MAX_NOTEBOOK_OUTPUT_BYTES: Type.Integer({
    minimum: 1,
    description: 'the most output bytes a worker keeps in one result notebook; later outputs are left out, with a note in the cell',
    readBy: 'worker',
    default: 50 * 1024 * 1024
  }),
  NBGRID_KERNEL_LAUNCH: oneOf(KERNEL_LAUNCH_MODES, {
    description: 'how the gateway `up` starts launches python3 kernels (`fork`: from a kernel fork server, falling back to `spawn` where it cannot start); `--kernel-launch` wins',
    readBy: 'up',
    default: 'fork'
  }),
  NBGRID_PRELOAD: Type.String({
    pattern: '^[A-Za-z0-9_.,\\s]*$',
    allowed: 'comma-separated Python module names, e.g. numpy,pandas',
    description: 'modules the kernel fork server imports before it forks kernels (fork mode); `--preload` wins',
    readBy: 'up',
    default: ''
  }),
  NBGRID_RUN_HISTORY: Type.Integer({
    minimum: 1,
    description: 'the runs kept in a task\'s history besides its first (`runs_total` counts every run)',
    readBy: 'serve, worker',
    default: 20
  }),
  NBGRID_RECONCILE_INTERVAL: Type.Number({
    exclusiveMinimum: 0,
    description: 'the seconds between two looks of the API service for queued or running tasks whose message or worker is gone',
    readBy: 'serve',
    default: 60
  }),
  // NBGRID_HOME, NBGRID_URL and NBGRID_TOKEN are read one by one (`envVar`) by the service
  // discovery in stack/, so that a client is not stopped by a bad variable it does not use. The
  // Python client (nbgrid/client/config.py) applies the same rule to the same variables.
  NBGRID_HOME: Type.Optional(Type.String({
    minLength: 1,
    description: 'the directory of `stack.json` and the run directory of `up`; unset: `~/.nbgrid` (see README "Finding the service")',
    readBy: 'up, down, CLI, Python client'
  })),
  NBGRID_URL: Type.Optional(url(['http', 'https'], {
    description: 'the API service the CLI and the Python client talk to, instead of the one in stack.json',
    readBy: 'CLI, Python client, server extension'
  })),
  NBGRID_RETENTION_DAYS: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'the days a finished task group is kept: the API service deletes older ones (and the blobs nothing references any more) every hour; unset keeps them',
    readBy: 'serve'
  })),
  NBGRID_LAB_ORIGIN: Type.Optional(Type.String({
    description: "the id of the JupyterLab a kernel was started from: the server extension sets it for its kernels, the Python client sends it as a map's origin (not a credential)",
    readBy: 'Python client'
  }))
});

/** The environment once checked, defaults applied (variables without a default may be absent). */
export type NbgridEnv = Static<typeof EnvSchema>;
/** Names of the variables nbgrid reads. */
export type NbgridVariable = keyof NbgridEnv & string;

/**
 * The environment (or options) are not what nbgrid accepts; the message names each variable and
 * what it must be, so the CLI prints it as is.
 */
export class ConfigError extends Error {
  /**
   * @param problems one line per variable or option that does not fit
   * @param source what was read @defaultValue 'environment'
   */
  constructor(
    readonly problems: string[],
    source = 'environment'
  ) {
    super(`invalid ${source}:\n${problems.map(p => `  ${p}`).join('\n')}`);
    this.name = this.constructor.name;
  }
}

/** What a schema accepts, in words. */
function allowedText(schema: TSchema): string {
  if (typeof schema.allowed === 'string') return schema.allowed;
  if (Array.isArray(schema.anyOf)) return `one of ${(schema.anyOf as TSchema[]).map(s => String(s.const)).join(', ')}`;
  const kind = schema.type === 'integer' ? 'an integer' : schema.type === 'number' ? 'a number' : 'text';
  if (schema.minimum !== undefined && schema.maximum !== undefined) return `${kind} from ${schema.minimum} to ${schema.maximum}`;
  if (schema.minimum !== undefined) return `${kind} of ${schema.minimum} or more`;
  if (schema.exclusiveMinimum !== undefined) return `${kind} greater than ${schema.exclusiveMinimum}`;
  if (schema.minLength) return 'a non-empty value';
  return kind;
}

const PartialEnvSchema = Type.Partial(EnvSchema);

/** Plain decimal numbers only: TypeBox's own conversion would read `8.5` as port 8 and `0x10` as 16. */
const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

/** Numbers for the numeric variables; anything else stays text, for the check to refuse. */
function convert(picked: Record<string, string>): Record<string, string | number> {
  const properties = EnvSchema.properties as Record<string, TSchema>;
  const out: Record<string, string | number> = {};
  for (const [name, text] of Object.entries(picked)) {
    const numeric = properties[name].type === 'integer' || properties[name].type === 'number';
    out[name] = numeric && DECIMAL.test(text.trim()) ? Number(text) : text;
  }
  return out;
}

/**
 * The variables that are set (not empty), converted to their types and checked; no defaults.
 * `up` uses it to tell an explicit NBGRID_MONGO_URL from the default.
 * @throws ConfigError naming every variable that does not fit
 */
export function explicitEnv(env: NodeJS.ProcessEnv = process.env): Partial<NbgridEnv> {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(EnvSchema.properties)) {
    const value = env[name];
    if (value !== undefined && value !== '') picked[name] = value;
  }
  const converted = convert(picked);
  const bad = new Set<string>();
  for (const error of Value.Errors(PartialEnvSchema, converted)) bad.add(error.path.replace(/^\//, ''));
  if (bad.size > 0) {
    const properties = EnvSchema.properties as Record<string, TSchema>;
    throw new ConfigError(
      [...bad].map(name => `${name}=${JSON.stringify(picked[name])} is not allowed: it must be ${allowedText(properties[name])}. ${name} is ${properties[name].description}.`)
    );
  }
  return converted as Partial<NbgridEnv>;
}

/**
 * One variable, converted and checked, or `undefined` when it is not set: for code that reads a
 * single variable (the clients' service discovery), so an unrelated bad variable does not stop it.
 * @throws ConfigError when the variable does not fit
 */
export function envVar<K extends keyof NbgridEnv>(name: K, env: NodeJS.ProcessEnv = process.env): NbgridEnv[K] | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : explicitEnv({ [name]: value })[name];
}

/** The whole environment, checked, with defaults. @throws ConfigError */
export function readEnv(env: NodeJS.ProcessEnv = process.env): NbgridEnv {
  return Value.Default(EnvSchema, explicitEnv(env)) as NbgridEnv;
}

/** Configuration of the service and workers, from the environment ({@link EnvSchema} documents each). */
export interface INbgridConfig {
  /** `NBGRID_REDIS_URL` */
  redisUrl: string;
  /** `NBGRID_MONGO_URL` */
  mongoUrl: string;
  /** `NBGRID_DB` */
  database: string;
  /** `NBGRID_TOKEN`: the API token (required by `serve`). */
  token: string;
  /** `NBGRID_GATEWAY_URL`: the Kernel Gateway of this node (workers). */
  gatewayUrl: string;
  /** `NBGRID_GATEWAY_TOKEN` */
  gatewayToken: string;
  /** `NBGRID_HOST` */
  host: string;
  /** `NBGRID_PORT` */
  port: number;
  /** `NBGRID_CORS_ORIGINS`, split at commas. */
  corsOrigins: string[];
  /** `NBGRID_LOG_LEVEL` */
  logLevel: (typeof LOG_LEVELS)[number];
  /** `NBGRID_VISIBILITY_TIMEOUT` seconds before an unacked task is redelivered. */
  visibilityTimeout: number;
  /** `NBGRID_SHUTDOWN_GRACE` seconds a stopping worker takes at most. */
  shutdownGrace: number;
  /** `NBGRID_KERNEL_POOL`; undefined: the worker's concurrency + 3. */
  kernelPool: number | undefined;
  /** `NBGRID_PREFETCH` */
  prefetch: number;
  /** `NBGRID_KERNEL_REUSE` */
  kernelReuse: (typeof KERNEL_REUSE_MODES)[number];
  /** `NBGRID_KERNEL_LAUNCH`: how the Kernel Gateway that `nbgrid up` starts launches python3 kernels. */
  kernelLaunch: (typeof KERNEL_LAUNCH_MODES)[number];
  /** `NBGRID_PRELOAD`: modules the kernel fork server imports once (`nbgrid up --preload`). */
  preload: string[];
  /** `NBGRID_MAX_OUTPUT_BYTES`: the largest output kept in a result notebook. */
  maxOutputBytes: number;
  /** `NBGRID_MAX_NOTEBOOK_OUTPUT_BYTES`: the most output bytes kept in one result notebook. */
  maxNotebookOutputBytes: number;
  /** `NBGRID_RUN_HISTORY`: runs kept per task besides the first. */
  runHistory: number;
  /** `NBGRID_RECONCILE_INTERVAL` seconds between the reconciler's passes. */
  reconcileInterval: number;
  /** `NBGRID_RETENTION_DAYS`: days a finished group is kept; undefined keeps groups. */
  retentionDays?: number;
}

/** `numpy, pandas` → `['numpy', 'pandas']` (`NBGRID_PRELOAD`, `nbgrid up --preload`). */
export function parseModuleList(text: string | undefined): string[] {
  return (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** @throws ConfigError when a variable does not fit the schema */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): INbgridConfig {
  const e = readEnv(env);
  return {
    redisUrl: e.NBGRID_REDIS_URL,
    mongoUrl: e.NBGRID_MONGO_URL,
    database: e.NBGRID_DB,
    token: e.NBGRID_TOKEN,
    gatewayUrl: e.NBGRID_GATEWAY_URL,
    gatewayToken: e.NBGRID_GATEWAY_TOKEN,
    host: e.NBGRID_HOST,
    port: e.NBGRID_PORT,
    corsOrigins: e.NBGRID_CORS_ORIGINS.split(',').map(s => s.trim()).filter(Boolean),
    logLevel: e.NBGRID_LOG_LEVEL,
    visibilityTimeout: e.NBGRID_VISIBILITY_TIMEOUT,
    shutdownGrace: e.NBGRID_SHUTDOWN_GRACE,
    kernelPool: e.NBGRID_KERNEL_POOL,
    prefetch: e.NBGRID_PREFETCH,
    kernelReuse: e.NBGRID_KERNEL_REUSE,
    kernelLaunch: e.NBGRID_KERNEL_LAUNCH,
    preload: parseModuleList(e.NBGRID_PRELOAD),
    maxOutputBytes: e.NBGRID_MAX_OUTPUT_BYTES,
    maxNotebookOutputBytes: e.NBGRID_MAX_NOTEBOOK_OUTPUT_BYTES,
    runHistory: e.NBGRID_RUN_HISTORY,
    reconcileInterval: e.NBGRID_RECONCILE_INTERVAL,
    retentionDays: e.NBGRID_RETENTION_DAYS
  };
}

/** The environment that hands a config to a child `nbgrid serve` / `nbgrid worker`. */
export function configEnv(c: Partial<INbgridConfig>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (c.redisUrl) env.NBGRID_REDIS_URL = c.redisUrl;
  if (c.mongoUrl) env.NBGRID_MONGO_URL = c.mongoUrl;
  if (c.database) env.NBGRID_DB = c.database;
  if (c.token) env.NBGRID_TOKEN = c.token;
  if (c.gatewayUrl) env.NBGRID_GATEWAY_URL = c.gatewayUrl;
  if (c.gatewayToken) env.NBGRID_GATEWAY_TOKEN = c.gatewayToken;
  if (c.host) env.NBGRID_HOST = c.host;
  if (c.port) env.NBGRID_PORT = String(c.port);
  if (c.visibilityTimeout) env.NBGRID_VISIBILITY_TIMEOUT = String(c.visibilityTimeout);
  if (c.shutdownGrace) env.NBGRID_SHUTDOWN_GRACE = String(c.shutdownGrace);
  return env;
}
