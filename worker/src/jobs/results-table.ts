/**
 * A task group's results as a table: one row per task in parameter order, with the parameter
 * columns (an object parameter's keys, else `param`), the returned value (an object's keys, else
 * `result`), the values glued with scrapbook, then status, run_status, duration and the task
 * name. Cells are the stored JSON texts (`JsonText`), so numbers come back exactly as the notebook
 * wrote them; `tableCsv` writes the same table as RFC 4180 CSV.
 */
import { decodeJson, JsonText, responseJson } from '../domain/json-bytes';
import { isJsonObjectText, jsonObjectMemberMap } from '../domain/json-members';
import { jsonArrayElements } from '../domain/json-spans';
import { statusRow } from '../domain/status-row';
import type { IExactTask, ITaskRepository, ITaskValues } from '../domain/task-repository';
import type { IStatusRow } from '../domain/types';

/** Where a column comes from. */
export type ColumnKind = 'param' | 'result' | 'scrap' | 'status';

/** The status columns every table ends with. */
export const STATUS_COLUMNS = ['status', 'run_status', 'duration', 'name'] as const;

/** A cell: a stored JSON text, a plain value, or null for none. */
export type Cell = JsonText | string | number | null;

/** A results table (the `format=table` answer before it is serialized). */
export interface IResultsTableRows {
  task_group: string;
  columns: string[];
  kinds: ColumnKind[];
  rows: Cell[][];
}

/** The members of each task's JSON text when every present one is an object, else null. */
function objectMembers(texts: (JsonText | undefined)[]): (Map<string, string> | undefined)[] | null {
  const present = texts.filter((t): t is JsonText => t !== undefined);
  if (present.length === 0 || !present.every((t) => isJsonObjectText(t.text))) return null;
  return texts.map((t) => (t === undefined ? undefined : jsonObjectMemberMap(t.text)));
}

/** Keys of several objects, in first-seen order. */
function unionKeys(maps: (Map<string, string> | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const m of maps) if (m) for (const k of m.keys()) keys.add(k);
  return [...keys];
}

/** A task's scraps as `name → value text`. */
function scrapMembers(scraps: JsonText | undefined): Map<string, string> | undefined {
  if (!scraps) return undefined;
  const out = new Map<string, string>();
  for (const pair of jsonArrayElements(scraps.text)) {
    const [name, value] = jsonArrayElements(pair);
    // A name without escapes is the text between its quotes (most are): no JSON.parse per scrap.
    out.set(name.includes('\\') ? (JSON.parse(name) as string) : name.slice(1, -1), value);
  }
  return out;
}

/** One task of a table: its stored values and its status row. */
export interface IResultSource {
  values: ITaskValues;
  row: Pick<IStatusRow, 'status' | 'run_status' | 'duration' | 'name'>;
}

/** A full task as a table's source (its row built from the task itself). */
export function sourceOfTask(t: IExactTask): IResultSource {
  const values: ITaskValues = { job_id: t.task.job_id, run_status: t.task.run_status, param: t.param, result: t.result, scraps: t.scraps };
  return { values, row: statusRow(t.task) };
}

/**
 * The tasks of a table from the repository's read model (`storage/results-read-model.ts`): the
 * status rows of `statusJson` with each task's values; null when the repository has none for
 * this group (then the tasks are read).
 */
export async function tableSourcesFromReadModel(repo: ITaskRepository, job: string, taskGroup: string, statusJson: string): Promise<IResultSource[] | null> {
  if (!repo.tableValues) return null;
  const rows = JSON.parse(statusJson) as IStatusRow[];
  const values = await repo.tableValues(job, taskGroup, rows);
  return values && values.map((v, i) => ({ values: v, row: rows[i] }));
}

/** Build the table of `taskGroup` from its tasks (in parameter order). */
export function buildResultsTable(taskGroup: string, sources: IResultSource[]): IResultsTableRows {
  const tasks = sources.map((s) => s.values);
  const columns: string[] = [];
  const kinds: ColumnKind[] = [];
  const cellsOf: ((t: ITaskValues, i: number) => Cell)[] = [];
  const taken = new Set<string>(STATUS_COLUMNS);
  /** A column name not used yet: `prefix + name` when `name` is taken. */
  const claim = (name: string, prefix: string): string => {
    let col = taken.has(name) ? prefix + name : name;
    while (taken.has(col)) col = prefix + col;
    taken.add(col);
    return col;
  };
  const add = (name: string, kind: ColumnKind, cell: (t: ITaskValues, i: number) => Cell) => {
    columns.push(name);
    kinds.push(kind);
    cellsOf.push(cell);
  };

  // Parameters: an object's keys (every parameter an object), else one `param` column.
  const params = objectMembers(tasks.map((t) => t.param));
  if (params) {
    for (const key of unionKeys(params)) {
      const text = (i: number) => params[i]?.get(key);
      add(claim(key, 'param.'), 'param', (_t, i) => (text(i) === undefined ? null : new JsonText(text(i) as string)));
    }
  } else {
    add(claim('param', 'param.'), 'param', (t) => t.param);
  }

  // Returned values of OK runs: an object's keys, else one `result` column.
  const okResult = (t: ITaskValues) => (t.run_status === 'OK' ? t.result : undefined);
  const results = tasks.map(okResult);
  const resultObjects = objectMembers(results);
  const scraps = tasks.map((t) => (t.run_status === 'OK' ? scrapMembers(t.scraps) : undefined));
  const scrapNames = unionKeys(scraps);
  if (resultObjects) {
    for (const key of unionKeys(resultObjects)) {
      add(claim(key, 'result.'), 'result', (_t, i) => {
        const text = resultObjects[i]?.get(key);
        return text === undefined ? null : new JsonText(text);
      });
    }
  } else if (results.some((r) => r !== undefined) || scrapNames.length === 0) {
    add(claim('result', 'result.'), 'result', (t) => okResult(t) ?? null);
  }

  // Values glued with scrapbook.
  for (const name of scrapNames) {
    add(claim(name, 'scrap.'), 'scrap', (_t, i) => {
      const text = scraps[i]?.get(name);
      return text === undefined ? null : new JsonText(text);
    });
  }

  const rows = sources.map((s) => s.row);
  add('status', 'status', (_t, i) => rows[i].status);
  add('run_status', 'status', (_t, i) => rows[i].run_status);
  add('duration', 'status', (_t, i) => rows[i].duration);
  add('name', 'status', (_t, i) => rows[i].name);

  return { task_group: taskGroup, columns, kinds, rows: tasks.map((t, i) => cellsOf.map((cell) => cell(t, i))) };
}

/** Bare NaN/Infinity tokens (texts stored before returned values were checked): answered as `responseJson` does. */
const NON_FINITE_TOKEN = /NaN|Infinity/;

/** One cell as JSON text, as `responseJson` writes it. */
function cellJson(cell: Cell): string {
  if (cell === null) return 'null';
  if (cell instanceof JsonText) return NON_FINITE_TOKEN.test(cell.text) ? JSON.stringify(decodeJson(cell.text)) : cell.text;
  return JSON.stringify(cell);
}

/** Serialized tables, kept with the table (a table kept by the service is answered again as is). */
const jsonOf = new WeakMap<IResultsTableRows, string>();
const csvOf = new WeakMap<Pick<IResultsTableRows, 'columns' | 'rows'>, string>();

/**
 * The `format=table` answer: the same text as `responseJson(table)`, written row by row (a
 * 10,000-row table through `JSON.stringify` with a replacer took 0.2-0.35 s), and kept for the
 * same table object.
 */
export function tableJson(table: IResultsTableRows): string {
  const kept = jsonOf.get(table);
  if (kept !== undefined) return kept;
  const { rows, ...head } = table;
  // `rows` is the last member written: its placeholder is the last occurrence of the text.
  const placeholder = JSON.stringify('\u0000rows');
  const frame = responseJson({ ...head, rows: '\u0000rows' });
  const at = frame.lastIndexOf(placeholder);
  const body = rows.map((row) => `[${row.map(cellJson).join(',')}]`).join(',');
  const json = `${frame.slice(0, at)}[${body}]${frame.slice(at + placeholder.length)}`;
  jsonOf.set(table, json);
  return json;
}

/** One CSV field: strings as they are, other JSON values as their JSON text, none as empty. */
function csvField(cell: Cell): string {
  let text: string;
  if (cell === null) text = '';
  else if (cell instanceof JsonText) {
    const t = cell.text.trim();
    text = t === 'null' ? '' : t.startsWith('"') ? (JSON.parse(t) as string) : t;
  } else text = String(cell);
  // RFC 4180: quote a field holding a separator, a quote or a line break; double its quotes.
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The table as CSV text: a header line, then one line per task (CRLF line ends, RFC 4180). */
export function tableCsv(table: Pick<IResultsTableRows, 'columns' | 'rows'>): string {
  const kept = csvOf.get(table);
  if (kept !== undefined) return kept;
  const lines = [table.columns.map((c) => csvField(c)), ...table.rows.map((row) => row.map(csvField))];
  const csv = lines.map((fields) => fields.join(',')).join('\r\n') + '\r\n';
  csvOf.set(table, csv);
  return csv;
}
