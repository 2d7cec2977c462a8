/** `/api/notebooks`: store, fetch, list and delete notebooks by name. */
import type { FastifyInstance } from 'fastify';
import type { IJobService } from '../../domain/ports';
import {
  assertValidName,
  deleteNotebookSchema,
  type IDeleteNotebookQuery,
  getNotebookSchema,
  listNotebooksSchema,
  putNotebookSchema,
  type IListNotebooksQuery,
  type INotebookParams,
  type IPutNotebookBody
} from '../../schemas';

const NOTEBOOK = 'notebook name';

export function registerNotebookRoutes(app: FastifyInstance, jobs: IJobService): void {
  app.get<{ Querystring: IListNotebooksQuery }>('/api/notebooks', { schema: listNotebooksSchema }, async (request) => {
    return { notebooks: await jobs.listNotebooks(request.query.prefix ?? '') };
  });

  app.put<{ Params: INotebookParams; Body: IPutNotebookBody }>(
    '/api/notebooks/*',
    { schema: putNotebookSchema },
    async (request) => jobs.putNotebook(assertValidName(request.params['*'], NOTEBOOK), request.body.content)
  );

  app.get<{ Params: INotebookParams }>('/api/notebooks/*', { schema: getNotebookSchema }, async (request) =>
    jobs.getNotebook(assertValidName(request.params['*'], NOTEBOOK))
  );

  app.delete<{ Params: INotebookParams; Querystring: IDeleteNotebookQuery }>(
    '/api/notebooks/*',
    { schema: deleteNotebookSchema },
    async (request, reply) => {
      await jobs.deleteNotebook(assertValidName(request.params['*'], NOTEBOOK), { delete_groups: request.query.delete_groups === 'true' });
      return reply.code(204).send();
    }
  );
}
