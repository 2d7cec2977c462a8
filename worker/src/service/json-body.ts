/** The JSON body parser: says where the JSON is broken, and refuses prototype-poisoning keys like fastify's own. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../domain/errors';

const SUSPICIOUS = /"(?:__proto__|constructor)"\s*:/;

function rejectPoisoning(key: string, value: unknown): unknown {
  if (key === '__proto__') {
    throw new SyntaxError("the key '__proto__' is not allowed");
  }
  if (key === 'constructor' && value !== null && typeof value === 'object' && Object.hasOwn(value, 'prototype')) {
    throw new SyntaxError("the key 'constructor.prototype' is not allowed");
  }
  return value;
}

/** Parses a JSON body; the reviver only runs when a suspicious key appears, large notebooks stay fast. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) {
    throw new InvalidInputError(
      'request body is empty but Content-Type is application/json: send a JSON object (e.g. {}) or drop the header'
    );
  }
  try {
    return SUSPICIOUS.test(text) ? (JSON.parse(text, rejectPoisoning) as unknown) : (JSON.parse(text) as unknown);
  } catch (error: unknown) {
    throw new InvalidInputError(`request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Replaces fastify's JSON parser and drops its text/plain parser (every body here is JSON). */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      try {
        done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
      } catch (error: unknown) {
        done(error as Error, undefined);
      }
    }
  );
}
