/**
 * The layer's Lua scripts, from `commands/<name>-<numkeys>.lua` (bullmq's layout; a file without
 * `-<numkeys>` takes its key count as first argument). Each is registered once per connection
 * with ioredis `defineCommand`, which runs it by EVALSHA and sends the source again only when the
 * server answers NOSCRIPT (after a restart or SCRIPT FLUSH).
 *
 * The files are read next to this module: `src/celery/commands` when run from TypeScript,
 * `dist/celery/commands` when run from the build (the worker's build copies them there).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type Redis from 'ioredis';

type Arg = string | number;

/** The commands every connection of the layer gets. */
export interface ICeleryCommands {
  /** `pop-unacked.lua`: `(numkeys, unacked, unackedIndex, owner, held, holders, ...lists, nowSeconds, holder)`. */
  celeryPopUnacked(numkeys: number, ...args: Arg[]): Promise<[string, string, number, string] | null>;
  /** `restore-unacked-4.lua`. */
  celeryRestoreUnacked(
    unacked: string, index: string, list: string, owner: string, tag: string, stored: string, payload: string, push: 'LPUSH' | 'RPUSH'
  ): Promise<number>;
  /** `restore-lost.lua`: `(numkeys, unacked, index, owner, held, alive, holders, ...lists, holder, ...tags)`. */
  celeryRestoreLost(numkeys: number, ...args: Arg[]): Promise<number>;
  /** `release-lock-1.lua`. */
  celeryReleaseLock(lock: string, token: string): Promise<number>;
  /** `revoke-1.lua`: `(key, nowMs, untilMs, ...ids)`. */
  celeryRevoke(key: string, nowMs: number, untilMs: number, ...ids: string[]): Promise<number>;
}

/** File of each command, by method name. */
const FILES: Record<keyof ICeleryCommands, string> = {
  celeryPopUnacked: 'pop-unacked.lua',
  celeryRestoreUnacked: 'restore-unacked-4.lua',
  celeryRestoreLost: 'restore-lost.lua',
  celeryReleaseLock: 'release-lock-1.lua',
  celeryRevoke: 'revoke-1.lua'
};

/** Where the `.lua` files are. */
export const COMMANDS_DIR = path.join(__dirname, 'commands');

const sources = new Map<string, string>();
const registered = new WeakSet<Redis>();

/** The source of one script file (read once per process). */
export function scriptSource(file: string): string {
  let lua = sources.get(file);
  if (lua === undefined) {
    const where = path.join(COMMANDS_DIR, file);
    try {
      lua = readFileSync(where, 'utf8');
    } catch (err) {
      throw new Error(`Lua script ${where} is missing: rebuild the worker (npm run build -w worker copies the scripts to dist)`, { cause: err });
    }
    sources.set(file, lua);
  }
  return lua;
}

/** `redis` with the layer's commands defined on it (on its pipelines and transactions too). */
export function withCommands(redis: Redis): Redis & ICeleryCommands {
  if (!registered.has(redis)) {
    for (const [name, file] of Object.entries(FILES)) {
      const numkeys = /-(\d+)\.lua$/.exec(file);
      redis.defineCommand(name, { lua: scriptSource(file), numberOfKeys: numkeys ? Number(numkeys[1]) : undefined });
    }
    registered.add(redis);
  }
  return redis as Redis & ICeleryCommands;
}
