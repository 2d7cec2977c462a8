/** Schemas of parameter grids, a notebook's own parameters and results as a table. */
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses, JsonValueSchema, TaskGroupSchema } from './common';
import { NameSchema } from './name';

/** `grid` of a map body: each parameter's list of values, expanded on the server. */
export const GridSchema = Type.Record(
  Type.String({ minLength: 1 }),
  Type.Array(JsonValueSchema, { description: "The parameter's values; at least one." }),
  {
    description:
      'Each parameter with its list of values; every task gets one object {name: value, ...}. ' +
      'Expanded on the server (see mode); at least one parameter, no empty list.'
  }
);

/** How a grid's lists combine. */
export const GridModeSchema = Type.Union([Type.Literal('product'), Type.Literal('zip')], {
  description: "product (default): every combination, in itertools.product order; zip: the i-th values together (lists of one length)."
});

/** One parameter of a notebook's `parameters` cell, as papermill's `inspect_notebook` reports it. */
export const NotebookParameterSchema = Type.Object({
  name: Type.String(),
  inferred_type_name: Type.String({ description: "The annotation or '# type:' comment; 'None' when neither is given (as papermill)." }),
  default: Type.String({ description: 'The default value as written in the cell (Python source).' }),
  help: Type.String({ description: "The comment after the value; '' when none." }),
  identifier: Type.Boolean({
    description: 'false for a Python keyword or a name that is not an identifier: such a name reaches the notebook only as job["param"][name].'
  })
});
export type INotebookParameter = Static<typeof NotebookParameterSchema>;

export const ParametersResponseSchema = Type.Object({
  job: Type.String(),
  has_parameters_cell: Type.Boolean({ description: "Whether the notebook has a cell tagged 'parameters'." }),
  parameters: Type.Array(NotebookParameterSchema, { description: 'In the order the cell assigns them.' })
});
export type IParametersResponse = Static<typeof ParametersResponseSchema>;

export const parametersSchema = {
  summary: "The notebook's own parameters: its cell tagged 'parameters', read as papermill does",
  tags: ['jobs'],
  params: Type.Object({ name: NameSchema }),
  response: { 200: ParametersResponseSchema, ...errorResponses(400, 401, 404, 503) }
};

/** `format` of `GET /api/jobs/<name>/results`. */
export const ResultsFormatSchema = Type.Union([Type.Literal('list'), Type.Literal('table'), Type.Literal('csv')], {
  description: 'list (default): returned values in parameter order; table: columns and rows; csv: the table as text/csv.'
});

/** Results as a table: one row per task in parameter order. */
export const ResultsTableSchema = Type.Object({
  task_group: TaskGroupSchema,
  columns: Type.Array(Type.String(), {
    description:
      "Parameter columns (an object parameter's keys, else 'param'), returned-value columns (an object's keys, else 'result'), " +
      "values glued with scrapbook, then status, run_status, duration, name. A name taken by an earlier column gets a 'result.' or 'scrap.' prefix."
  }),
  kinds: Type.Array(Type.Union([Type.Literal('param'), Type.Literal('result'), Type.Literal('scrap'), Type.Literal('status')]), {
    description: 'Where each column comes from, one per column.'
  }),
  rows: Type.Array(Type.Array(JsonValueSchema), { description: 'One per task, in parameter order; null where a task has no value.' })
});
export type IResultsTable = Static<typeof ResultsTableSchema>;
