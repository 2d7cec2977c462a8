/**
 * The structure of a JSON schema with its wording left out: which fields, which of them are
 * required, and what type each holds. A TypeBox schema and the OpenAPI 3.0 rendering of it
 * (@fastify/swagger turns `anyOf [T, null]` into `nullable`, `const` into a one-value `enum`)
 * have the same shape, so comparing shapes finds a field or type that one copy lacks.
 */
export type Shape = string | { const: unknown } | { anyOf: Shape[] } | { array: Shape } | IObjectShape;

interface IObjectShape {
  object: Record<string, Shape>;
  required: string[];
}

type Schema = Record<string, unknown>;

function union(members: Shape[]): Shape {
  const flat = members.flatMap((m) => (typeof m === 'object' && 'anyOf' in m ? m.anyOf : [m]));
  const unique = [...new Map(flat.map((m) => [JSON.stringify(m), m])).entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, m]) => m);
  return unique.length === 1 ? unique[0] : { anyOf: unique };
}

/** The shape of `schema` (TypeBox or OpenAPI 3.0). */
export function shape(schema: unknown): Shape {
  const s = (schema ?? {}) as Schema;
  if (s.nullable === true) {
    const { nullable: _nullable, ...rest } = s;
    return union([shape(rest), 'null']);
  }
  if (Array.isArray(s.anyOf)) return union(s.anyOf.map(shape));
  if ('const' in s) return { const: s.const };
  if (Array.isArray(s.enum)) return union(s.enum.map((value) => ({ const: value })));
  switch (s.type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const object = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, shape(value)]));
      return { object, required: [...((s.required as string[] | undefined) ?? [])].sort() };
    }
    case 'array':
      return { array: shape(s.items) };
    case undefined:
      return 'any';
    default:
      return String(s.type);
  }
}
