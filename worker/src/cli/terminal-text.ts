/**
 * Text the CLI prints comes partly from notebooks and users: names, an error's `ename: evalue`,
 * returned values, warnings. A notebook that raises `ValueError('\x1b]0;pwned\x07\x1b[2J')`
 * must not retitle or clear the terminal of whoever runs `nbgrid status`, so every printer passes
 * such text through `terminalSafe` (human-readable text) or `terminalJson` (JSON output).
 */

/**
 * Escape sequences as terminals parse them, removed whole so no half of one is left printing:
 * - CSI `ESC [` params intermediates final (cursor moves, colours, clearing), 8-bit form U+009B;
 * - OSC/DCS/SOS/PM/APC strings `ESC ] P X ^ _` up to BEL or ST (titles, hyperlinks, clipboard),
 *   8-bit forms U+009D U+0090 U+0098 U+009E U+009F; an unterminated one runs to the end, as a
 *   terminal would swallow the rest;
 * - any other `ESC` plus intermediates and a final byte (`ESC c` resets the terminal).
 */
const ESCAPE_SEQUENCE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point here
  /\x1b\[[0-?]*[ -/]*[@-~]?|\x9b[0-?]*[ -/]*[@-~]?|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c|$)|\x1b[ -/]*[0-~]?/g;

/** C0 controls but tab and newline (carriage return and backspace overwrite what is shown), DEL, C1 controls. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * `text` without terminal escape sequences and control characters; `\n` and `\t` stay.
 * @example terminalSafe('ValueError: \x1b[2Jgone\r') === 'ValueError: gone'
 */
export function terminalSafe(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}

/**
 * Writes one log line of the service, a worker or `up` to `out`: log lines carry names, kernel
 * names and messages from users and notebooks, so they go through {@link terminalSafe}.
 */
export function writeLogLine(out: { write(text: string): unknown }, line: string, indent = ''): void {
  out.write(`${indent}${terminalSafe(line)}\n`);
}

/** `terminalSafe` for one line of a table: newlines and tabs become spaces. */
export function terminalLine(text: string): string {
  return terminalSafe(text).replace(/[\n\t]/g, ' ');
}

/** Characters JSON.stringify leaves raw that a terminal would act on: DEL and the C1 controls. */
const RAW_IN_JSON = /[\x7f-\x9f]/g;

/**
 * `JSON.stringify(value, null, space)` safe for a terminal and still the same JSON value: the
 * controls JSON.stringify keeps raw are written as `\u` escapes instead of being removed.
 */
export function terminalJson(value: unknown, space?: number): string {
  return (JSON.stringify(value, null, space) ?? 'null').replace(RAW_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
