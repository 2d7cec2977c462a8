/** A Python `repr()` of a JSON value, for the `argsrepr`/`kwargsrepr` headers Flower and logs show. */
export function pythonRepr(value: unknown, maxLength = 1024): string {
  const text = repr(value);
  return text.length > maxLength ? `${text.slice(0, maxLength - 3)}...` : text;
}

function repr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return String(value);
  }
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (Array.isArray(value)) return `[${value.map(repr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${repr(k)}: ${repr(v)}`).join(', ')}}`;
  }
  return repr(String(value));
}
