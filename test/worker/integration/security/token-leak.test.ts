/**
 * Tokens never leak: a map whose notebook prints its environment, /proc/self/environ and its
 * parent's command line and environment runs on the real stack; then neither the API token nor
 * the gateway token may appear in the result notebooks, in any log under the run directory, in
 * Redis (message bodies decoded) or in any MongoDB document.
 */
import * as fs from 'fs';
import type { IRunningStack } from '../../../../worker/src/stack';
import type { TestApi } from '../../support/api';
import { usePrivateStack } from '../../support/private-stack';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { logFiles, mongoDump, redisDump } from './snapshot';

let stack: IRunningStack;
let api: TestApi;

// Spawned kernels: their parent is the gateway itself, whose command line and environment the
// notebook reads (a forked kernel's parent is the fork server: fork-launch.test.ts snoops that one).
usePrivateStack('nbgrid-leak-', { workers: 2, kernelLaunch: 'spawn' }, (s) => {
  ({ stack, api } = s);
});

const SNOOP = [
  'import os, time',
  "time.sleep(job['param'])",
  'print(dict(os.environ))',
  "print(open('/proc/self/environ', 'rb').read().replace(b'\\0', b' ').decode())",
  'ppid = os.getppid()',
  "print('PARENT', open(f'/proc/{ppid}/cmdline', 'rb').read().replace(b'\\0', b' ').decode())",
  "print(open(f'/proc/{ppid}/environ', 'rb').read().replace(b'\\0', b' ').decode())",
  "job['result'] = {k: v for k, v in os.environ.items()}"
].join('\n');

it('neither token appears in result notebooks, logs, Redis or MongoDB', async () => {
  const { token, gateway_token: gatewayToken } = stack.info;
  expect(token.length).toBeGreaterThan(16);
  expect(gatewayToken.length).toBeGreaterThan(16);
  await api.put('snoop', notebook([PARAM_CELL, SNOOP]));
  const m = await api.map('snoop', { params: [2, 2, 0, 0, 0, 0] });
  // While tasks are still queued: their messages are in Redis now.
  const queued = await redisDump(stack.info.redis_url);
  expect(queued.some((v) => v.includes('nbgrid.run_notebook') && v.includes(m.task_group))).toBe(true);

  const rows = await api.waitDone('snoop', m.task_group);
  expect(rows.every((r) => r.run_status === 'OK')).toBe(true);

  const results: string[] = [];
  for (const r of rows) {
    const res = await api.call('GET', `/api/notebooks/${r.results}`);
    expect(res.status).toBe(200);
    results.push(JSON.stringify(res.body));
  }
  // The snooping worked: the outputs hold the kernel's environment and the gateway's command line.
  expect(results.every((t) => t.includes('PATH') && t.includes('PARENT') && t.includes('kernelgateway'))).toBe(true);

  const finalRedis = await redisDump(stack.info.redis_url);
  const mongo = await mongoDump(stack.info.mongo_url);
  expect(mongo.some((d) => d.includes('kernelgateway'))).toBe(true); // result blobs are decoded
  const logs = logFiles(stack.info.run_dir).map((f) => fs.readFileSync(f, 'utf8'));
  expect(logs.length).toBeGreaterThanOrEqual(4);
  expect(logs.join('\n')).toMatch(/GET \/api\/|"url":"\/api\//); // the service logs requests

  for (const secret of [token, gatewayToken]) {
    expect(results.filter((t) => t.includes(secret))).toEqual([]);
    expect([...queued, ...finalRedis].filter((v) => v.includes(secret))).toEqual([]);
    expect(mongo.filter((d) => d.includes(secret))).toEqual([]);
    expect(logs.filter((l) => l.includes(secret))).toEqual([]);
  }
});
