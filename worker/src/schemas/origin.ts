/** Schema of a map's `origin`: which JupyterLab started it, so that JupyterLab alone announces its end. */
import { Type } from '@sinclair/typebox';

/**
 * An opaque id of the JupyterLab (Jupyter server) a map was started from: the nbgrid server
 * extension makes one at start and passes it to its kernels as `NBGRID_LAB_ORIGIN`, whose client
 * sends it. It only routes the done notification to that JupyterLab: it proves nothing and grants
 * nothing (anyone with the token may send any value).
 */
export const OriginSchema = originSchema(
  "Opaque id of the JupyterLab that started the map (letters, digits, '_' or '-', at most 64): its group-done event carries it, so that JupyterLab shows a notification. Not authentication."
);

/** An origin, described for where it is used. */
export function originSchema(description: string) {
  return Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description });
}
