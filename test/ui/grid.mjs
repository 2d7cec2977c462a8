#!/usr/bin/env node
// UI test of grids and the Results view against the real nbgrid stack (issue 17).
//
// `nbgrid up --workers 2`, a real `jupyter lab` with this tree's extensions, Debian's chromium. As a
// person would: open a papermill-style notebook (alpha, n in its `parameters` cell), click Map; the
// dialog offers the notebook's parameters with their defaults; type 0.1, 0.9 for alpha and
// range(1, 4) for n and see 6 tasks; map; one task (alpha 0.9, n 3) raises. Open the Results view of
// the group: 6 rows, the failed one marked, sort by a column, a chart of a glued value. Screenshots
// (light and dark) go to test-results/ui/grid-*.png.
//
// Run: node test/ui/grid.mjs   (after `npm run build`: the labextension in nbgrid/labextension)
// Runs alone (a stack and JupyterLab of its own) or, with the other UI scenarios, on one shared
// stack and JupyterLab: node test/ui/all.mjs (what `npm run test:ui` runs).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, isMain, MINUTE, RESULTS, runStandalone, waitFor } from './harness.mjs';

const JOB = 'sweep';

function code(source, tags) {
  return { cell_type: 'code', metadata: tags ? { tags } : {}, source, outputs: [], execution_count: null };
}

/** A notebook written for papermill: defaults in the parameters cell, values glued with scrapbook. */
function sweepNotebook() {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    cells: [
      code('alpha = 0.5  # learning rate\nn: int = 10  # steps', ['parameters']),
      code("p = globals().get('job', {'param': {}})['param']\nalpha = p.get('alpha', alpha)\nn = p.get('n', n)"),
      code(
        [
          'import scrapbook as sb',
          "if alpha == 0.9 and n == 3: raise ValueError('diverged')",
          "sb.glue('acc', round(alpha * n, 4))",
          "job['result'] = {'loss': round(alpha / n, 4)}"
        ].join('\n')
      )
    ].map((c, i) => ({ ...c, id: `cell-${i}` }))
  };
}

async function resultRows(page) {
  return page.$$eval('.jp-nbgrid-ResultsTable tbody tr', rows =>
    rows.map(row => ({ failed: row.classList.contains('jp-nbgrid-ResultsRow-failed'), cells: Array.from(row.querySelectorAll('td')).map(td => td.textContent ?? '') }))
  );
}

/** The grid scenario: run by test/ui/all.mjs on the shared session, or alone by this file. */
export const gridScenario = {
  name: 'grid',
  /** Workers of the stack when this file runs alone. */
  workers: 2,
  async run({ sandbox, base, token: TOKEN, page }) {
    writeFileSync(path.join(sandbox.root, `${JOB}.ipynb`), JSON.stringify(sweepNotebook(), null, 1));
    await page.setViewportSize({ width: 1280, height: 900 });
    const pageErrors = [];
    page.on('pageerror', error => pageErrors.push(String(error)));
    await page.goto(`${base}/lab/tree/${JOB}.ipynb?token=${TOKEN}&reset`);
    await page.waitForSelector('.jp-NotebookPanel .jp-Notebook', { timeout: 2 * MINUTE });
    const mapButton = page.locator('.jp-NotebookPanel-toolbar [data-command="nbgrid:map-notebook"]');
    await mapButton.waitFor({ timeout: MINUTE });
    await mapButton.click();

    // 1. The dialog offers the notebook's own parameters, with their defaults.
    await page.waitForSelector('.jp-Dialog tr[data-parameter]', { timeout: MINUTE });
    const offered = await page.$$eval('.jp-Dialog tr[data-parameter]', rows =>
      rows.map(r => [r.getAttribute('data-parameter'), r.querySelector('.jp-nbgrid-ParameterGrid-default')?.textContent])
    );
    check(JSON.stringify(offered) === JSON.stringify([['alpha', '0.5'], ['n', '10']]), `the dialog offers alpha (0.5) and n (10): ${JSON.stringify(offered)}`);
    await page.fill('.jp-Dialog input[aria-label="values of alpha"]', '0.1, 0.9');
    await page.fill('.jp-Dialog input[aria-label="values of n"]', 'range(1, 4)');
    check((await page.textContent('.jp-nbgrid-MapForm-summary')) === '6 tasks', 'a 2 x 3 grid is read as 6 tasks before submitting');
    await page.locator('.jp-Dialog .jp-Dialog-content').screenshot({ path: path.join(RESULTS, 'grid-dialog.png') });
    await page.click('.jp-Dialog .jp-Dialog-button.jp-mod-accept');

    // 2. The six tasks finish: five OK, (0.9, 3) raises.
    await page.waitForSelector('.jp-nbgrid-StatusPanel .jp-nbgrid-Group', { timeout: MINUTE });
    await waitFor(
      'the grid group to finish',
      async () => ((await page.textContent('.jp-nbgrid-Group-count')) ?? '').trim() === '6/6 done',
      5 * MINUTE
    );
    check(/1 failed/.test((await page.textContent('.jp-nbgrid-Group-meta')) ?? ''), 'the group says one task failed');

    // 3. The Results view: 6 rows in parameter order, the failed one marked, sortable, charted.
    await page.click('.jp-nbgrid-Group-actions button:has-text("Results")');
    await page.waitForSelector('.jp-nbgrid-ResultsTable tbody tr', { timeout: MINUTE });
    const headers = await page.$$eval('.jp-nbgrid-ResultsTable thead th', ths => ths.map(th => th.textContent?.trim()));
    check(JSON.stringify(headers.slice(0, 6)) === JSON.stringify(['alpha', 'n', 'loss', 'acc', 'status', 'run_status']), `the table's columns: ${headers.join(', ')}`);
    let rows = await resultRows(page);
    check(rows.length === 6, 'the Results view shows 6 rows');
    check(JSON.stringify(rows.map(r => r.cells.slice(0, 2).join(' '))) === JSON.stringify(['0.1 1', '0.1 2', '0.1 3', '0.9 1', '0.9 2', '0.9 3']), 'rows come in itertools.product order');
    check(rows.filter(r => r.failed).length === 1 && rows[5].failed && rows[5].cells[4] === 'FAILURE', 'the failed task (0.9, 3) is marked');
    await page.click('.jp-nbgrid-ResultsTable th button[title="Sort by acc"]');
    rows = await resultRows(page);
    const acc = rows.map(r => r.cells[3]).filter(Boolean).map(Number);
    check(acc.length === 5 && acc.every((v, i) => i === 0 || acc[i - 1] <= v) && rows[5].failed, `sorted by acc, ascending, no value last: ${acc.join(', ')}`);
    await page.click('.jp-nbgrid-ResultsTable th button[title="Sort by acc"]');
    rows = await resultRows(page);
    const desc = rows.map(r => r.cells[3]).filter(Boolean).map(Number);
    check(desc.every((v, i) => i === 0 || desc[i - 1] >= v), `a second click sorts descending: ${desc.join(', ')}`);
    check((await page.locator('svg.jp-nbgrid-ResultsChart circle').count()) === 5, 'the chart draws the 5 values of loss against alpha');
    await page.selectOption('select[aria-label="value to chart"]', { label: 'acc' });
    await page.selectOption('select[aria-label="parameter of the x axis"]', { label: 'n' });
    check((await page.locator('svg.jp-nbgrid-ResultsChart polyline').count()) === 2, 'acc against n is drawn as one line per alpha');
    const lineFill = await page.$eval('svg.jp-nbgrid-ResultsChart polyline', el => getComputedStyle(el).fill);
    check(lineFill === 'none', `the theme stylesheet applies to the chart (line fill ${lineFill})`);
    const failedBg = await page.$eval('tr.jp-nbgrid-ResultsRow-failed td', el => getComputedStyle(el).backgroundColor);
    check(failedBg !== 'rgba(0, 0, 0, 0)', `the failed row has the theme's error background (${failedBg})`);
    const results = page.locator('.jp-nbgrid-Results').first();
    await results.screenshot({ path: path.join(RESULTS, 'grid-results-light.png') });
    const download = page.waitForEvent('download', { timeout: MINUTE });
    await page.click('.jp-nbgrid-Results button:has-text("Download CSV")');
    const csv = readFileSync(await (await download).path(), 'utf8').split('\r\n');
    check(csv[0].startsWith('alpha,n,loss,acc,status,run_status') && csv.length === 8, `the CSV download has a header and 6 rows (${csv[0]})`);

    await page.evaluate(() => window.jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: MINUTE });
    await page.waitForTimeout(1000);
    await results.screenshot({ path: path.join(RESULTS, 'grid-results-dark.png') });
    await page.evaluate(() => window.jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));

    check(pageErrors.length === 0, `no uncaught page errors${pageErrors.length ? `: ${pageErrors.join('; ')}` : ''}`);
  }
};

if (isMain(import.meta.url)) runStandalone(gridScenario);
