/** Whether a name can be a Python variable: an identifier that is not a keyword. */

/** Python 3's hard keywords (`keyword.kwlist`): assigning to one is a SyntaxError. */
export const PYTHON_KEYWORDS: ReadonlySet<string> = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del',
  'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal',
  'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield'
]);

// str.isidentifier(): XID_Start (or _) then XID_Continue, approximated by their Unicode categories.
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;

/** `name.isidentifier() and not keyword.iskeyword(name)`: a name an assignment `name = ...` can take. */
export function isPythonVariable(name: string): boolean {
  return IDENTIFIER.test(name) && !PYTHON_KEYWORDS.has(name);
}
