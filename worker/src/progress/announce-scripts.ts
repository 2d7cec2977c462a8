/**
 * The done announcement's Lua scripts, from `commands/<name>-<numkeys>.lua`, registered once per
 * connection with ioredis `defineCommand` (EVALSHA, the source again only on NOSCRIPT). The files
 * are read next to this module: `src/progress/commands` from TypeScript, `dist/progress/commands`
 * from the build (the worker's build copies every `.lua` under src).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type Redis from 'ioredis';

export interface IAnnounceCommands {
  /** `claim-announcement-4.lua`: 1 when this call claimed the round (and queued its announcement). */
  nbgridClaimAnnouncement(done: string, outbox: string, opened: string, openGroups: string, doneValue: string, keepSec: number, entry: string, member: string): Promise<number>;
  /** `publish-announcement-1.lua`: 1 when published now, 0 when it had been. */
  nbgridPublishAnnouncement(published: string, keepSec: number, channel: string, event: string): Promise<number>;
  /** `renew-announcement-lease-1.lua`: 1 when the lease was renewed, 0 when the entry is no longer ours. */
  nbgridRenewAnnouncementLease(outbox: string, group: string, consumer: string, id: string): Promise<number>;
}

const FILES: Record<keyof IAnnounceCommands, string> = {
  nbgridClaimAnnouncement: 'claim-announcement-4.lua',
  nbgridPublishAnnouncement: 'publish-announcement-1.lua',
  nbgridRenewAnnouncementLease: 'renew-announcement-lease-1.lua'
};

const sources = new Map<string, string>();
const registered = new WeakSet<Redis>();

function source(file: string): string {
  let lua = sources.get(file);
  if (lua === undefined) {
    const where = path.join(__dirname, 'commands', file);
    try {
      lua = readFileSync(where, 'utf8');
    } catch (err) {
      throw new Error(`Lua script ${where} is missing: rebuild the worker (npm run build -w worker copies the scripts to dist)`, { cause: err });
    }
    sources.set(file, lua);
  }
  return lua;
}

/** `redis` with the announcement's commands defined on it. */
export function withAnnounceCommands(redis: Redis): Redis & IAnnounceCommands {
  if (!registered.has(redis)) {
    for (const [name, file] of Object.entries(FILES)) {
      redis.defineCommand(name, { lua: source(file), numberOfKeys: Number(/-(\d+)\.lua$/.exec(file)![1]) });
    }
    registered.add(redis);
  }
  return redis as Redis & IAnnounceCommands;
}
