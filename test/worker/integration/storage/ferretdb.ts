/** A private MongoDB (FerretDB via the stack helpers) in a temporary directory for one test file. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMongo } from '../../../../worker/src/stack';

export { freePort } from '../../../../worker/src/stack';

export async function startFerretDb(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'nbgrid-store-'));
  const mongo = await startMongo({ dir });
  return {
    url: mongo.url,
    async stop() {
      await mongo.stop();
      await rm(dir, { recursive: true, force: true });
    }
  };
}
