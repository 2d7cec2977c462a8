/**
 * Values a notebook recorded with scrapbook's `sb.glue(name, value)`, read from its outputs without
 * scrapbook: `glue` displays a `display_data` whose data holds one key
 * `application/scrapbook.scrap.<encoder>+json` with `{name, data, encoder, version}`. The `json`
 * and `text` encoders carry the value itself; other encoders (`arrow` for DataFrames, `display`)
 * carry bytes or only a display and are not read here. A later glue of the same name wins, as in
 * scrapbook's `Notebook.scraps`.
 */
import { encodeJson } from '../domain/json-bytes';

/** Prefix of scrapbook's payload mime types. */
export const SCRAP_MIME_PREFIX = 'application/scrapbook.scrap.';

/** The encoders whose payload `data` is the value as JSON. */
const READABLE_ENCODERS = new Set(['json', 'text']);

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The scraps of one output, in the order its data has them. */
function outputScraps(output: JsonObject, into: Map<string, unknown>): void {
  if (output.output_type !== 'display_data' && output.output_type !== 'execute_result') return;
  const data = output.data;
  if (!isObject(data)) return;
  for (const [mime, payload] of Object.entries(data)) {
    if (!mime.startsWith(SCRAP_MIME_PREFIX) || !mime.endsWith('+json')) continue;
    const encoder = mime.slice(SCRAP_MIME_PREFIX.length, -'+json'.length);
    if (!READABLE_ENCODERS.has(encoder) || !isObject(payload)) continue;
    if (typeof payload.name !== 'string' || !('data' in payload)) continue;
    // A name glued again keeps its first place and takes the new value, as scrapbook's dict does.
    into.set(payload.name, payload.data);
  }
}

/**
 * The glued values of a notebook (an nbformat v4 object), `[name, value]` in the order of their
 * first glue (the value of the last); empty when it glued nothing readable.
 */
export function extractScraps(nb: unknown): [string, unknown][] {
  const scraps = new Map<string, unknown>();
  const cells = isObject(nb) && Array.isArray(nb.cells) ? nb.cells : [];
  for (const cell of cells) {
    if (!isObject(cell) || !Array.isArray(cell.outputs)) continue;
    for (const output of cell.outputs) if (isObject(output)) outputScraps(output, scraps);
  }
  return [...scraps.entries()];
}

/** Largest stored scraps of one run; larger ones stay in the result notebook only. @defaultValue 1 MB */
export const MAX_SCRAPS_BYTES = 1024 * 1024;

/**
 * The scraps of a result notebook as the JSON bytes stored with its task (an array of
 * `[name, value]`), or undefined when it glued nothing readable, or more than
 * {@link MAX_SCRAPS_BYTES} (then they are read from the result notebook itself).
 */
export function scrapsBytes(nb: unknown): Buffer | undefined {
  const scraps = extractScraps(nb);
  if (scraps.length === 0) return undefined;
  try {
    const bytes = encodeJson(scraps, 'the glued values');
    return bytes.byteLength > MAX_SCRAPS_BYTES ? undefined : bytes;
  } catch {
    return undefined; // too deep to store: the result notebook still holds them
  }
}
