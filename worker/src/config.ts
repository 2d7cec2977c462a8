/**
 * Configuration of the service and workers, from the environment. `nbgrid up` sets these for
 * the processes it starts; in production they point at real MongoDB/Redis. Only configuration
 * differs between a laptop and a cluster.
 */
export interface INbgridConfig {
  /** `NBGRID_REDIS_URL` @defaultValue redis://127.0.0.1:6379/0 */
  redisUrl: string;
  /** `NBGRID_MONGO_URL` @defaultValue mongodb://127.0.0.1:27017/ */
  mongoUrl: string;
  /** `NBGRID_DB` @defaultValue nbgrid */
  database: string;
  /** `NBGRID_TOKEN`: the API token (required by `serve`). */
  token: string;
  /** `NBGRID_GATEWAY_URL`, `NBGRID_GATEWAY_TOKEN`: the Kernel Gateway of this node (workers). */
  gatewayUrl: string;
  gatewayToken: string;
  /** `NBGRID_HOST` @defaultValue 127.0.0.1 */
  host: string;
  /** `NBGRID_PORT` @defaultValue 8765 */
  port: number;
  /** `NBGRID_CORS_ORIGINS`, comma-separated. @defaultValue none */
  corsOrigins: string[];
  /** `NBGRID_VISIBILITY_TIMEOUT` seconds before an unacked task is redelivered. @defaultValue 3600 */
  visibilityTimeout: number;
  /**
   * `NBGRID_KERNEL_LAUNCH`: how the Kernel Gateway that `nbgrid up` starts launches python3 kernels:
   * `spawn` (a fresh interpreter each) or `fork` (forked from a kernel fork server). @defaultValue spawn
   */
  kernelLaunch: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): INbgridConfig {
  return {
    redisUrl: env.NBGRID_REDIS_URL || 'redis://127.0.0.1:6379/0',
    mongoUrl: env.NBGRID_MONGO_URL || 'mongodb://127.0.0.1:27017/',
    database: env.NBGRID_DB || 'nbgrid',
    token: env.NBGRID_TOKEN || '',
    gatewayUrl: env.NBGRID_GATEWAY_URL || 'http://127.0.0.1:8888',
    gatewayToken: env.NBGRID_GATEWAY_TOKEN || '',
    host: env.NBGRID_HOST || '127.0.0.1',
    port: Number(env.NBGRID_PORT || 8765),
    corsOrigins: (env.NBGRID_CORS_ORIGINS || '').split(',').map((s) => s.trim()).filter(Boolean),
    visibilityTimeout: Number(env.NBGRID_VISIBILITY_TIMEOUT || 3600),
    kernelLaunch: env.NBGRID_KERNEL_LAUNCH || 'spawn'
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
  return env;
}
