#!/usr/bin/env node
// UI test of the per-row restart and cancel buttons of the status panel, against the real stack.
//
// `nbgrid up --workers 2`, a real `jupyter lab` with this tree's extensions, Debian's chromium.
// Map range(3); when all are done, restart row 1 (only it gets a new task id and runs again).
// Then make parameter 2 sleep (a flag file), restart row 2 and cancel it while it runs (only it
// turns REVOKED). One task runs at a time, so no worker's prefetched message holds another up.
// Screenshots: test-results/ui/row-actions-{restarted,cancelled}.png.
//
// Run: node test/ui/row-actions.mjs   (after `npm run build`)
// Runs alone (a stack and JupyterLab of its own) or, with the other UI scenarios, on one shared
// stack and JupyterLab: node test/ui/all.mjs (what `npm run test:ui` runs).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, isMain, log, MINUTE, RESULTS, runStandalone, waitFor } from './harness.mjs';

const JOB = 'rows';

function sleepyNotebook(flagFile) {
  const code = (source, tags = []) => ({ cell_type: 'code', execution_count: null, metadata: tags.length ? { tags } : {}, outputs: [], source });
  return {
    cells: [
      code("job = globals().get('job', {'param': 0})", ['parameters']),
      code(`import os, time\nif job['param'] == 2 and os.path.exists(${JSON.stringify(flagFile)}):\n    time.sleep(600)\njob['result'] = job['param']\nprint('done', job['param'])`)
    ],
    metadata: { kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  };
}

async function panelRows(page) {
  return page.$$eval('.jp-nbgrid-StatusPanel .jp-nbgrid-Group:first-of-type tbody tr[data-task-name]', rows =>
    rows.map(row => {
      const cells = row.querySelectorAll('td');
      return { name: row.getAttribute('data-task-name'), taskId: cells[1]?.textContent ?? '', status: cells[2]?.textContent ?? '', runStatus: cells[3]?.textContent ?? '' };
    })
  );
}

const describe = rows => rows.map(r => `${r.name?.split('/').pop()}:${r.status}/${r.runStatus}`).join(' ');

/** The row-actions scenario: run by test/ui/all.mjs on the shared session, or alone by this file. */
export const rowActionsScenario = {
  name: 'row-actions',
  /** Workers of the stack when this file runs alone. */
  workers: 2,
  async run({ sandbox, base, token: TOKEN, page, dir }) {
    const flagFile = path.join(dir, 'make-param-2-sleep');
    writeFileSync(path.join(sandbox.root, `${JOB}.ipynb`), JSON.stringify(sleepyNotebook(flagFile), null, 1));
    const pageErrors = [];
    page.on('pageerror', error => pageErrors.push(String(error)));
    await page.goto(`${base}/lab/tree/${JOB}.ipynb?token=${TOKEN}&reset`);
    await page.waitForSelector('.jp-NotebookPanel .jp-Notebook', { timeout: 2 * MINUTE });
    const mapButton = page.locator('.jp-NotebookPanel-toolbar [data-command="nbgrid:map-notebook"]');
    await mapButton.waitFor({ timeout: MINUTE });
    await mapButton.click();
    const parameters = page.locator('.jp-Dialog .jp-nbgrid-MapForm-parameters');
    await parameters.waitFor({ timeout: MINUTE });
    await parameters.fill('range(3)');
    await page.click('.jp-Dialog .jp-Dialog-button.jp-mod-accept');
    await page.waitForSelector('.jp-nbgrid-StatusPanel .jp-nbgrid-TaskTable', { timeout: MINUTE });

    const first = await waitFor(
      'tasks 0, 1 and 2 SUCCESS/OK',
      async () => {
        const rows = await panelRows(page);
        log(`  ${describe(rows)}`);
        return rows.length === 3 && rows.every(r => r.status === 'SUCCESS' && r.runStatus === 'OK') ? rows : null;
      },
      4 * MINUTE
    );
    const row = i => page.locator(`.jp-nbgrid-StatusPanel tbody tr[data-task-name$="-${i}"]`);
    check((await row(0).locator('.jp-nbgrid-RowAction-cancel').isDisabled()) === true, 'a finished row offers no cancel');

    // Restart row 1: only it gets a new task id and runs again.
    await row(1).locator('.jp-nbgrid-RowAction-restart').click();
    const restarted = await waitFor(
      'row 1 restarted and OK again',
      async () => {
        const rows = await panelRows(page);
        log(`  ${describe(rows)}`);
        return rows[1].taskId !== first[1].taskId && rows[1].status === 'SUCCESS' && rows[1].runStatus === 'OK' ? rows : null;
      },
      4 * MINUTE
    );
    check(restarted[0].taskId === first[0].taskId && restarted[2].taskId === first[2].taskId, 'restarting row 1 left rows 0 and 2 alone');
    await page.waitForTimeout(4500); // the toast closes before the screenshot
    const panel = page.locator('.jp-nbgrid-StatusPanelWidget').first();
    await panel.screenshot({ path: path.join(RESULTS, 'row-actions-restarted.png') });

    // Parameter 2 now sleeps: restart row 2, and cancel it while it runs; only it turns REVOKED.
    writeFileSync(flagFile, 'sleep');
    await row(2).locator('.jp-nbgrid-RowAction-restart').click();
    const running = await waitFor(
      'row 2 running again',
      async () => {
        const rows = await panelRows(page);
        log(`  ${describe(rows)}`);
        return rows[2].taskId !== first[2].taskId && rows[2].status === 'STARTED' ? rows : null;
      },
      4 * MINUTE
    );
    check((await row(2).locator('.jp-nbgrid-RowAction-cancel').isDisabled()) === false, 'a running row offers cancel');
    await row(2).locator('.jp-nbgrid-RowAction-cancel').click();
    const cancelled = await waitFor(
      'row 2 REVOKED',
      async () => {
        const rows = await panelRows(page);
        log(`  ${describe(rows)}`);
        return rows[2].status === 'REVOKED' ? rows : null;
      },
      2 * MINUTE
    );
    check(cancelled[0].status === 'SUCCESS' && cancelled[1].status === 'SUCCESS', 'cancelling row 2 left rows 0 and 1 SUCCESS');
    check(cancelled[2].taskId === running[2].taskId, 'the cancelled row keeps its task id');
    await page.waitForTimeout(4500);
    await page.evaluate(() => window.jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: MINUTE });
    await page.waitForTimeout(1000);
    await panel.screenshot({ path: path.join(RESULTS, 'row-actions-cancelled.png') });
    check(true, 'screenshots saved to test-results/ui/row-actions-{restarted,cancelled}.png');
    await page.evaluate(() => window.jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));
    check(pageErrors.length === 0, `no uncaught page errors${pageErrors.length ? `: ${pageErrors.join('; ')}` : ''}`);
  }
};

if (isMain(import.meta.url)) runStandalone(rowActionsScenario);
