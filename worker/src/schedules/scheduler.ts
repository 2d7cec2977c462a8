/**
 * The loop in the API service that turns schedules into maps: exactly one map per occurrence,
 * whatever runs. Each tick, for every schedule that is not paused, it takes the latest
 * occurrence at or before now and claims it with a unique-key insert
 * (`schedule_runs._id = <schedule>:<occurrence ISO>`): the one service whose insert succeeds
 * submits the map; a duplicate key means another service (or this one, earlier) has it. So two
 * services, or clocks a few seconds apart, still make one claim per occurrence.
 *
 * The group id is fixed in the claim (derived from schedule and occurrence) and the map creates
 * its group with that `_id`, which is unique too: a claim left 'claimed' by a service that stopped
 * between claim and map is completed by whoever finds it after `leaseMs`, and if the first
 * submission did get through (or is still getting through), the second finds the group taken
 * and records the claim as submitted, without a second map.
 *
 * A missed occurrence (no service ran at its time) is run once when a service is back if it is
 * less than one period late and the schedule's `catchup` is 'latest'; with 'none' it is skipped
 * (recorded 'skipped'). Older missed occurrences are never run: only the latest is looked at.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { IMapOrigin } from '../domain/map-origin';
import { CronSchedule } from './cron-schedule';
import { bodyText, runId, type IScheduleDoc, type IScheduleRunDoc, type RunState, type ScheduleStore } from './schedule-store';

/** What submitting a map body said: the group it made, or why not. */
export type SubmitOutcome = { ok: true; task_group: string } | { ok: false; message: string };

/** The schedule and occurrence a group records, or null when there is no such group. */
export type GroupOrigin = { schedule?: string; occurrence?: string } | null;

export interface ISchedulerDeps {
  store: ScheduleStore;
  /** Submit a map body (its JSON text) for `job` as a map made by `origin`. */
  submit: (job: string, body: string, origin: IMapOrigin) => Promise<SubmitOutcome>;
  /** The origin recorded by group `taskGroup`. */
  groupOrigin: (taskGroup: string) => Promise<GroupOrigin>;
  /** Called after an occurrence's map was submitted (retention's `keep_last`). */
  onSubmitted?: (schedule: IScheduleDoc, run: IScheduleRunDoc) => Promise<void>;
  /** Milliseconds since the epoch. @defaultValue Date.now */
  now?: () => number;
  log?: (line: string) => void;
  /** Milliseconds between ticks. @defaultValue 5000 */
  tickMs?: number;
  /**
   * An occurrence at most this late counts as on time (a tick, a slow start, a clock a few
   * seconds behind); later ones are missed and follow `catchup`. @defaultValue 60000
   */
  onTimeMs?: number;
  /** A claim still 'claimed' this long is completed by whichever service sees it. @defaultValue 120000 */
  leaseMs?: number;
  /** Who claims, recorded in the claim. @defaultValue host:pid */
  instance?: string;
}

/** The group id of an occurrence's map: the same on every service. */
export function occurrenceGroupId(schedule: string, occurrence: string): string {
  return createHash('sha256').update(`nbgrid-schedule:${schedule}:${occurrence}`).digest('hex').slice(0, 8);
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  /** Occurrence last claimed or seen claimed, by schedule: spares a duplicate insert per tick. */
  private readonly seen = new Map<string, string>();
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(private readonly deps: ISchedulerDeps) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? (() => undefined);
  }

  /** Tick now and then every `tickMs`. */
  start(): void {
    if (this.timer || this.closed) return;
    const loop = (): void => {
      this.running = this.tick()
        .catch((err: unknown) => this.log(`scheduler: ${errorText(err)}; trying again next tick`))
        .finally(() => {
          this.running = null;
          if (!this.closed) this.timer = setTimeout(loop, this.deps.tickMs ?? 5000);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stop ticking and wait for a tick in flight. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass: every due occurrence claimed and submitted, stale claims completed. */
  async tick(): Promise<void> {
    for (const schedule of await this.deps.store.list()) {
      if (schedule.paused) continue;
      try {
        await this.due(schedule);
      } catch (err) {
        this.log(`schedule ${schedule._id} (${schedule.job}): ${errorText(err)}`);
      }
    }
    const stale = this.now() - (this.deps.leaseMs ?? 120_000);
    for (const claim of await this.deps.store.unfinished()) {
      if (Date.parse(claim.claimed_at) > stale) continue;
      const schedule = await this.deps.store.get(claim.schedule);
      if (!schedule) await this.deps.store.finishRun(claim._id, 'failed', 'the schedule was deleted before its map was submitted');
      else await this.submitClaim(schedule, claim);
    }
  }

  /** Claim and submit the schedule's latest occurrence if it is due and nobody has it. */
  private async due(schedule: IScheduleDoc): Promise<void> {
    const cron = new CronSchedule(schedule.cron, schedule.tz);
    const now = this.now();
    const latest = cron.latest(new Date(now), new Date(schedule.created));
    if (!latest) return;
    const occurrence = latest.toISOString();
    if (this.seen.get(schedule._id) === occurrence) return;
    const late = now - latest.getTime();
    const fire = late <= (this.deps.onTimeMs ?? 60_000) || (schedule.catchup === 'latest' && late < cron.periodAfter(latest));
    const claim = this.newClaim(schedule, occurrence, fire ? 'claimed' : 'skipped', 'cron');
    const mine = await this.deps.store.claim(claim);
    this.seen.set(schedule._id, occurrence);
    if (!mine) return;
    if (!fire) {
      this.log(`schedule ${schedule._id} (${schedule.job}): skipped the occurrence ${occurrence}, missed by ${Math.round(late / 1000)} s (catchup: ${schedule.catchup})`);
      return;
    }
    await this.submitClaim(schedule, claim);
  }

  /** "Run now": a manual occurrence at the current time, claimed and submitted like any other. */
  async runNow(schedule: IScheduleDoc): Promise<IScheduleRunDoc> {
    const claim = this.newClaim(schedule, new Date(this.now()).toISOString(), 'claimed', 'manual');
    if (!(await this.deps.store.claim(claim))) {
      // The same millisecond was claimed already (a double click): that run is this one.
      return (await this.deps.store.getRun(claim._id)) ?? claim;
    }
    return this.submitClaim(schedule, claim);
  }

  private newClaim(schedule: IScheduleDoc, occurrence: string, state: RunState, trigger: 'cron' | 'manual'): IScheduleRunDoc {
    return {
      _id: runId(schedule._id, occurrence),
      schedule: schedule._id,
      job: schedule.job,
      occurrence,
      task_group: occurrenceGroupId(schedule._id, occurrence),
      state,
      trigger,
      claimed_at: new Date(this.now()).toISOString(),
      claimed_by: this.deps.instance ?? `${hostname()}:${process.pid}`
    };
  }

  /**
   * Submit a claimed occurrence's map with its fixed group id. When the submission fails, the
   * group may still exist because another submission of the same claim made it: then the claim
   * is submitted, by that one.
   */
  private async submitClaim(schedule: IScheduleDoc, claim: IScheduleRunDoc): Promise<IScheduleRunDoc> {
    const origin: IMapOrigin = { task_group: claim.task_group, schedule: schedule._id, occurrence: claim.occurrence };
    let outcome: SubmitOutcome;
    try {
      outcome = await this.deps.submit(schedule.job, bodyText(schedule), origin);
    } catch (err) {
      outcome = { ok: false, message: errorText(err) };
    }
    let state: RunState = 'submitted';
    let error: string | undefined;
    if (!outcome.ok) {
      const made = await this.deps.groupOrigin(claim.task_group);
      if (made && made.schedule === schedule._id && made.occurrence === claim.occurrence) {
        state = 'submitted';
      } else {
        state = 'failed';
        error = made ? `group id ${claim.task_group} is taken by another map; the occurrence was not run` : outcome.message;
        this.log(`schedule ${schedule._id} (${schedule.job}): the map of ${claim.occurrence} failed: ${error}`);
      }
    }
    await this.deps.store.finishRun(claim._id, state, error);
    const done: IScheduleRunDoc = { ...claim, state, ...(error ? { error } : {}) };
    if (state === 'submitted' && this.deps.onSubmitted) {
      await this.deps.onSubmitted(schedule, done).catch((err: unknown) => this.log(`schedule ${schedule._id}: retention after a run failed: ${errorText(err)}`));
    }
    return done;
  }
}
