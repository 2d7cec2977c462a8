/**
 * `nbgrid health`: which part of the stack is up — the API service, MongoDB and Redis (as the
 * service sees them) and each live worker's Kernel Gateway (from its heartbeat: a worker whose
 * gateway or MongoDB is unreachable pauses and says why). Exits 1 when a part is down.
 */
import { Command } from 'commander';
import type { IWorkerInfo } from '../../domain/ports';
import { ApiClient, resolveEndpoint } from '../api-client';

/** One line of the report. */
export interface IPartHealth {
  part: string;
  status: 'ok' | 'down' | 'unknown';
  detail: string;
}

/** Milliseconds each request of the check may take. */
const TIMEOUT_MS = 5000;

async function getJson(url: string, token: string | null): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { headers: token ? { Authorization: `token ${token}` } : {}, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { message: text.slice(0, 200) };
  }
  return { status: res.status, body };
}

const errorText = (err: unknown): string => {
  const e = err as { cause?: { message?: string }; message?: string };
  return e?.cause?.message ?? e?.message ?? String(err);
};

/** What each part says, one line per part (nothing thrown: a part that cannot be asked is `unknown` or `down`). */
export async function checkHealth(url: string, token: string | null): Promise<IPartHealth[]> {
  const parts: IPartHealth[] = [];
  let health: { status: number; body: Record<string, unknown> };
  try {
    health = await getJson(`${url}/api/health`, null);
  } catch (err) {
    return [
      { part: 'API service', status: 'down', detail: `cannot reach ${url} (${errorText(err)}): start it with \`nbgrid up\`` },
      { part: 'MongoDB', status: 'unknown', detail: 'the API service is down' },
      { part: 'Redis', status: 'unknown', detail: 'the API service is down' }
    ];
  }
  parts.push({ part: 'API service', status: 'ok', detail: url });
  for (const [part, key] of [['MongoDB', 'mongo'], ['Redis', 'redis']] as const) {
    const said = health.body[key];
    if (said === 'ok') parts.push({ part, status: 'ok', detail: '' });
    else parts.push({ part, status: typeof said === 'string' ? 'down' : 'unknown', detail: typeof said === 'string' ? said : String(health.body.message ?? '') });
  }
  try {
    const workers = await getJson(`${url}/api/workers`, token);
    if (workers.status !== 200) throw new Error(String(workers.body.message ?? `HTTP ${workers.status}`));
    const list = (workers.body.workers ?? []) as IWorkerInfo[];
    if (list.length === 0) parts.push({ part: 'workers', status: 'unknown', detail: 'no live worker (start one with `nbgrid worker` or `nbgrid up`)' });
    for (const w of list) {
      const gatewayDown = typeof w.paused === 'string' && /gateway/i.test(w.paused);
      parts.push({ part: `gateway of ${w.hostname}`, status: gatewayDown ? 'down' : 'ok', detail: gatewayDown ? w.paused! : '' });
      if (w.paused && !gatewayDown) parts.push({ part: `worker ${w.hostname}`, status: 'down', detail: `paused: ${w.paused}` });
    }
  } catch (err) {
    parts.push({ part: 'workers', status: 'unknown', detail: `could not list workers: ${errorText(err)}` });
  }
  return parts;
}

/** One line per part, the detail in full (it says what to do). */
export function formatHealth(parts: IPartHealth[]): string {
  const width = Math.max(...parts.map((p) => p.part.length));
  return parts.map((p) => `${p.status.padEnd(7)} ${p.part.padEnd(width)}  ${p.detail}`.trimEnd()).join('\n');
}

export function registerHealthCommand(program: Command): void {
  program
    .command('health')
    .description('which part is up: the API service, MongoDB, Redis and each live worker\'s Kernel Gateway (exit 1 when one is down)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { url, token } = resolveEndpoint();
      const parts = await checkHealth(new ApiClient(url, token).url, token);
      if (opts.json) process.stdout.write(JSON.stringify({ ok: parts.every((p) => p.status !== 'down'), parts }, null, 2) + '\n');
      else process.stdout.write(formatHealth(parts) + '\n');
      if (parts.some((p) => p.status === 'down')) process.exitCode = 1;
    });
}
