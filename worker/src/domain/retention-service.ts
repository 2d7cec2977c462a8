/** The clean-up port the REST API uses (implemented by `retention/retention-service.ts`). */
import type { ICleanupBody, ICleanupReport } from '../schemas/retention';

export interface IRetentionService {
  /** Delete the selected groups, then the blobs nothing references; returns what went. */
  cleanup(request: ICleanupBody): Promise<ICleanupReport>;
}
