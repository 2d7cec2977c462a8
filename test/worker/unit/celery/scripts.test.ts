/**
 * The Lua scripts are files next to their loader, named `<name>-<numkeys>.lua` (variadic ones
 * without the count), and the worker's build ships them in dist/ beside the compiled loader.
 */
import * as fs from 'fs';
import * as path from 'path';
import { COMMANDS_DIR, scriptSource } from '../../../../worker/src/celery/scripts';

const files = fs.readdirSync(COMMANDS_DIR).filter((f) => f.endsWith('.lua')).sort();

it('every script is readable and declares the keys it uses', () => {
  expect(files).toEqual(['pop-unacked.lua', 'release-lock-1.lua', 'restore-lost.lua', 'restore-unacked-4.lua', 'revoke-1.lua']);
  for (const file of files) {
    const lua = scriptSource(file);
    const numkeys = /-(\d+)\.lua$/.exec(file);
    const used = [...lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    if (numkeys) expect(Math.max(...used)).toBe(Number(numkeys[1]));
    else expect(lua).toContain('#KEYS'); // variadic: walks its keys
  }
});

it('a missing script names the fix', () => {
  expect(() => scriptSource('no-such-script-1.lua')).toThrow(/rebuild the worker/);
});

const dist = path.join(__dirname, '..', '..', '..', '..', 'worker', 'dist', 'celery');
const built = fs.existsSync(path.join(dist, 'scripts.js'));
if (!built) process.stderr.write(`scripts.test: ${dist} is not built, so the dist copy is not checked (run make build-worker)\n`);
(built ? it : it.skip)('the build copies every script to dist, where the compiled loader reads it', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const compiled = require(path.join(dist, 'scripts.js')) as { COMMANDS_DIR: string; scriptSource(file: string): string };
  expect(compiled.COMMANDS_DIR).toBe(path.join(dist, 'commands'));
  for (const file of files) expect(compiled.scriptSource(file)).toBe(scriptSource(file));
});
