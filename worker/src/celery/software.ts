/** What a worker reports about itself as `sw_ident` / `sw_ver` in events and `stats`. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface ISoftwareInfo {
  /** `sw_ident`, e.g. `py-celery` for Python workers. */
  ident: string;
  /** `sw_ver`. */
  version: string;
}

let cached: ISoftwareInfo | undefined;

/**
 * `nbgrid` and the version of the package this layer ships in: its package.json is two levels
 * up from both `src/celery` and `dist/celery`.
 */
export function defaultSoftware(): ISoftwareInfo {
  if (!cached) {
    let version = 'unknown';
    try {
      const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') version = pkg.version;
    } catch {
      // a bundled copy without its package.json: report the version as unknown
    }
    cached = { ident: 'nbgrid', version };
  }
  return cached;
}
