#!/usr/bin/env node
// UI test of the reduce step against the real nbgrid stack: store a reduce notebook `summary`,
// open a notebook, click Map, enter range(3) and `summary` as the notebook to run then, and watch
// the panel: the 3 tasks reach SUCCESS, then the group's reduce row (marked "reduce") appears and
// runs after them, ends SUCCESS with a result link, and its result notebook shows the sum of the
// squares. Screenshots: test-results/ui/reduce-*.png.
//
// Run: node test/ui/reduce.mjs   (needs `npm run build` and the worker built)
// Runs alone (a stack and JupyterLab of its own) or, with the other UI scenarios, on one shared
// stack and JupyterLab: node test/ui/all.mjs (what `npm run test:ui` runs).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, isMain, log, MINUTE, RESULTS, runStandalone, squaresNotebook, waitFor } from './harness.mjs';

const JOB = 'squares';

/** The reduce notebook: waits a little (so it is seen running), then sums the results. */
function summaryNotebook() {
  const code = (source, tags = []) => ({ cell_type: 'code', execution_count: null, metadata: tags.length ? { tags } : {}, outputs: [], source });
  return {
    cells: [
      code("job = globals().get('job', {'results': []})", ['parameters']),
      code("import time\ntime.sleep(6)\ntotal = sum(r for r in job['results'] if r is not None)\nprint('sum of squares is', total)\njob['result'] = total")
    ],
    metadata: { kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 4
  };
}

/** Rows of the first group of the panel: [{name, status, runStatus, reduce, hasResult}]. */
async function panelRows(page) {
  return page.$$eval('.jp-nbgrid-StatusPanel .jp-nbgrid-Group:first-of-type tbody tr[data-task-name]', rows =>
    rows.map(row => {
      const cells = row.querySelectorAll('td');
      return {
        name: row.getAttribute('data-task-name'),
        status: cells[2]?.textContent ?? '',
        runStatus: cells[3]?.textContent ?? '',
        reduce: Boolean(row.querySelector('.jp-nbgrid-Mark-reduce')),
        hasResult: Boolean(cells[6]?.querySelector('button'))
      };
    })
  );
}

const describe = rows => rows.map(r => `${r.name?.split('/').pop()}${r.reduce ? '(reduce)' : ''}:${r.status}/${r.runStatus}`).join(' ');

/** The reduce scenario: run by test/ui/all.mjs on the shared session, or alone by this file. */
export const reduceScenario = {
  name: 'reduce',
  /** Workers of the stack when this file runs alone. */
  workers: 2,
  async run({ sandbox, stack, base, token: TOKEN, page }) {
    writeFileSync(path.join(sandbox.root, `${JOB}.ipynb`), JSON.stringify(squaresNotebook('/nonexistent'), null, 1));
    const headers = { Authorization: `token ${stack.token}`, 'Content-Type': 'application/json' };
    const put = await fetch(`${stack.api_url}/api/notebooks/summary`, { method: 'PUT', headers, body: JSON.stringify({ content: summaryNotebook() }) });
    check(put.ok, `the reduce notebook summary is stored (${put.status} ${put.ok ? '' : await put.text()})`);
    await waitFor('two live workers', async () => (await (await fetch(`${stack.api_url}/api/workers`, { headers })).json()).workers.length >= 2, 2 * MINUTE);

    const pageErrors = [];
    page.on('pageerror', error => pageErrors.push(String(error)));
    await page.goto(`${base}/lab/tree/${JOB}.ipynb?token=${TOKEN}&reset`);
    await page.waitForSelector('.jp-NotebookPanel .jp-Notebook', { timeout: 2 * MINUTE });
    const mapButton = page.locator('.jp-NotebookPanel-toolbar [data-command="nbgrid:map-notebook"]');
    await mapButton.waitFor({ timeout: MINUTE });
    await mapButton.click();
    await page.locator('.jp-Dialog .jp-nbgrid-MapForm-parameters').fill('range(3)');
    await page.locator('.jp-Dialog .jp-nbgrid-MapForm-then').fill('summary');
    check(await page.locator('.jp-Dialog input[name="cache"]').isVisible(), 'the dialog offers the cache checkbox');
    await page.locator('.jp-Dialog').screenshot({ path: path.join(RESULTS, 'reduce-map-dialog.png') });
    await page.click('.jp-Dialog .jp-Dialog-button.jp-mod-accept');
    await page.waitForSelector('.jp-nbgrid-StatusPanel .jp-nbgrid-TaskTable', { timeout: MINUTE });

    const running = await waitFor(
      'the 3 tasks SUCCESS and the reduce row running after them',
      async () => {
        const rows = await panelRows(page);
        log(`  ${describe(rows)}`);
        const tasks = rows.filter(r => !r.reduce);
        const reduce = rows.find(r => r.reduce);
        return tasks.length === 3 && tasks.every(r => r.status === 'SUCCESS') && reduce && ['PENDING', 'STARTED'].includes(reduce.status) ? rows : null;
      },
      4 * MINUTE
    );
    check(running[3].reduce && /^tasks\/summary\//.test(running[3].name), `the reduce row comes last, after the tasks (${running[3].name})`);
    await page.locator('.jp-nbgrid-StatusPanelWidget').first().screenshot({ path: path.join(RESULTS, 'reduce-running.png') });

    const done = await waitFor(
      'the reduce row SUCCESS with a result link',
      async () => {
        const rows = await panelRows(page);
        log(`  ${describe(rows)}`);
        const reduce = rows.find(r => r.reduce);
        return reduce && reduce.status === 'SUCCESS' && reduce.runStatus === 'OK' && reduce.hasResult ? rows : null;
      },
      4 * MINUTE
    );
    check(done.filter(r => r.reduce).length === 1, 'exactly one reduce row, SUCCESS / OK, with its result link');
    await page.waitForTimeout(3000);
    await page.locator('.jp-nbgrid-StatusPanelWidget').first().screenshot({ path: path.join(RESULTS, 'reduce-done.png') });

    await page.locator('.jp-nbgrid-StatusPanel tbody tr:has(.jp-nbgrid-Mark-reduce) td:nth-child(7) button').click();
    await page.locator('.jp-NotebookPanel:visible .jp-OutputArea-output:has-text("sum of squares is 5")').first().waitFor({ timeout: MINUTE });
    check(true, 'the reduce result notebook opens and shows "sum of squares is 5" (0 + 1 + 4)');
    await page.screenshot({ path: path.join(RESULTS, 'reduce-result-notebook.png') });
    const results = await (await fetch(`${stack.api_url}/api/jobs/${JOB}/results`, { headers })).json();
    check(results.reduced === 5, `results() has reduced = 5 (got ${JSON.stringify(results.reduced)})`);
    check(pageErrors.length === 0, `no uncaught page errors${pageErrors.length ? `: ${pageErrors.join('; ')}` : ''}`);
  }
};

if (isMain(import.meta.url)) runStandalone(reduceScenario);
