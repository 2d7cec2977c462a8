/**
 * A local file name for a stored notebook: the last segment of its name, with the characters a
 * filesystem refuses (Windows and macOS refuse `:`, Windows also `\ / * ? " < > |` and control
 * characters) turned into `-`, ending in `.ipynb`. A result notebook's name holds a time
 * (`..._2024-05-01T10:00:00.000Z.ipynb`), which is where the `:` come from.
 *
 * @example safeFileName('results/tasks/main/cc1a3388-0.ipynb_2024-05-01T10:00:00.000Z.ipynb')
 *   === 'cc1a3388-0.ipynb_2024-05-01T10-00-00.000Z.ipynb'
 */
export function safeFileName(name: string): string {
  const last = name.split('/').filter((s) => s !== '').pop() ?? 'notebook';
  // eslint-disable-next-line no-control-regex
  let safe = last.replace(/[\u0000-\u001f\u007f:*?"<>|\\]/g, '-');
  // Windows also refuses names ending in a dot or a space
  safe = safe.replace(/[. ]+$/, '');
  if (safe === '' || safe === '.' || safe === '..') safe = 'notebook';
  return safe.endsWith('.ipynb') ? safe : `${safe}.ipynb`;
}
