/**
 * nbformat v4 validation against nbformat's own JSON schemas (copied into ./schema, BSD-3-Clause,
 * see ./schema/LICENSE). Errors name the problem and where it is: `cells[2].cell_type must be one
 * of code, markdown, raw`.
 */
import Ajv from 'ajv-draft-04';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { InvalidInputError } from '../domain/errors';
import v40 from './schema/nbformat.v4.0.schema.json';
import v41 from './schema/nbformat.v4.1.schema.json';
import v42 from './schema/nbformat.v4.2.schema.json';
import v43 from './schema/nbformat.v4.3.schema.json';
import v44 from './schema/nbformat.v4.4.schema.json';
import v45 from './schema/nbformat.v4.5.schema.json';

const SCHEMAS: readonly unknown[] = [v40, v41, v42, v43, v44, v45];
const CELL_TYPES = ['code', 'markdown', 'raw'] as const;
const OUTPUT_TYPES = ['execute_result', 'display_data', 'stream', 'error'] as const;

interface IVersionValidators {
  top: ValidateFunction;
  cells: Record<(typeof CELL_TYPES)[number], ValidateFunction>;
  outputs: Record<(typeof OUTPUT_TYPES)[number], ValidateFunction>;
}

type JsonObject = Record<string, unknown>;

let validators: IVersionValidators[] | null = null;

/**
 * The schemas check cells and outputs with `oneOf`, which makes a validator report every branch
 * that failed. Cells and outputs are checked one level at a time instead, against the definition
 * their `cell_type`/`output_type` selects, so the message is about the one thing that is wrong.
 */
function build(): IVersionValidators[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  return SCHEMAS.map((original, minor) => {
    const schema = structuredClone(original) as JsonObject & {
      properties: { cells: JsonObject };
      definitions: { code_cell: { properties: { outputs: JsonObject } } };
    };
    delete schema.$schema;
    schema.properties.cells.items = { type: 'object' };
    schema.definitions.code_cell.properties.outputs.items = { type: 'object' };
    const key = `nbformat-v4.${minor}`;
    ajv.addSchema(schema, key);
    const ref = (def: string) => ajv.compile({ $ref: `${key}#/definitions/${def}` });
    return {
      top: ajv.compile({ $ref: key }),
      cells: { code: ref('code_cell'), markdown: ref('markdown_cell'), raw: ref('raw_cell') },
      outputs: {
        execute_result: ref('execute_result'),
        display_data: ref('display_data'),
        stream: ref('stream'),
        error: ref('error')
      }
    };
  });
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `/cells/2/metadata/a.b` under `cells[2]` → `cells[2].metadata["a.b"]`. */
function joinPath(base: string, pointer: string): string {
  let out = base;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function describe(errors: ErrorObject[], base: string): string {
  const first = errors.find((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf') ?? errors[0];
  const path = joinPath(base, first.instancePath);
  const where = path || 'notebook';
  const p = first.params as Record<string, unknown>;
  switch (first.keyword) {
    case 'required':
      return `${joinPath(path, `/${String(p.missingProperty)}`)} is required`;
    case 'additionalProperties':
      return `${where} has an unexpected property '${String(p.additionalProperty)}'`;
    case 'enum':
      return `${where} must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'type': {
      // A oneOf of types (multiline strings: a string or a list of strings) fails once per branch.
      const types = errors
        .filter((e) => e.keyword === 'type' && e.instancePath === first.instancePath)
        .map((e) => String((e.params as Record<string, unknown>).type));
      return `${where} must be ${[...new Set(types)].join(' or ')}`;
    }
    default:
      return `${where} ${first.message ?? 'is invalid'}`;
  }
}

function check(validate: ValidateFunction, value: unknown, base: string): void {
  if (!validate(value)) throw new InvalidInputError(`invalid notebook: ${describe(validate.errors ?? [], base)}`);
}

/**
 * Validate an nbformat v4 notebook (minor 0–5; later minors are checked against 4.5, as nbformat
 * does). Returns the notebook, typed as an object.
 * @throws InvalidInputError naming the problem and its JSON path
 */
export function validateNotebook(nb: unknown): JsonObject {
  if (!isObject(nb)) {
    const kind = Array.isArray(nb) ? 'an array' : nb === null ? 'null' : typeof nb;
    throw new InvalidInputError(`invalid notebook: a notebook must be a JSON object (nbformat v4), got ${kind}`);
  }
  if (nb.nbformat !== 4) {
    throw new InvalidInputError(
      `invalid notebook: nbformat must be 4 (got ${JSON.stringify(nb.nbformat) ?? 'nothing'}); ` +
        'save it with Jupyter 4 or later, or convert it with `jupyter nbconvert --to notebook`'
    );
  }
  const minor = nb.nbformat_minor;
  if (typeof minor !== 'number' || !Number.isInteger(minor) || minor < 0) {
    throw new InvalidInputError('invalid notebook: nbformat_minor must be a non-negative integer');
  }
  validators ??= build();
  const v = validators[Math.min(minor, validators.length - 1)];
  check(v.top, nb, '');
  const cells = nb.cells as JsonObject[];
  cells.forEach((cell, i) => {
    const at = `cells[${i}]`;
    const type = cell.cell_type;
    if (!CELL_TYPES.includes(type as (typeof CELL_TYPES)[number])) {
      throw new InvalidInputError(`invalid notebook: ${at}.cell_type must be one of ${CELL_TYPES.join(', ')}`);
    }
    check(v.cells[type as (typeof CELL_TYPES)[number]], cell, at);
    if (type !== 'code') return;
    (cell.outputs as JsonObject[]).forEach((output, j) => {
      const oat = `${at}.outputs[${j}]`;
      const otype = output.output_type;
      if (!OUTPUT_TYPES.includes(otype as (typeof OUTPUT_TYPES)[number])) {
        throw new InvalidInputError(`invalid notebook: ${oat}.output_type must be one of ${OUTPUT_TYPES.join(', ')}`);
      }
      check(v.outputs[otype as (typeof OUTPUT_TYPES)[number]], output, oat);
    });
  });
  return nb;
}
