/** `/api/gc`: delete task groups by group, age, state or schedule, and unreferenced blobs. */
import type { FastifyInstance } from 'fastify';
import type { IRetentionService } from '../../domain/retention-service';
import { cleanupSchema, type ICleanupBody } from '../../schemas';

export function registerRetentionRoutes(app: FastifyInstance, retention: IRetentionService): void {
  app.post<{ Body: ICleanupBody }>('/api/gc', { schema: cleanupSchema }, async (request) => retention.cleanup(request.body));
}
