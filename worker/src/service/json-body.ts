/**
 * The JSON body parser: UTF-8 only (a declared other charset is refused before the body is read,
 * bytes that are not UTF-8 are refused rather than replaced), and says where the JSON is broken.
 *
 * Keys such as `__proto__`, `constructor` and `prototype` are data: `JSON.parse` creates them as
 * own properties without touching any prototype, and every later copy of a parameter or a
 * notebook (spread, `structuredClone`, the serializers) keeps them as own properties too. Code
 * that copies parsed values must not use `Object.assign` or a recursive merge into a plain object.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../domain/errors';
import { errorBody } from './error-handler';

const UTF8_NAMES = new Set(['utf-8', 'utf8']);

/**
 * The text each parsed body object was parsed from, for routes that keep values exactly as sent
 * (the parameters of a map: see `jsonArrayElements`). Held only as long as the body object.
 */
const SOURCES = new WeakMap<object, string>();

/** The JSON text `body` (a request body this parser made) was parsed from, if it is an object or array. */
export function bodySource(body: unknown): string | undefined {
  return typeof body === 'object' && body !== null ? SOURCES.get(body) : undefined;
}

/**
 * The `charset` parameter of a Content-Type header, lower-cased and unquoted, or `undefined`.
 * @example declaredCharset('application/json; charset="Latin1"') === 'latin1'
 */
export function declaredCharset(contentType: string | undefined): string | undefined {
  if (contentType === undefined) {
    return undefined;
  }
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq >= 0 && param.slice(0, eq).trim().toLowerCase() === 'charset') {
      return param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
    }
  }
  return undefined;
}

/** The 415 message for a body declared in another charset than UTF-8, or `null` when it is acceptable. */
export function charsetProblem(contentType: string | undefined): string | null {
  const charset = declaredCharset(contentType);
  if (charset === undefined || UTF8_NAMES.has(charset)) {
    return null;
  }
  return (
    `request body declares charset ${JSON.stringify(charset)}, but nbgrid reads JSON only as UTF-8 (RFC 8259): ` +
    "encode the body as UTF-8 and send 'Content-Type: application/json' (or 'application/json; charset=utf-8')"
  );
}

/** Parses a JSON body given as text. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) {
    throw new InvalidInputError(
      'request body is empty but Content-Type is application/json: send a JSON object (e.g. {}) or drop the header'
    );
  }
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null) SOURCES.set(body, text);
    return body;
  } catch (error: unknown) {
    throw new InvalidInputError(`request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Parses a JSON body given as bytes; refuses bytes that are not UTF-8 instead of replacing them with U+FFFD. */
export function parseJsonBytes(bytes: Buffer): unknown {
  if (!isUtf8(bytes)) {
    throw new InvalidInputError(
      'request body is not valid UTF-8 (Latin-1 or another encoding?): nbgrid reads JSON only as UTF-8; re-encode the body as UTF-8'
    );
  }
  return parseJsonBody(bytes.toString('utf8'));
}

/** Replaces fastify's JSON parser and drops its text/plain parser (every body here is JSON). */
export function registerJsonBody(app: FastifyInstance): void {
  // Checked before the body is read: a 60 MB body in the wrong charset is not worth receiving.
  app.addHook('preParsing', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    const problem = charsetProblem(request.headers['content-type']);
    if (problem !== null) {
      // Answered here; not calling done() ends the request's lifecycle.
      void reply.code(415).send(errorBody(415, problem));
      return;
    }
    done(null, payload);
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      try {
        done(null, typeof body === 'string' ? parseJsonBody(body) : parseJsonBytes(body));
      } catch (error: unknown) {
        done(error as Error, undefined);
      }
    }
  );
}
