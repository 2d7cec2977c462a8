import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pingMongo, pingRedis, startGateway, startMongo, startRedis } from '../../../../worker/src/stack';
import { isPidAlive } from '../../../../worker/src/stack/managed-process';

describe('stack services start on free ports and stop completely', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-stack-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('redis answers PING with its password, then is gone after stop()', async () => {
    const redis = await startRedis({ dir });
    const port = Number(new URL(redis.url).port);
    const password = decodeURIComponent(new URL(redis.url).password);
    expect(await pingRedis(port, '127.0.0.1', password)).toBe(true);
    await redis.stop();
    expect(isPidAlive(redis.process!.pid)).toBe(false);
    expect(await pingRedis(port, '127.0.0.1', password)).toBe(false);
  });

  it('two FerretDB instances run side by side (no shared debug port) and answer ping', async () => {
    const a = await startMongo({ dir: path.join(dir, 'a'), env: {} });
    const b = await startMongo({ dir: path.join(dir, 'b'), env: {} });
    try {
      expect(a.url).not.toEqual(b.url);
      expect(await pingMongo(a.url)).toBe(true);
      expect(await pingMongo(b.url)).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
    expect(isPidAlive(a.process!.pid)).toBe(false);
  });

  it('the Kernel Gateway runs the batch kernel, refuses requests without its token and keeps the token off its command line', async () => {
    const gw = await startGateway({ dir: path.join(dir, 'gw'), kernelLaunch: 'spawn' });
    try {
      const anonymous = await fetch(`${gw.url}/api/kernelspecs`);
      expect(anonymous.status).toBe(401);
      const ok = await fetch(`${gw.url}/api/kernelspecs`, { headers: { Authorization: `token ${gw.token}` } });
      expect(ok.status).toBe(200);
      const specs = (await ok.json()) as { kernelspecs: Record<string, { spec: { argv: string[]; metadata: Record<string, unknown> } }> };
      // python3 is nbgrid's batch kernel (ipykernel without debugger support or history database)
      expect(specs.kernelspecs.python3.spec.argv.slice(1)).toEqual(['-m', 'nbgrid.kernels.batch', '-f', '{connection_file}']);
      expect(specs.kernelspecs.python3.spec.metadata).toMatchObject({ debugger: false, nbgrid: { kernel: 'batch' } });
      const cmdline = fs.readFileSync(`/proc/${gw.process!.pid}/cmdline`, 'utf8');
      expect(cmdline).not.toContain(gw.token);
      // nbgrid's personality: jupyter-websocket with TCP_NODELAY (test/python/test_gateway_personality.py)
      expect(cmdline.split('\0')).toContain('--KernelGatewayApp.api=nbgrid.gateway.personality');
    } finally {
      await gw.stop();
    }
  });
});
