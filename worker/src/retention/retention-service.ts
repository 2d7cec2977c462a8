/**
 * Clean-up: `om.runtime.cleanup()`, `job.delete()`, `nbgrid gc`, the panel's delete and the
 * service's own retention (`NBGRID_RETENTION_DAYS`, a schedule's `keep_last`) all come here.
 * Selected groups are deleted unless they have queued or running tasks, each with the one-task
 * groups that ran its reduce rounds (listed in the report like the others; skipped, with the
 * reason, while queued or running); then the blobs nothing references any more, and expired
 * revoke entries. The report says what went.
 */
import { InvalidInputError, NotFoundError } from '../domain/errors';
import type { IRetentionService } from '../domain/retention-service';
import type { ICleanupBody, ICleanupReport } from '../schemas/retention';
import { parseAge } from './age';
import type { BlobCollector } from './blob-collector';
import type { GroupCleaner, IGroupSelector, IMeasuredGroup } from './group-cleaner';

export interface IRetentionServiceDeps {
  groups: GroupCleaner;
  blobs: BlobCollector;
  /** Removes expired revoke entries; returns how many. */
  trimRevoked?: () => Promise<number>;
  /** @defaultValue Date.now */
  now?: () => number;
}

export class RetentionService implements IRetentionService {
  private readonly now: () => number;

  constructor(private readonly deps: IRetentionServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async cleanup(request: ICleanupBody): Promise<ICleanupReport> {
    const { job, task_group, older_than, states, schedule } = request;
    if (job === undefined && task_group === undefined && older_than === undefined && states === undefined && schedule === undefined) {
      throw new InvalidInputError('say which groups to delete: give task_group, job, older_than (e.g. 30d), states or schedule');
    }
    const selector: IGroupSelector = { job, task_group, states, schedule };
    if (older_than !== undefined) selector.created_before = new Date(this.now() - parseAge(older_than)).toISOString();
    const found = (await this.deps.groups.select(selector)).filter((g) => g.matches);
    if (task_group !== undefined) {
      if (found.length === 0) throw new NotFoundError(`there is no task group '${task_group}'${job ? ` of job '${job}'` : ''} that matches; list them with groups()`);
      if (found[0].blocked) throw new InvalidInputError(`task group ${task_group} was not deleted: ${found[0].blocked}`);
    }
    return this.remove(found, request.dry_run ?? false);
  }

  /**
   * Keep the newest `keep` groups a schedule made; delete the older ones that are done.
   * @returns what went
   */
  async keepLast(schedule: string, keep: number): Promise<ICleanupReport> {
    const found = await this.deps.groups.select({ schedule });
    return this.remove(found.slice(0, Math.max(0, found.length - keep)), false);
  }

  /** Delete groups older than `days` days that are done, then unreferenced blobs. */
  async olderThanDays(days: number): Promise<ICleanupReport> {
    return this.remove(await this.deps.groups.select({ created_before: new Date(this.now() - days * 86_400_000).toISOString() }), false);
  }

  /**
   * Every group of `job` (for deleting its notebook). @throws InvalidInputError naming the groups
   * still queued or running, before anything is deleted
   */
  async deleteJobGroups(job: string): Promise<ICleanupReport> {
    const found = await this.deps.groups.select({ job });
    const running = found.filter((g) => g.blocked);
    if (running.length > 0) {
      throw new InvalidInputError(`notebook '${job}' was not deleted: its groups ${running.map((g) => g.task_group).join(', ')} have queued or running tasks; cancel them first`);
    }
    return this.remove(found, false);
  }

  /** Only the blob sweep and the revoke trim. */
  async cleanupBlobs(): Promise<ICleanupReport> {
    return this.remove([], false);
  }

  private async remove(found: IMeasuredGroup[], dryRun: boolean): Promise<ICleanupReport> {
    const report: ICleanupReport = { dry_run: dryRun, groups: [], skipped: [], tasks: 0, results: 0, bytes: 0, blobs: 0, blob_bytes: 0, revoked: 0 };
    const going: string[] = [];
    const queue = [...found];
    const seen = new Set(found.map((g) => g.task_group));
    for (let g = queue.shift(); g !== undefined; g = queue.shift()) {
      if (g.blocked) {
        report.skipped.push({ task_group: g.task_group, job: g.job, reason: g.blocked });
        continue;
      }
      // A group's reduce rounds ran in one-task groups of their own: they go with it (read before
      // the delete removes the rounds that name them).
      const reduceGroups = await this.deps.groups.reduceGroups(g.task_group);
      if (!dryRun) await this.deps.groups.delete(g.task_group);
      going.push(g.task_group);
      report.groups.push({ task_group: g.task_group, job: g.job, created: g.created, tasks: g.tasks, results: g.results, bytes: g.bytes });
      report.tasks += g.tasks;
      report.results += g.results;
      report.bytes += g.bytes;
      for (const id of reduceGroups.filter((r) => !seen.has(r))) {
        seen.add(id);
        for (const r of await this.deps.groups.select({ task_group: id })) {
          queue.push(r.blocked ? { ...r, blocked: `the reduce of deleted group ${g.task_group}: ${r.blocked}` } : r);
        }
      }
    }
    const swept = await this.deps.blobs.sweep(dryRun ? { dryRun, withoutGroups: going } : {});
    report.blobs = swept.blobs;
    report.blob_bytes = swept.bytes;
    if (!dryRun && this.deps.trimRevoked) report.revoked = await this.deps.trimRevoked();
    return report;
  }
}
