/**
 * Issue 16's progress row: latency from a `print` in the kernel to the `event: progress` carrying
 * it in an SSE client of the API service (p50 / p95), and the API service's CPU per 1,000 progress
 * events relayed (less its CPU over as long with the same status polling and nothing running), with
 * 2 workers streaming (each task prints a timestamped line every 50 ms). The task events, status
 * updates and the done check of the map's two tasks are counted in too.
 *
 *   node -r ./scripts/ts-hook.js bench/progress.ts [SECONDS=20]
 */
import * as http from 'node:http';
import { Api, benchStack, code, notebook, stackCpu, table } from './lib';

export interface IProgressBench {
  events: number;
  p50: number;
  p95: number;
  serviceCpuPer1000: number;
}

/** Opens `/api/events`; calls `onProgress` with each progress event's data and its arrival time. */
function openEvents(url: string, token: string, onProgress: (data: { tail: string[] }, at: number) => void): Promise<() => void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const req = http.get(`${url}/api/events`, { headers: { Authorization: `token ${token}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = Date.now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.startsWith('event: progress\n')) continue;
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) onProgress(JSON.parse(data.slice(6)) as { tail: string[] }, at);
        }
      });
      resolve(() => req.destroy());
    });
    req.on('error', reject);
  });
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

export async function progressBench(seconds = 20): Promise<IProgressBench> {
  const stack = await benchStack(2);
  try {
    const api = Api.of(stack);
    const lines = Math.round(seconds * 20);
    await api.put(
      'progress-bench',
      notebook([
        code("job = globals().get('job', {'param': 0})", ['parameters']),
        code(`import time\nfor i in range(${lines}):\n    print(f'@{time.time() * 1000:.1f}', flush=True)\n    time.sleep(0.05)`)
      ])
    );
    const latencies: number[] = [];
    let events = 0;
    const close = await openEvents(stack.info.api_url, stack.info.token, (data, at) => {
      events += 1;
      const last = data.tail[data.tail.length - 1];
      if (last?.startsWith('@')) latencies.push(at - Number(last.slice(1)));
    });
    try {
      // The service's CPU with the same status polling and no task running: subtracted below, so
      // the figure is what relaying progress costs, not the service's idle work.
      const idle0 = stackCpu(stack).service;
      const idleStart = Date.now();
      while (Date.now() - idleStart < seconds * 1000) {
        await api.status('progress-bench').catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
      const idlePerSecond = (stackCpu(stack).service - idle0) / ((Date.now() - idleStart) / 1000);
      const cpu0 = stackCpu(stack).service;
      const t0 = Date.now();
      const group = await api.map('progress-bench', [0, 1]);
      await api.waitDone('progress-bench', group.task_group, 500);
      const busy = stackCpu(stack).service - cpu0 - idlePerSecond * ((Date.now() - t0) / 1000);
      latencies.sort((a, b) => a - b);
      const result = { events, p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), serviceCpuPer1000: (Math.max(0, busy) / Math.max(events, 1)) * 1000 };
      table(
        `Progress: 2 workers, each task printing a line every 50 ms for ${seconds} s; one SSE client`,
        ['progress events', 'print -> event p50 (ms)', 'p95 (ms)', 'API service CPU s / 1,000 events'],
        [[result.events, result.p50.toFixed(0), result.p95.toFixed(0), result.serviceCpuPer1000.toFixed(3)]]
      );
      return result;
    } finally {
      close();
    }
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  progressBench(Number(process.argv[2] ?? 20)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
