import http from 'node:http';
import { startServer } from '../../../../worker/src/service/server';
import { makeApp } from './helpers';

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('startServer', () => {
  it('listens on 127.0.0.1 by default and closes idempotently', async () => {
    const { app } = makeApp();
    const before = process.listenerCount('SIGTERM');
    const server = await startServer({ app, port: 0 });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(await get(`${server.url}/api/health`)).toBe(200);
    await Promise.all([server.close(), server.close()]);
    await server.close();
    expect(process.listenerCount('SIGTERM')).toBe(before);
    await expect(get(`${server.url}/api/health`)).rejects.toThrow();
  });

  it('closes on a signal and then calls onSignalClose', async () => {
    const { app } = makeApp();
    let closedBy: string | null = null;
    const server = await startServer({ app, port: 0, signals: ['SIGUSR2'], onSignalClose: (s) => { closedBy = s; } });
    process.emit('SIGUSR2', 'SIGUSR2');
    for (let i = 0; i < 100 && closedBy === null; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(closedBy).toBe('SIGUSR2');
    await server.close();
    await expect(get(`${server.url}/api/health`)).rejects.toThrow();
  });
});
