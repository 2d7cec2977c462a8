/**
 * The JSON of a running task's notebook as executed so far, bounded: a notebook over the bound
 * keeps its sources and its smaller outputs, and each cell whose outputs were left out says so.
 * The result notebook, stored when the run ends, has everything.
 */
import type { INotebook } from '../executor';

/**
 * Largest partial notebook kept per task, in bytes of JSON.
 * @defaultValue 4 MiB
 */
export const DEFAULT_MAX_PARTIAL_BYTES = 4 * 1024 * 1024;

/** `notebook` as JSON of at most about `maxBytes` (outputs of the largest cells are left out first). */
export function partialNotebookJson(notebook: INotebook, maxBytes: number = DEFAULT_MAX_PARTIAL_BYTES): string {
  const json = JSON.stringify(notebook);
  if (json.length <= maxBytes) return json;
  const sizes = notebook.cells.map((cell, index) => ({ index, size: cell.outputs ? JSON.stringify(cell.outputs).length : 0 }));
  let total = json.length;
  const dropped = new Set<number>();
  for (const { index, size } of sizes.sort((a, b) => b.size - a.size)) {
    if (total <= maxBytes || size === 0) break;
    dropped.add(index);
    total -= size;
  }
  const cells = notebook.cells.map((cell, index) =>
    dropped.has(index)
      ? {
          ...cell,
          outputs: [
            {
              output_type: 'stream',
              name: 'stderr',
              text: '[nbgrid] the outputs of this cell are too large for the partial notebook; the result notebook will have them\n'
            }
          ]
        }
      : cell
  );
  const bounded = JSON.stringify({ ...notebook, cells });
  // Sources alone over the bound: keep no partial at all rather than an unbounded one.
  return bounded.length <= maxBytes * 1.1 ? bounded : JSON.stringify({ ...notebook, cells: [] });
}
