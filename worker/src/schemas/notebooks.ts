/** Schemas of `/api/notebooks`. */
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses } from './common';
import { MAX_NAME_LENGTH, NAME_PREFIX_PATTERN } from '../domain/names';
import { NameSchema } from './name';

/** `<name>` of `/api/notebooks/<name>`: the wildcard, may contain `/`. */
export const NotebookParamsSchema = Type.Object({ '*': NameSchema });
export type INotebookParams = Static<typeof NotebookParamsSchema>;

export const NotebookInfoSchema = Type.Object(
  {
    name: Type.String(),
    sha256: Type.String({ description: 'sha256 of the stored JSON bytes (the content address).' }),
    size: Type.Integer({ description: 'Size of the stored JSON in bytes.' }),
    created: Type.String({ description: 'ISO time.' }),
    modified: Type.String({ description: 'ISO time.' })
  },
  { description: 'A stored notebook, without its content.' }
);

export const NotebookWithContentSchema = Type.Object({
  ...NotebookInfoSchema.properties,
  content: Type.Unknown({ description: 'The nbformat v4 notebook, exactly as stored.' })
});

export const PutNotebookBodySchema = Type.Object(
  {
    content: Type.Object({}, { additionalProperties: true, description: 'An nbformat v4 notebook.' })
  },
  { additionalProperties: false }
);
export type IPutNotebookBody = Static<typeof PutNotebookBodySchema>;

export const ListNotebooksQuerySchema = Type.Object(
  {
    prefix: Type.Optional(
      Type.String({
        maxLength: MAX_NAME_LENGTH,
        pattern: NAME_PREFIX_PATTERN,
        description: "Only names starting with this; 'tasks/' and 'results/' list task and result notebooks.",
        default: ''
      })
    )
  },
  { additionalProperties: false }
);
export type IListNotebooksQuery = Static<typeof ListNotebooksQuerySchema>;

export const ListNotebooksResponseSchema = Type.Object({
  notebooks: Type.Array(NotebookInfoSchema)
});

export const putNotebookSchema = {
  summary: 'Store a notebook under a name',
  tags: ['notebooks'],
  params: NotebookParamsSchema,
  body: PutNotebookBodySchema,
  response: { 200: NotebookInfoSchema, ...errorResponses(400, 401, 413, 503) }
};

export const getNotebookSchema = {
  summary: 'Get a main, task or result notebook with its content',
  tags: ['notebooks'],
  params: NotebookParamsSchema,
  response: { 200: NotebookWithContentSchema, ...errorResponses(400, 401, 404, 503) }
};

/** `?delete_groups=true`: also delete the task groups of a main notebook. */
export const DeleteNotebookQuerySchema = Type.Object(
  {
    delete_groups: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: "'true': delete the main notebook's task groups too (refused while any runs); without it a notebook with groups is not deleted."
      })
    )
  },
  { additionalProperties: false }
);
export type IDeleteNotebookQuery = Static<typeof DeleteNotebookQuerySchema>;

export const deleteNotebookSchema = {
  summary: 'Delete a notebook',
  tags: ['notebooks'],
  params: NotebookParamsSchema,
  querystring: DeleteNotebookQuerySchema,
  response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses(400, 401, 404, 503) }
};

export const listNotebooksSchema = {
  summary: 'List notebooks by name prefix',
  tags: ['notebooks'],
  querystring: ListNotebooksQuerySchema,
  response: { 200: ListNotebooksResponseSchema, ...errorResponses(400, 401, 503) }
};
