/**
 * A MongoDB connection whose calls turn "MongoDB cannot be reached" into ServiceUnavailableError,
 * so the API answers 503 instead of a 500 with driver internals.
 */
import {
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type Db
} from 'mongodb';
import { ServiceUnavailableError } from '../domain/errors';

export interface IMongoConnectionOptions {
  /** Database name. @defaultValue the database in the URL, else `nbgrid` */
  dbName?: string;
  /** How long to look for a server before giving up. @defaultValue 5000 */
  serverSelectionTimeoutMS?: number;
  /** Emit the driver's command events on `client` (tests count the commands an operation sends). @defaultValue false */
  monitorCommands?: boolean;
}

/** True for driver errors that mean the server is unreachable, not that the request was wrong. */
export function isUnavailable(err: unknown): boolean {
  return (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoTopologyClosedError ||
    err instanceof MongoNotConnectedError
  );
}

function unavailable(err: unknown): ServiceUnavailableError {
  const detail = err instanceof Error ? err.message : String(err);
  return new ServiceUnavailableError(`MongoDB is unreachable (${detail}); retry when it is back`, { cause: err });
}

function dbNameOf(url: string): string | undefined {
  const m = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]+)/.exec(url);
  return m ? decodeURIComponent(m[1]) : undefined;
}

export class MongoConnection {
  private closed = false;
  private ferret: Promise<boolean> | null = null;

  private constructor(
    readonly client: MongoClient,
    readonly db: Db
  ) {}

  /** Connect (and check the server answers). @throws ServiceUnavailableError when it does not */
  static async connect(url: string, options: IMongoConnectionOptions = {}): Promise<MongoConnection> {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000, monitorCommands: options.monitorCommands ?? false });
    try {
      await client.connect();
    } catch (err) {
      await client.close().catch(() => undefined);
      throw isUnavailable(err) ? unavailable(err) : err;
    }
    return new MongoConnection(client, client.db(options.dbName ?? dbNameOf(url) ?? 'nbgrid'));
  }

  /** Run `fn`, mapping unreachable-server errors to ServiceUnavailableError. */
  async run<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    try {
      return await fn(this.db);
    } catch (err) {
      throw isUnavailable(err) ? unavailable(err) : err;
    }
  }

  /**
   * Whether the server is FerretDB (its `buildInfo` says `ferretdbVersion`): there a query on
   * anything but `_id` reads every document of the collection, so reads of many known documents
   * go by `_id` instead (asked once).
   */
  isFerretDb(): Promise<boolean> {
    this.ferret ??= this.run((db) => db.admin().command({ buildInfo: 1 })).then(
      (info) => typeof info.ferretdbVersion === 'string',
      (err: unknown) => {
        this.ferret = null;
        throw err;
      }
    );
    return this.ferret;
  }

  /**
   * Round trip to the server (for health checks and the worker's MongoDB probe). With `timeoutMs`,
   * a ping that gets no answer in time is aborted, and the driver closes the connection it was
   * waiting on: a server that accepted the connection but never answers (hung, or its host
   * paused) does not leave one checked-out connection per probe behind, each of which would wait
   * for ever (the driver's `socketTimeoutMS` is 0), until the pool is used up and even the probe
   * that should see MongoDB back can no longer get a connection.
   * @throws ServiceUnavailableError when the server cannot be reached or did not answer in time
   */
  async ping(timeoutMs?: number): Promise<void> {
    if (timeoutMs === undefined) {
      await this.run((db) => db.command({ ping: 1 }));
      return;
    }
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      await this.run((db) => db.command({ ping: 1 }, { signal }));
    } catch (err) {
      if (signal.aborted) throw unavailable(new Error(`no answer to a ping within ${timeoutMs} ms`));
      throw err;
    }
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }
}
