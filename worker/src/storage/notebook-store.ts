/**
 * Main notebooks and result notebooks. Their content lives in the blob store; these collections
 * hold the names and query fields.
 */
import type { Db } from 'mongodb';
import { NotFoundError } from '../domain/errors';
import { decodeJson, encodeJson } from '../domain/json-bytes';
import type { IMainNotebook, INotebookRepository } from '../domain/notebook-repository';
import type { INotebookInfo } from '../domain/types';
import { kernelLanguage } from '../notebooks/inject-parameters';
import type { BlobStore } from './blob-store';
import { isDuplicateKey } from './blob-store';
import { Collections } from './collections';
import type { INotebookDoc, IResultDoc } from './documents';
import type { MongoConnection } from './mongo-connection';

/** `^<prefix>` as a literal-prefix regular expression. */
export function prefixRegex(prefix: string): RegExp {
  return new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`);
}

function info(doc: { _id: string; sha256: string; size: number; created: string; modified?: string }): INotebookInfo {
  return { name: doc._id, sha256: doc.sha256, size: doc.size, created: doc.created, modified: doc.modified ?? doc.created };
}

export class NotebookStore implements INotebookRepository {
  constructor(
    private readonly conn: MongoConnection,
    private readonly blobs: BlobStore
  ) {}

  private notebooks(db: Db) {
    return db.collection<INotebookDoc>(Collections.notebooks);
  }

  private results(db: Db) {
    return db.collection<IResultDoc>(Collections.results);
  }

  /** Store a main notebook (already validated) under `name`, replacing an earlier version. */
  async put(name: string, content: Record<string, unknown>): Promise<INotebookInfo> {
    const bytes = encodeJson(content, 'notebook');
    const { sha256, size } = await this.blobs.put(bytes);
    const { language, kernel } = kernelLanguage(content);
    const now = new Date().toISOString();
    const doc = await this.conn.run((db) =>
      this.notebooks(db).findOneAndUpdate(
        { _id: name },
        { $set: { sha256, size, language, kernel, modified: now }, $setOnInsert: { created: now } },
        { upsert: true, returnDocument: 'after' }
      )
    );
    return doc ? info(doc) : { name, sha256, size, created: now, modified: now };
  }

  /** The stored record of a main notebook, or null. */
  private async find(name: string): Promise<INotebookDoc | null> {
    return this.conn.run((db) => this.notebooks(db).findOne({ _id: name }));
  }

  /** A main notebook's record without its content. @throws NotFoundError */
  async describe(name: string): Promise<IMainNotebook> {
    const doc = await this.find(name);
    if (!doc) throw notebookNotFound(name);
    return { ...info(doc), language: doc.language, kernel: doc.kernel };
  }

  /** A main notebook with its content. @throws NotFoundError */
  async get(name: string): Promise<INotebookInfo & { content: unknown }> {
    const doc = await this.find(name);
    if (!doc) throw notebookNotFound(name);
    return { ...info(doc), content: decodeJson(await this.blobs.get(doc.sha256)) };
  }

  async list(prefix: string): Promise<INotebookInfo[]> {
    const docs = await this.conn.run((db) =>
      this.notebooks(db)
        .find(prefix ? { _id: { $regex: prefixRegex(prefix) } } : {})
        .sort({ _id: 1 })
        .toArray()
    );
    return docs.map(info);
  }

  /** @throws NotFoundError */
  async delete(name: string): Promise<void> {
    const res = await this.conn.run((db) => this.notebooks(db).deleteOne({ _id: name }));
    if (res.deletedCount === 0) throw notebookNotFound(name);
  }

  /** Store a result notebook; storing the same name twice keeps the first. */
  async putResult(doc: Omit<IResultDoc, 'sha256' | 'size' | 'created'>, content: unknown): Promise<void> {
    const { sha256, size } = await this.blobs.put(encodeJson(content, 'result notebook'));
    await this.conn.run(async (db) => {
      try {
        await this.results(db).insertOne({ ...doc, sha256, size, created: new Date().toISOString() });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    });
  }

  /** A result notebook with its content. @throws NotFoundError */
  async getResult(name: string): Promise<INotebookInfo & { content: unknown }> {
    const doc = await this.conn.run((db) => this.results(db).findOne({ _id: name }));
    if (!doc) throw new NotFoundError(`result notebook '${name}' does not exist; job.status() (nbgrid status <job>) names each task's result notebook`);
    return { ...info(doc), content: decodeJson(await this.blobs.get(doc.sha256)) };
  }

  async listResults(prefix: string): Promise<INotebookInfo[]> {
    const docs = await this.conn.run((db) =>
      this.results(db)
        .find(prefix ? { _id: { $regex: prefixRegex(prefix) } } : {})
        .sort({ _id: 1 })
        .toArray()
    );
    return docs.map(info);
  }

  /** @throws NotFoundError */
  async deleteResult(name: string): Promise<void> {
    const res = await this.conn.run((db) => this.results(db).deleteOne({ _id: name }));
    if (res.deletedCount === 0) throw new NotFoundError(`result notebook '${name}' does not exist`);
  }
}

/**
 * The 404 for a missing main notebook, saying how to store it in words every client's user can
 * follow (the Python client, the CLI, JupyterLab), not in terms of one client's REST route.
 */
export function notebookNotFound(name: string): NotFoundError {
  return new NotFoundError(`notebook '${name}' does not exist; store it first: om.jobs.put(<notebook>, '${name}') (nbgrid put <file> ${name})`);
}
