/**
 * A JSON value as the executor reads it back from a kernel. The executor keeps its own type (the
 * same shape as the domain's) so it depends on nothing outside this folder.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
