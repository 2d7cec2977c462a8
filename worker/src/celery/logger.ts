/** Where the Celery layer reports what it skipped or survived. Compatible with pino/fastify loggers' (obj, msg) form. */
export interface ICeleryLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Default logger: warnings and errors to stderr, info dropped. */
export const stderrLogger: ICeleryLogger = {
  info: () => undefined,
  warn: (fields, message) => process.stderr.write(`[nbgrid.celery] WARN ${message} ${safeJson(fields)}\n`),
  error: (fields, message) => process.stderr.write(`[nbgrid.celery] ERROR ${message} ${safeJson(fields)}\n`)
};

function safeJson(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : v));
  } catch {
    return '';
  }
}
