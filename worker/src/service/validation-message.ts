/** Turns a fastify/ajv validation error into a message that names the field and says what to fix. */
import type { FastifyError, FastifyRequest } from 'fastify';
import { FIELD_HINTS } from '../schemas/common';
import { nameProblem } from '../schemas/name';

interface IAjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Which name a params/querystring field holds, for `nameProblem()`'s wording. */
const NAME_FIELDS: Record<string, Record<string, string>> = {
  params: { '*': 'notebook name', name: 'job name' },
  querystring: { job: 'job filter (?job=)' }
};

function valueAt(root: unknown, segments: string[]): unknown {
  let value = root;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') {
      return undefined;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? text.slice(0, 80) + '…' : text;
}

/** The message for a validation error; falls back to fastify's own. */
export function validationMessage(error: FastifyError, request: FastifyRequest): string {
  const first = (error.validation?.[0] ?? undefined) as IAjvError | undefined;
  if (!first) {
    return error.message;
  }
  const context = error.validationContext ?? 'request';
  const segments = (first.instancePath ?? '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const field = [context, ...segments].join('/');
  const last = segments[segments.length - 1] ?? '';
  const root = (request as unknown as Record<string, unknown>)[context === 'querystring' ? 'query' : context];
  if (context === 'body' && segments.length === 0 && first.keyword === 'type') {
    return "request body must be a JSON object sent with 'Content-Type: application/json'";
  }

  const nameWhat = NAME_FIELDS[context]?.[last];
  if (nameWhat !== undefined && segments.length === 1) {
    const problem = nameProblem(valueAt(root, segments), nameWhat);
    if (problem !== null) {
      return problem;
    }
  }
  const params = first.params ?? {};
  switch (first.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const hint = FIELD_HINTS[missing];
      return `${field}/${missing} is required` + (hint ? `: ${hint}` : '');
    }
    case 'additionalProperties':
      return `${field} has an unknown field '${String(params.additionalProperty)}': check its spelling against GET /api/openapi.json`;
    case 'pattern': {
      const hint = FIELD_HINTS[last];
      return `${field} ${shortJson(valueAt(root, segments))} is not valid` + (hint ? `: ${hint}` : '');
    }
    default: {
      const hint = FIELD_HINTS[last];
      return `${field} ${first.message ?? 'is not valid'}` + (hint ? `: ${hint}` : '');
    }
  }
}
