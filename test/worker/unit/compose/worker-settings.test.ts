/** How a worker node combines its options with the environment, and what it refuses. */
import { resolveWorkerSettings } from '../../../../worker/src/compose';
import { ConfigError, loadConfig } from '../../../../worker/src/config';

describe('resolveWorkerSettings', () => {
  it('defaults: the default queue, concurrency 1, a pool of concurrency + 3, prefetch 1, no reuse', () => {
    const s = resolveWorkerSettings(loadConfig({}), { hostname: 'w@h' });
    expect(s).toEqual({ labels: ['default'], concurrency: 1, hostname: 'w@h', poolSize: 4, prefetch: 1, kernelReuse: 'off' });
    expect(resolveWorkerSettings(loadConfig({}), { concurrency: 3 }).poolSize).toBe(6);
    expect(resolveWorkerSettings(loadConfig({}), {}).hostname).toMatch(new RegExp(`^nbgrid-${process.pid}@.+`));
  });

  it('takes NBGRID_KERNEL_POOL, NBGRID_PREFETCH and NBGRID_KERNEL_REUSE from the environment', () => {
    const config = loadConfig({ NBGRID_KERNEL_POOL: '0', NBGRID_PREFETCH: '4', NBGRID_KERNEL_REUSE: 'off' });
    expect(resolveWorkerSettings(config, { concurrency: 2 })).toMatchObject({ poolSize: 0, prefetch: 4, kernelReuse: 'off' });
    const reuse = loadConfig({ NBGRID_KERNEL_POOL: '3', NBGRID_KERNEL_REUSE: 'all' });
    expect(resolveWorkerSettings(reuse, {})).toMatchObject({ poolSize: 3, kernelReuse: 'all' });
  });

  it('lets flags win over the environment', () => {
    const config = loadConfig({ NBGRID_KERNEL_POOL: '5', NBGRID_PREFETCH: '4', NBGRID_KERNEL_REUSE: 'all' });
    expect(resolveWorkerSettings(config, { poolSize: 1, prefetch: 0, kernelReuse: 'opt-in', labels: ['gpu'] })).toMatchObject({
      labels: ['gpu'],
      poolSize: 1,
      prefetch: 0,
      kernelReuse: 'opt-in'
    });
  });

  it.each([
    [{ poolSize: -1 }, '--pool-size must be 0 or a positive integer, got -1'],
    [{ prefetch: 1.5 }, '--prefetch must be 0 or a positive integer, got 1.5'],
    [{ concurrency: 0 }, '--concurrency must be a positive integer, got 0'],
    [{ kernelReuse: 'sometimes' }, "--kernel-reuse must be off, opt-in, all, got 'sometimes'"],
    [{ kernelReuse: 'all', poolSize: 0 }, '--kernel-reuse needs a kernel pool: set --pool-size to 1 or more']
  ])('refuses %p', (options, problem) => {
    let error: unknown;
    try {
      resolveWorkerSettings(loadConfig({}), options);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([problem]);
    expect((error as ConfigError).message.startsWith('invalid worker options:')).toBe(true);
  });
});
