/** The parts of Celery remote control that need no Redis: rates, a resizable semaphore, GPU slots. */
import { parseRate, RateLimiter } from '../../../../worker/src/celery/rate-limit';
import { Semaphore } from '../../../../worker/src/celery/semaphore';
import { gpuSlots, parseGpuList, parseNvidiaSmiList } from '../../../../worker/src/gpu/gpu-slots';

describe('rate limits (Celery rate strings)', () => {
  it('reads N/s, N/m, N/h and plain numbers; empty and 0 mean no limit', () => {
    expect(parseRate('10/m')).toBeCloseTo(10 / 60);
    expect(parseRate('2/h')).toBeCloseTo(2 / 3600);
    expect(parseRate('5')).toBe(5);
    expect(parseRate('0')).toBe(0);
    expect(parseRate('')).toBe(0);
    expect(parseRate(null)).toBe(0);
    expect(() => parseRate('often')).toThrow(/use N\/s, N\/m or N\/h/);
  });

  it('spaces starts evenly and forgets the schedule when the rate changes', () => {
    const r = new RateLimiter();
    r.set('t', '2/s', 2);
    expect(r.reserve('t', 1000)).toBe(0);
    expect(r.reserve('t', 1000)).toBe(500);
    expect(r.reserve('t', 1000)).toBe(1000);
    expect(r.reserve('other', 1000)).toBe(0);
    r.set('t', '', 0);
    expect(r.reserve('t', 1000)).toBe(0);
    expect(r.get('t')).toBeNull();
  });
});

describe('Semaphore.resize', () => {
  it('growing lets waiters in at once; shrinking takes effect as holders release', async () => {
    const s = new Semaphore(1);
    await s.acquire();
    let second = false;
    const waiting = s.acquire().then(() => (second = true));
    s.resize(2);
    await waiting;
    expect(second).toBe(true);
    expect(s.inUse).toBe(2);
    s.resize(1);
    let third = false;
    const t = s.acquire().then(() => (third = true));
    s.release(); // 2 → 1 in use: still at the bound, nobody gets in
    await Promise.resolve();
    expect(third).toBe(false);
    s.release(); // 1 → the waiter takes it
    await t;
    expect(third).toBe(true);
    expect(s.inUse).toBe(1);
  });
});

describe('GPU slots', () => {
  it('reads nvidia-smi -L and cuts the GPUs into slots with their environment', () => {
    expect(parseNvidiaSmiList('GPU 0: A100 (UUID: GPU-a)\nGPU 1: A100 (UUID: GPU-b)\n')).toEqual(['0', '1']);
    expect(parseNvidiaSmiList('No devices were found\n')).toEqual([]);
    expect(parseGpuList('0, 2,3')).toEqual(['0', '2', '3']);
    expect(() => parseGpuList('0,,1')).toThrow(/--gpus must be/);
    expect(() => parseGpuList('1,1')).toThrow(/twice/);
    const slots = gpuSlots(['0', '1', '2'], 2);
    expect(slots).toMatchObject([{ id: 'gpu0-1', gpus: ['0', '1'], env: { CUDA_VISIBLE_DEVICES: '0,1', NVIDIA_VISIBLE_DEVICES: '0,1', NBGRID_GPUS: '0,1' } }]);
    expect(slots).toHaveLength(1);
    expect(gpuSlots([])).toEqual([]);
  });
});
