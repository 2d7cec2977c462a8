/**
 * The parts of a Celery worker's `stats`, `conf` and `report` replies that describe its
 * connection and process, with the keys Python Celery 5 uses (`Connection.info()`,
 * `WorkController.rusage()`), so Flower's worker page and `celery inspect stats` read them.
 */
import { arch, release } from 'node:os';
import type Redis from 'ioredis';
import type { ISoftwareInfo } from './software';

/** kombu's `Connection.info()` for the Redis connection the worker uses. */
export function brokerInfo(redis: Redis, transportOptions: Record<string, unknown>): Record<string, unknown> {
  const o = redis.options;
  return {
    hostname: o.host ?? '127.0.0.1',
    userid: o.username || null,
    virtual_host: String(o.db ?? 0),
    port: o.port ?? 6379,
    insist: false,
    ssl: Boolean(o.tls),
    transport: 'redis',
    connect_timeout: (o.connectTimeout ?? 10000) / 1000,
    transport_options: transportOptions,
    login_method: null,
    uri_prefix: null,
    heartbeat: 0,
    failover_strategy: 'round-robin',
    alternates: []
  };
}

/** `redis://[:********@]host:port/db`, the password masked as Celery's `conf` does. */
export function maskedRedisUrl(redis: Redis): string {
  const o = redis.options;
  const auth = o.password ? `${o.username ?? ''}:********@` : '';
  return `${o.tls ? 'rediss' : 'redis'}://${auth}${o.host ?? '127.0.0.1'}:${o.port ?? 6379}/${o.db ?? 0}`;
}

/** `resource.getrusage(RUSAGE_SELF)` as Celery reports it: seconds of CPU time, maxrss in KiB. */
export function rusage(): Record<string, number> {
  const r = process.resourceUsage();
  return {
    utime: r.userCPUTime / 1e6,
    stime: r.systemCPUTime / 1e6,
    maxrss: r.maxRSS,
    ixrss: r.sharedMemorySize,
    idrss: r.unsharedDataSize,
    isrss: r.unsharedStackSize,
    minflt: r.minorPageFault,
    majflt: r.majorPageFault,
    nswap: r.swappedOut,
    inblock: r.fsRead,
    oublock: r.fsWrite,
    msgsnd: r.ipcSent,
    msgrcv: r.ipcReceived,
    nsignals: r.signalsCount,
    nvcsw: r.voluntaryContextSwitches,
    nivcsw: r.involuntaryContextSwitches
  };
}

/** The text of Celery's `report` (its `bugreport()`), for this worker. */
export function reportText(software: ISoftwareInfo, conf: Record<string, unknown>): string {
  const settings = Object.entries(conf).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n');
  return [
    '',
    `software -> ${software.ident}:${software.version} node:${process.versions.node}`,
    `platform -> system:${process.platform === 'linux' ? 'Linux' : process.platform} arch:${arch()}`,
    `            kernel version:${release()}`,
    `settings -> transport:redis results:redis`,
    '',
    settings,
    ''
  ].join('\n');
}
