/**
 * A task's input key for the cache: sha256 over nbgrid's injected-cell format version, the
 * kernelspec name, the sources of the main notebook's code cells (not outputs, metadata or
 * markdown; not an `injected-parameters` cell, which rendering replaces) and the parameter's
 * canonical JSON. The notebook part is hashed once per map, then once more with each parameter.
 */
import { createHash } from 'node:crypto';
import { INJECTED_TAG } from '../notebooks/inject-parameters';
import { canonicalJson } from './canonical-json';

/**
 * Version of the injected cell's format (`job = {...}` and what it defines). Raise it when that
 * format changes: every earlier key then misses. @defaultValue 1
 */
export const INJECTED_FORMAT_VERSION = 1;

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The sources of a notebook's code cells, the injected-parameters cell left out. */
export function codeSources(nb: unknown): string[] {
  const cells = isObject(nb) && Array.isArray(nb.cells) ? nb.cells : [];
  const out: string[] = [];
  for (const cell of cells) {
    if (!isObject(cell) || cell.cell_type !== 'code') continue;
    const tags = isObject(cell.metadata) && Array.isArray(cell.metadata.tags) ? cell.metadata.tags : [];
    if (tags.includes(INJECTED_TAG)) continue;
    out.push(Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? ''));
  }
  return out;
}

/** The kernelspec name of a notebook ('' when it has none). */
export function kernelspecName(nb: unknown): string {
  const meta = isObject(nb) && isObject(nb.metadata) ? nb.metadata : {};
  return isObject(meta.kernelspec) && typeof meta.kernelspec.name === 'string' ? meta.kernelspec.name : '';
}

/** The notebook's part of every input key of a map over it. */
export function notebookDigest(nb: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify({ format: INJECTED_FORMAT_VERSION, kernelspec: kernelspecName(nb), code: codeSources(nb) }))
    .digest('hex');
}

/** The input key of one task: the notebook digest and the parameter's JSON text. */
export function inputKey(digest: string, paramJson: string): string {
  return createHash('sha256').update(digest).update('\n').update(canonicalJson(paramJson)).digest('hex');
}
