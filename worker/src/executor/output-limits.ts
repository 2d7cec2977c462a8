/** How much output the executor keeps (see output-budget.ts). */

/** Bounds on the outputs the executor keeps in the notebook. */
export interface IOutputLimits {
  /**
   * Largest output kept (bytes of its text or data); a longer stream is cut to this, a larger
   * display or result is left out.
   * @defaultValue 20 MiB
   */
  maxOutputBytes?: number;
  /**
   * Most output bytes kept in the whole notebook (outputs cleared by `clear_output` no longer
   * count); later outputs are left out.
   * @defaultValue 50 MiB
   */
  maxNotebookOutputBytes?: number;
  /** How to raise the limits, for the note in the notebook. @defaultValue "raise the executor's output limits" */
  raiseHint?: string;
}
