/**
 * A notebook's own parameters: the assignments of its first cell tagged `parameters`, read by the
 * rules of papermill's Python translator (`PythonTranslator.inspect`, what `papermill --help-notebook`
 * and `inspect_notebook` report), so a notebook shows the same parameters in nbgrid as in papermill:
 *
 * - blank lines and lines that start with `#` are skipped;
 * - a line with one `=` starts a new definition; following lines without `=` continue it (a list
 *   or dict written over several lines), their comments dropped, each line stripped, joined
 *   without separator; a line with more than one `=` is skipped (papermill logs that it cannot
 *   parse it);
 * - a definition is `name[: annotation] = value [# [type: T] help]`; the type is the annotation,
 *   else the `# type:` comment, else the text `None`.
 *
 * Nothing is evaluated: the default is the value's source text.
 */
import { isPythonVariable } from './python-identifier';
import { PARAMETERS_TAG } from './inject-parameters';

/** One parameter as papermill's `Parameter` has it, and whether it can be a variable. */
export interface INotebookParameter {
  name: string;
  /** The annotation, else the `# type:` comment, else `'None'` (papermill's text). */
  inferred_type_name: string;
  /** The default value's source text. */
  default: string;
  /** The comment after the value (after a `type:` part); `''` when none. */
  help: string;
  /** false for a keyword or a name that is not an identifier: it reaches the notebook only as `job['param'][name]`. */
  identifier: boolean;
}

/** What a notebook declares: whether it has a `parameters` cell, and its parameters. */
export interface INotebookParameters {
  has_parameters_cell: boolean;
  parameters: INotebookParameter[];
}

// papermill's pattern, with Python's Unicode-aware \w spelled out for JavaScript.
const W = '[\\p{L}\\p{N}\\p{Mn}\\p{Mc}\\p{Pc}]';
const DEFINITION = new RegExp(
  `^(?<target>${W}${W}*)\\s*(:\\s*["']?(?<annotation>${W}[\\p{L}\\p{N}\\p{Mn}\\p{Mc}\\p{Pc}\\[\\],\\s]*)["']?\\s*)?=\\s*(?<value>.*?)` +
    `(\\s*#\\s*(type:\\s*(?<type_comment>[^\\s]*)\\s*)?(?<help>.*))?$`,
  'u'
);

/** Python's `str.splitlines()`: every line break Python knows, no empty line for a final break. */
export function splitLines(text: string): string[] {
  // Python also breaks at the file, group and record separators, so these control characters are meant.
  // eslint-disable-next-line no-control-regex
  const lines = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Python's `str.strip()` (whitespace as Python counts it, which JavaScript's trim also covers here). */
const strip = (s: string): string => s.trim();

/** One definition from its lines: the comments of all but the last line dropped, lines stripped and joined. */
function flatten(lines: string[]): string {
  let flat = '';
  lines.forEach((line, i) => {
    if (i === lines.length - 1) {
      flat += strip(line);
      return;
    }
    const hash = line.indexOf('#');
    flat += strip(hash >= 0 ? line.slice(0, hash) : line);
  });
  return flat;
}

/** The parameters a `parameters` cell's source assigns, in order (papermill's `PythonTranslator.inspect`). */
export function readParametersSource(source: string): INotebookParameter[] {
  const definitions: string[] = [];
  let current: string[] = [];
  for (const line of splitLines(source)) {
    const bare = strip(line);
    if (bare.length === 0 || bare.startsWith('#')) continue;
    const equals = line.split('=').length - 1;
    if (equals > 0) {
      definitions.push(flatten(current));
      current = [];
      // papermill gives up on a line such as `a = b = 1` or `x = f(k=1)`
      if (equals > 1) continue;
    }
    current.push(line);
  }
  definitions.push(flatten(current));
  const out: INotebookParameter[] = [];
  for (const definition of definitions) {
    if (definition.length === 0) continue;
    const groups = DEFINITION.exec(definition)?.groups;
    if (!groups?.target) continue;
    const name = strip(groups.target);
    out.push({
      name,
      inferred_type_name: strip(groups.annotation || groups.type_comment || 'None'),
      default: strip(groups.value ?? ''),
      help: strip(groups.help ?? ''),
      identifier: isPythonVariable(name)
    });
  }
  return out;
}

/** The source of a cell: nbformat allows a string or a list of lines. */
function cellSource(cell: Record<string, unknown>): string {
  const source = cell.source;
  if (Array.isArray(source)) return source.map(String).join('');
  return typeof source === 'string' ? source : '';
}

/** The tags of a cell, or none. */
function cellTags(cell: Record<string, unknown>): unknown[] {
  const metadata = cell.metadata as { tags?: unknown } | undefined;
  return Array.isArray(metadata?.tags) ? metadata.tags : [];
}

/** The parameters of a notebook: its first cell tagged `parameters` (of any cell type, as papermill looks). */
export function readNotebookParameters(nb: unknown): INotebookParameters {
  const cells = (nb as { cells?: unknown } | null)?.cells;
  if (!Array.isArray(cells)) return { has_parameters_cell: false, parameters: [] };
  const cell = cells.find((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && cellTags(c as Record<string, unknown>).includes(PARAMETERS_TAG));
  if (!cell) return { has_parameters_cell: false, parameters: [] };
  return { has_parameters_cell: true, parameters: readParametersSource(cellSource(cell)) };
}

/**
 * Warnings for parameter names a map passes that the notebook does not declare, as papermill's
 * "Passed unknown parameter: x". `params` are the map's parameters; only object parameters have
 * names (others reach the notebook as `job['param']`). Only names that become variables (Python
 * identifiers) are checked, and not against a `parameters` cell that declares nothing but `job`:
 * such a notebook is written for nbgrid and reads `job['param']`, where every key arrives.
 */
export function unknownParameterWarnings(job: string, declared: INotebookParameters, params: readonly unknown[]): string[] {
  const passed = new Set<string>();
  for (const p of params) {
    if (typeof p === 'object' && p !== null && !Array.isArray(p)) for (const key of Object.keys(p)) passed.add(key);
  }
  for (const name of [...passed]) if (!isPythonVariable(name)) passed.delete(name);
  if (passed.size === 0) return [];
  const known = new Set(declared.parameters.map((p) => p.name));
  if (declared.has_parameters_cell && [...known].every((name) => name === 'job')) return [];
  const unknown = [...passed].filter((name) => !known.has(name));
  if (unknown.length === 0) return [];
  const names = unknown.map((n) => JSON.stringify(n)).join(', ');
  if (!declared.has_parameters_cell) {
    return [`notebook '${job}' has no cell tagged 'parameters': passed unknown parameter(s) ${names} (they still reach it as job['param'])`];
  }
  return [`passed unknown parameter(s) ${names}: notebook '${job}' declares ${declared.parameters.map((p) => p.name).join(', ') || 'none'} in its 'parameters' cell`];
}
