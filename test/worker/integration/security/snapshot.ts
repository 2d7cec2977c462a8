/** Everything stored, read back raw: Redis keys and values, MongoDB documents, log files. */
import * as fs from 'fs';
import * as path from 'path';
import Redis from 'ioredis';
import { Binary, MongoClient } from 'mongodb';

/** Every Redis value as text, with base64 message bodies decoded beside them. */
export async function redisDump(url: string): Promise<string[]> {
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  const out: string[] = [];
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    for (const key of keys) {
      const type = await redis.type(key);
      let values: string[] = [];
      if (type === 'string') values = [(await redis.get(key)) ?? ''];
      else if (type === 'list') values = await redis.lrange(key, 0, -1);
      else if (type === 'hash') values = Object.entries(await redis.hgetall(key)).flat();
      else if (type === 'set') values = await redis.smembers(key);
      else if (type === 'zset') values = await redis.zrange(key, 0, -1);
      for (const v of [key, ...values]) {
        out.push(v);
        out.push(...decodedBodies(v));
      }
    }
  } finally {
    redis.disconnect();
  }
  return out;
}

/** Celery envelopes carry their body base64-encoded: decode every `"body": "<b64>"` found. */
function decodedBodies(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/"body":\s*"([A-Za-z0-9+/=]+)"/g)) found.push(Buffer.from(m[1], 'base64').toString('utf8'));
  return found;
}

/** Every document of every database as JSON, with Binary blobs (notebooks, params) as text. */
export async function mongoDump(url: string): Promise<string[]> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  const out: string[] = [];
  try {
    await client.connect();
    const dbs = (await client.db('admin').admin().listDatabases()).databases.map((d) => d.name);
    for (const name of dbs) {
      const db = client.db(name);
      for (const coll of await db.listCollections().toArray()) {
        for (const doc of await db.collection(coll.name).find({}).toArray()) {
          // The replacer sees values after toJSON (Binary → base64): look at the raw holder value.
          out.push(
            JSON.stringify(doc, function (this: Record<string, unknown>, k: string, v: unknown) {
              const raw = this[k];
              return raw instanceof Binary ? Buffer.from(raw.buffer).toString('utf8') : v;
            })
          );
        }
      }
    }
  } finally {
    await client.close();
  }
  return out;
}

/** Every regular file under `dir` whose name ends in `.log` (recursively). */
export function logFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...logFiles(p));
    else if (entry.isFile() && entry.name.endsWith('.log')) out.push(p);
  }
  return out;
}
