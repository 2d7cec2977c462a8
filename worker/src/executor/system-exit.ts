/**
 * papermill's rule for `SystemExit` (its `raise_for_execution_errors`): `sys.exit()`,
 * `sys.exit(0)` and `raise SystemExit` end the run where they are, cleanly: the following cells
 * are not run and the run is OK. Any other exit value (`sys.exit(1)`, `sys.exit('why')`) is an
 * error, as any exception. IPython catches the exception and replies `status: 'error'` with
 * `ename` `SystemExit` and `evalue` `str(exc)`: `''` for no argument, `'0'` for 0.
 */

/** Whether a cell's error reply is a clean exit: ends the run, not as a failure. */
export function isCleanSystemExit(ename: unknown, evalue: unknown): boolean {
  return ename === 'SystemExit' && (evalue === '' || evalue === '0');
}
