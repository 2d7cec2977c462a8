/**
 * Render a task notebook: the main notebook plus the `injected-parameters` cell that defines `job`,
 * placed the way papermill's `parameterize_notebook` places it.
 */
import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../domain/errors';
import { encodeJson, type JsonText } from '../domain/json-bytes';
import type { JsonValue } from '../domain/types';
import { papermillAssignments } from './papermill-variables';
import { pythonString } from './python-literal';

/** What a task notebook receives as `job`. */
export interface ITaskParameters {
  /** The parameter; as `JsonText` (its stored JSON) it reaches the kernel exactly as it was sent. */
  param: JsonValue | JsonText;
  job_id: number;
  task_group: string;
  task_name: string;
}

/** Tag of the cell nbgrid (and papermill) inserts. */
export const INJECTED_TAG = 'injected-parameters';
/** Tag a user puts on the cell whose defaults the injected cell overrides. */
export const PARAMETERS_TAG = 'parameters';

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function tagsOf(cell: unknown): unknown[] {
  if (!isObject(cell) || !isObject(cell.metadata) || !Array.isArray(cell.metadata.tags)) return [];
  return cell.metadata.tags;
}

function firstTagged(cells: unknown[], tag: string): number {
  return cells.findIndex((c) => tagsOf(c).includes(tag));
}

/**
 * The kernel's language, from `metadata.kernelspec.language`, else `metadata.language_info.name`,
 * else the kernel name. A notebook without any of these is taken to be Python, as Jupyter does.
 */
export function kernelLanguage(nb: JsonObject): { language: string; kernel: string } {
  const meta = isObject(nb.metadata) ? nb.metadata : {};
  const spec = isObject(meta.kernelspec) ? meta.kernelspec : {};
  const info = isObject(meta.language_info) ? meta.language_info : {};
  const kernel = typeof spec.name === 'string' ? spec.name : '';
  const language =
    (typeof spec.language === 'string' && spec.language) ||
    (typeof info.name === 'string' && info.name) ||
    (kernel.startsWith('python') ? 'python' : kernel) ||
    'python';
  return { language: language.toLowerCase(), kernel: kernel || language };
}

function newCellId(taken: Set<unknown>): string {
  for (;;) {
    const id = randomBytes(4).toString('hex');
    if (!taken.has(id)) return id;
  }
}

/** The JSON text of `job`: `{"param": ..., "job_id": i, "task_group": "...", "task_name": "..."}`. */
export function jobJson(params: ITaskParameters): string {
  return jobJsonOf(params, paramJson(params));
}

/** The parameter's JSON text: a JsonText is written as it is (encodeJson splices it), exactly as it was sent. */
function paramJson(params: ITaskParameters): string {
  return encodeJson(params.param, 'the parameter').toString('utf8');
}

function jobJsonOf(params: ITaskParameters, param: string): string {
  return (
    `{"param": ${param}, "job_id": ${JSON.stringify(params.job_id)}, ` +
    `"task_group": ${JSON.stringify(params.task_group)}, "task_name": ${JSON.stringify(params.task_name)}}`
  );
}

/**
 * Source of the injected cell for a Python kernel: `job` read from its JSON text by Python's own
 * `json` module (DESIGN.md "Parameters, papermill-style"), so ints of any size, `1.0`, `-0.0`
 * and key order arrive as they were sent, and nesting has no 200-level literal limit.
 * `__import__` leaves no `json` name behind in the notebook's namespace. When the parameter is an
 * object, papermill's assignments of its identifier keys follow (`alpha = 0.5`).
 */
export function pythonParametersSource(params: ITaskParameters): string {
  const param = paramJson(params);
  // papermill's assignments follow (papermill-variables.ts): `alpha = 0.5` for a parameter {"alpha": 0.5}.
  return `# Parameters\njob = __import__('json').loads(${pythonString(jobJsonOf(params, param))})\n${papermillAssignments(param)}`;
}

/**
 * A new notebook (the argument is not changed): `main` upgraded to nbformat 4.5 (cells get ids,
 * as `nbformat.v4.upgrade` does), with a code cell tagged `injected-parameters` defining
 * `job = {'param': ..., 'job_id': i, 'task_group': '<8 hex>', 'task_name': 'tasks/<nb>/<group>-<i>'}`.
 *
 * Placement follows papermill: an existing `injected-parameters` cell is replaced in place;
 * otherwise the cell goes right after the first cell tagged `parameters`; otherwise at the top.
 *
 * @throws InvalidInputError when the kernel is not Python (the only language supported for now)
 */
export function renderTaskNotebook(main: unknown, params: ITaskParameters): JsonObject {
  if (!isObject(main) || !Array.isArray(main.cells)) {
    throw new InvalidInputError('cannot render a task notebook: the main notebook has no cells list');
  }
  const { language, kernel } = kernelLanguage(main);
  if (language !== 'python') {
    throw new InvalidInputError(
      `cannot inject parameters for kernel '${kernel}' (language ${language}): only Python kernels are supported`
    );
  }
  const nb = structuredClone(main);
  const cells = nb.cells as unknown[];
  const taken = new Set(cells.map((c) => (isObject(c) ? c.id : undefined)));
  if (typeof nb.nbformat_minor !== 'number' || nb.nbformat_minor < 5) {
    nb.nbformat_minor = 5;
    for (const cell of cells) {
      if (isObject(cell) && typeof cell.id !== 'string') {
        cell.id = newCellId(taken);
        taken.add(cell.id);
      }
    }
  }
  const injected = {
    id: newCellId(taken),
    cell_type: 'code',
    metadata: { tags: [INJECTED_TAG] },
    execution_count: null,
    source: pythonParametersSource(params),
    outputs: []
  };
  const old = firstTagged(cells, INJECTED_TAG);
  if (old >= 0) {
    cells.splice(old, 1, injected);
  } else {
    const at = firstTagged(cells, PARAMETERS_TAG);
    cells.splice(at + 1, 0, injected);
  }
  return nb;
}
