/**
 * `/api/jobs/<name>/parameters` (the notebook's own parameters) and the table formats of
 * `/api/jobs/<name>/results` (`format=table|csv`).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { IJobService } from '../../domain/ports';
import { tableCsv, tableJson, type IResultsTableRows } from '../../jobs/results-table';
import { assertValidName, parametersSchema, type IJobParams } from '../../schemas';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Answer `GET .../results?format=table|csv`: the table as JSON (cells as stored) or as CSV. */
export async function sendResultsTable(
  reply: FastifyReply,
  jobs: IJobService,
  job: string,
  taskGroup: string | undefined,
  format: 'table' | 'csv'
): Promise<FastifyReply> {
  if (!jobs.resultsTable) throw new Error('this job service has no results table');
  const table = await jobs.resultsTable(job, taskGroup);
  if (format === 'csv') {
    const file = `${job.replace(/[^\w.-]+/g, '_')}-${table.task_group}.csv`;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${file}"`)
      .send(tableCsv(table as IResultsTableRows));
  }
  return reply.type(JSON_TYPE).send(tableJson(table as IResultsTableRows));
}

export function registerGridRoutes(app: FastifyInstance, jobs: IJobService): void {
  app.get<{ Params: IJobParams }>('/api/jobs/:name/parameters', { schema: parametersSchema }, async (request) => {
    const job = assertValidName(request.params.name, 'job name');
    if (!jobs.parameters) throw new Error('this job service does not read parameters');
    return jobs.parameters(job);
  });
}
