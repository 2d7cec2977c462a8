/**
 * Delivers claimed done announcements from the Redis outbox stream: publishes the `group-done`
 * event and POSTs the map's webhook, then acknowledges the entry. Every API service runs one
 * consumer of the stream's consumer group; an entry read by a service is leased to it (its
 * pending-entry idle time, renewed while it works), and an entry whose lease ran out (its service
 * died or hangs) is taken over by another service, or by the same one after a restart, with
 * XAUTOCLAIM.
 *
 * The decision is exactly once (the claim script sets the done key and appends the entry in one
 * step). The event is published once per round (flag and PUBLISH in one step); the webhook is at
 * least once: a service that dies after a POST and before the acknowledgement leaves the entry to
 * another, which POSTs again with the same `Idempotency-Key: <group>:<round>`.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Redis from 'ioredis';
import type { IGroupDoneEvent } from '../schemas/progress';
import { withAnnounceCommands, type IAnnounceCommands } from './announce-scripts';
import { ProgressKeys } from './keys';
import { postWebhook, type IWebhookOptions } from './webhook-sender';

/** What the claim script appends to the outbox. */
export interface IAnnouncement {
  event: IGroupDoneEvent;
  /** The map's webhook URL; null when it has none. */
  webhook: string | null;
}

/** The consumer group of the outbox (one for all API services: each entry goes to one of them). */
export const ANNOUNCERS_GROUP = 'announcers';

/** Seconds the published flags are kept. @defaultValue 30 days */
const KEEP_SEC = 30 * 24 * 3600;

export interface IAnnounceOutboxOptions {
  /** Milliseconds an entry stays with a deliverer that stopped renewing it. @defaultValue 30000 */
  leaseMs?: number;
  /** Milliseconds between looks at the outbox (a blocking read returns at once on a new entry). @defaultValue 1000 */
  pollMs?: number;
  /** Entries delivered at the same time by this service. @defaultValue 16 */
  concurrency?: number;
  /** Test hook: called when this service leased an entry, before it delivers anything of it. */
  beforeDeliver?: (announcement: IAnnouncement) => void | Promise<void>;
}

export interface IAnnounceOutboxDeps extends IAnnounceOutboxOptions {
  redis: Redis;
  keys?: ProgressKeys;
  webhook?: IWebhookOptions;
  log?: (line: string) => void;
}

type StreamEntry = [id: string, fields: string[]] | null;

export class AnnounceOutbox {
  /** This service's consumer name (a restart is a new consumer: the old one's entries are taken over). */
  readonly consumer = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly redis: Redis & IAnnounceCommands;
  private readonly keys: ProgressKeys;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly log: (line: string) => void;
  /** Stops deliveries in flight without acknowledging them (close after a timeout, or abandon). */
  private readonly abort = new AbortController();
  private readonly inFlight = new Map<string, Promise<void>>();
  private blocking: Redis | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly deps: IAnnounceOutboxDeps) {
    this.redis = withAnnounceCommands(deps.redis);
    this.keys = deps.keys ?? new ProgressKeys();
    this.leaseMs = deps.leaseMs ?? 30_000;
    this.pollMs = deps.pollMs ?? 1000;
    this.concurrency = deps.concurrency ?? 16;
    this.log = deps.log ?? (() => undefined);
  }

  async start(): Promise<void> {
    await this.ensureGroup();
    // Blocking reads get a connection of their own: they would hold up every other command.
    this.blocking = this.deps.redis.duplicate();
    this.blocking.on('error', () => undefined); // ioredis reconnects
    this.loop = this.run();
  }

  /** Stops reading; waits for the deliveries in flight (their webhook retries included). */
  async close(): Promise<void> {
    this.stopping = true;
    this.blocking?.disconnect();
    await this.loop;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /**
   * Stops at once as a killed process would: no further publish, POST, renewal or acknowledgement;
   * what this service leased stays pending until another service takes it over. For fault tests.
   */
  async abandon(): Promise<void> {
    this.abort.abort();
    this.stopping = true;
    this.blocking?.disconnect();
    await this.loop;
  }

  /** Resolves when no delivery of this service is in flight (for tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  private async ensureGroup(): Promise<void> {
    try {
      // From the start of the stream: entries added before the group existed are delivered too.
      await this.deps.redis.xgroup('CREATE', this.keys.announceOutbox, ANNOUNCERS_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const free = this.concurrency - this.inFlight.size;
        if (free <= 0) {
          await Promise.race(this.inFlight.values());
          continue;
        }
        // Entries whose deliverer stopped renewing its lease: take them over.
        const claimed = (await this.deps.redis.xautoclaim(
          this.keys.announceOutbox, ANNOUNCERS_GROUP, this.consumer, this.leaseMs, '0-0', 'COUNT', free
        )) as [string, StreamEntry[], string[]?];
        for (const entry of claimed[1]) this.deliverEntry(entry);
        if (this.stopping || this.inFlight.size >= this.concurrency) continue;
        const read = (await this.blocking!.xreadgroup(
          'GROUP', ANNOUNCERS_GROUP, this.consumer, 'COUNT', this.concurrency - this.inFlight.size, 'BLOCK', this.pollMs,
          'STREAMS', this.keys.announceOutbox, '>'
        )) as [string, StreamEntry[]][] | null;
        for (const [, entries] of read ?? []) for (const entry of entries) this.deliverEntry(entry);
      } catch (err) {
        if (this.stopping) return;
        const message = err instanceof Error ? err.message : String(err);
        this.log(`announcement outbox: ${message}`);
        if (message.startsWith('NOGROUP')) await this.ensureGroup().catch(() => undefined); // the stream was deleted
        await new Promise((r) => setTimeout(r, this.pollMs));
      }
    }
  }

  private deliverEntry(entry: StreamEntry): void {
    if (!entry || this.inFlight.has(entry[0])) return;
    const [id, fields] = entry;
    const delivery = this.deliver(id, fields)
      .catch((err: unknown) => this.log(`announcement ${id} not delivered yet: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, delivery);
  }

  private async deliver(id: string, fields: string[]): Promise<void> {
    const outbox = this.keys.announceOutbox;
    const json = fields[fields.indexOf('entry') + 1];
    let announcement: IAnnouncement;
    try {
      announcement = JSON.parse(json ?? '') as IAnnouncement;
    } catch {
      this.log(`announcement ${id} is not JSON: dropped`);
      await this.redis.multi().xack(outbox, ANNOUNCERS_GROUP, id).xdel(outbox, id).exec();
      return;
    }
    // Lost lease or abandon: stop before the next step (the new owner delivers).
    const lost = new AbortController();
    const signal = AbortSignal.any([this.abort.signal, lost.signal]);
    const renew = setInterval(() => {
      if (signal.aborted) return;
      this.redis.nbgridRenewAnnouncementLease(outbox, ANNOUNCERS_GROUP, this.consumer, id).then(
        (owned) => {
          if (owned === 0) lost.abort();
        },
        () => undefined // Redis unreachable: the lease may run out; the next owner delivers
      );
    }, Math.max(100, Math.floor(this.leaseMs / 3)));
    try {
      await this.deps.beforeDeliver?.(announcement);
      if (signal.aborted) return;
      const { event, webhook } = announcement;
      await this.redis.nbgridPublishAnnouncement(this.keys.published(event.task_group, event.round), KEEP_SEC, this.keys.doneChannel, JSON.stringify(event));
      if (webhook && !signal.aborted) {
        const outcome = await postWebhook(webhook, { event: 'group-done', ...event }, { log: this.log, ...this.deps.webhook }, {
          headers: { 'Idempotency-Key': `${event.task_group}:${event.round}` },
          signal
        });
        if (outcome.aborted) return;
        if (!outcome.delivered) {
          this.log(`group ${event.task_group} of ${event.job}: webhook not delivered (${outcome.attempts} attempts, last status ${outcome.status ?? 'none'})`);
        }
      }
      if (signal.aborted) return;
      await this.redis.multi().xack(outbox, ANNOUNCERS_GROUP, id).xdel(outbox, id).exec();
    } finally {
      clearInterval(renew);
    }
  }
}
