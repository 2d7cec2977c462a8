/**
 * The nbgrid job of a notebook: its local Jupyter path (no drive prefix) without `.ipynb`,
 * e.g. `reports/monthly.ipynb` → `reports/monthly`.
 */
export function jobName(localPath: string): string {
  return localPath.replace(/^\/+/, '').replace(/\.ipynb$/i, '');
}
