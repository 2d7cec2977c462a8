/**
 * The service's automatic retention, at a fixed interval: groups older than
 * `NBGRID_RETENTION_DAYS` (when set) and, per schedule, all but its `keep_last` newest groups;
 * then the blobs nothing references and expired revoke entries. Groups still running stay.
 * Two services doing it at once is harmless: each deletion is idempotent.
 */
import type { ICleanupReport } from '../schemas/retention';
import type { RetentionService } from './retention-service';

export interface IRetentionLoopOptions {
  service: RetentionService;
  /** Schedules with a `keep_last`. */
  keepLastOf: () => Promise<{ id: string; keep_last: number }[]>;
  /** Days a group is kept; unset keeps groups (blobs and revokes are still collected). */
  retentionDays?: number;
  /** @defaultValue 1 hour */
  intervalMs?: number;
  log?: (line: string) => void;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class RetentionLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: IRetentionLoopOptions) {}

  start(): void {
    if (this.timer || this.closed) return;
    const loop = (): void => {
      this.running = this.once()
        .then(() => undefined)
        .catch((err: unknown) => this.log(`retention: ${errorText(err)}; trying again next interval`))
        .finally(() => {
          this.running = null;
          if (!this.closed) this.timer = setTimeout(loop, this.options.intervalMs ?? 3_600_000);
        });
    };
    this.timer = setTimeout(loop, this.options.intervalMs ?? 3_600_000);
  }

  /** One pass; returns the reports of its clean-ups. */
  async once(): Promise<ICleanupReport[]> {
    const reports: ICleanupReport[] = [];
    for (const s of await this.options.keepLastOf()) reports.push(await this.options.service.keepLast(s.id, s.keep_last));
    if (this.options.retentionDays !== undefined) reports.push(await this.options.service.olderThanDays(this.options.retentionDays));
    else reports.push(await this.options.service.cleanupBlobs());
    for (const r of reports) {
      if (r.groups.length > 0 || r.blobs > 0 || r.revoked > 0) {
        this.log(`retention: removed ${r.groups.length} groups, ${r.tasks} tasks, ${r.bytes + r.blob_bytes} bytes, ${r.blobs} blobs, ${r.revoked} revoke entries`);
      }
    }
    return reports;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private log(line: string): void {
    (this.options.log ?? (() => undefined))(line);
  }
}
