#!/usr/bin/env node
// UI test of the nbgrid JupyterLab extension against the real nbgrid stack.
//
// Starts the stack with `nbgrid up --workers 2` in a fresh NBGRID_HOME, a real `jupyter lab` from
// .venv on a free port with this working tree's labextension and server extension, and Debian's
// chromium through playwright-core. Then, as a person would: open a notebook, click Map, enter
// range(4), watch 4 tasks reach SUCCESS; make parameter 2 fail and Reset (all re-run, one ERROR with
// its message); fix it and Restart (only that task re-runs, turns OK); open a result notebook and see
// its outputs. Screenshots of the panel in light and dark theme go to test-results/ui/.
//
// Run: npm run test:ui   (needs `npm run build` first: the labextension in nbgrid/labextension)
// Runs alone (a stack and JupyterLab of its own) or, with the other UI scenarios, on one shared
// stack and JupyterLab: node test/ui/all.mjs (what `npm run test:ui` runs).
import { unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, isMain, log, MINUTE, RESULTS, runStandalone, squaresNotebook, waitFor } from './harness.mjs';

const JOB = 'grid';

/** Rows of the expanded group of the panel: [{name, taskId, status, runStatus, message}]. */
async function panelRows(page) {
  return page.$$eval('.jp-nbgrid-StatusPanel .jp-nbgrid-Group:first-of-type tbody tr[data-task-name]', rows =>
    rows.map(row => {
      const cells = row.querySelectorAll('td');
      const next = row.nextElementSibling;
      return {
        name: row.getAttribute('data-task-name'),
        taskId: cells[1]?.textContent ?? '',
        status: cells[2]?.textContent ?? '',
        runStatus: cells[3]?.textContent ?? '',
        message: next?.classList.contains('jp-nbgrid-MessageRow') ? next.textContent ?? '' : '',
        hasResult: Boolean(cells[6]?.querySelector('button'))
      };
    })
  );
}

function describeRows(rows) {
  return rows.map(r => `${r.name?.split('/').pop()}:${r.status}/${r.runStatus}`).join(' ');
}

/** The run-ui scenario: run by test/ui/all.mjs on the shared session, or alone by this file. */
export const runUiScenario = {
  name: 'run-ui',
  /** Workers of the stack when this file runs alone. */
  workers: 2,
  async run({ sandbox, stack, base, token: TOKEN, page, dir }) {
    const flagFile = path.join(dir, 'make-param-2-fail');
    writeFileSync(path.join(sandbox.root, `${JOB}.ipynb`), JSON.stringify(squaresNotebook(flagFile), null, 1));
    const config = await (await fetch(`${base}/nbgrid/config?token=${TOKEN}`)).json();
    check(config.api_reachable === true && config.api_url === stack.api_url, 'the server extension reaches the stack');
    check(!JSON.stringify(config).includes(stack.token), 'the service token is not handed to the browser');

    const pageErrors = [];
    page.on('pageerror', error => pageErrors.push(String(error)));

    await page.goto(`${base}/lab/tree/${JOB}.ipynb?token=${TOKEN}&reset`);
    await page.waitForSelector('.jp-NotebookPanel .jp-Notebook', { timeout: 2 * MINUTE });
    const mapButton = page.locator('.jp-NotebookPanel-toolbar [data-command="nbgrid:map-notebook"]');
    await mapButton.waitFor({ timeout: MINUTE });
    check(true, 'the Map button is in the notebook toolbar');

    // 1. Map range(4): 4 tasks reach SUCCESS.
    await mapButton.click();
    const parameters = page.locator('.jp-Dialog .jp-nbgrid-MapForm-parameters');
    await parameters.waitFor({ timeout: MINUTE });
    await page.waitForSelector('.jp-nbgrid-MapForm-workers');
    const workersHint = await page.textContent('.jp-nbgrid-MapForm-workers');
    check(/Live: .*2 workers/.test(workersHint ?? ''), `the dialog lists live worker labels ("${workersHint}")`);
    await parameters.fill('range(4');
    check(/Cannot read the parameters/.test((await page.textContent('.jp-nbgrid-MapForm-error')) ?? ''), 'an invalid parameter text shows an error in the dialog');
    await parameters.fill('range(4)');
    check((await page.textContent('.jp-nbgrid-MapForm-summary')) === '4 tasks', 'range(4) is read as 4 tasks');
    await page.click('.jp-Dialog .jp-Dialog-button.jp-mod-accept');
    await page.waitForSelector('.jp-nbgrid-StatusPanel .jp-nbgrid-TaskTable', { timeout: MINUTE });
    const first = await waitFor(
      '4 tasks SUCCESS/OK',
      async () => {
        const rows = await panelRows(page);
        log(`  ${describeRows(rows)}`);
        return rows.length === 4 && rows.every(r => r.status === 'SUCCESS' && r.runStatus === 'OK') ? rows : null;
      },
      4 * MINUTE
    );
    check(first.length === 4, 'the panel shows 4 tasks of the new group, all SUCCESS and OK');
    check((await page.textContent('.jp-nbgrid-Group-count')) === '4/4 done', 'the group counts 4/4 done');
    await page.waitForFunction(() => document.querySelectorAll('.jp-nbgrid-StatusPanel tbody tr[data-task-name] td:nth-child(7) button').length === 4, null, { timeout: MINUTE });
    check(true, 'every task links its result notebook');

    // 2. Parameter 2 fails; Reset (after confirming) re-runs all four.
    writeFileSync(flagFile, 'fail');
    await page.click('.jp-nbgrid-Group-actions button:has-text("Reset")');
    await page.waitForSelector('.jp-Dialog .jp-Dialog-button.jp-mod-accept', { timeout: MINUTE });
    check(/Reset all tasks/.test((await page.textContent('.jp-Dialog')) ?? ''), 'Reset asks for confirmation first');
    await page.click('.jp-Dialog .jp-Dialog-button.jp-mod-accept');
    const afterReset = await waitFor(
      'reset: 3 OK and parameter 2 ERROR',
      async () => {
        const rows = await panelRows(page);
        log(`  ${describeRows(rows)}`);
        const fresh = rows.every((r, i) => r.taskId !== first[i].taskId);
        const settled = rows.every(r => ['SUCCESS', 'FAILURE'].includes(r.status) && r.runStatus !== 'unknown');
        return rows.length === 4 && fresh && settled ? rows : null;
      },
      4 * MINUTE
    );
    check(afterReset.every((r, i) => r.taskId !== first[i].taskId), 'Reset re-ran every task (new task ids)');
    const bad = afterReset.find(r => r.name.endsWith('-2'));
    check(bad.status === 'FAILURE' && bad.runStatus === 'ERROR', 'the failing parameter shows FAILURE / ERROR');
    check(/param 2 is bad/.test(bad.message), `its message says why ("${bad.message.slice(0, 80)}")`);
    check(afterReset.filter(r => r.runStatus === 'OK').length === 3, 'the other three are OK');

    // Screenshots of the panel with the failed task, light then dark (after the toasts closed).
    const panel = page.locator('.jp-nbgrid-StatusPanelWidget').first();
    await page.waitForTimeout(5000);
    await panel.screenshot({ path: path.join(RESULTS, 'status-panel-light.png') });
    await page.evaluate(() => window.jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: MINUTE });
    await page.waitForTimeout(1000);
    await panel.screenshot({ path: path.join(RESULTS, 'status-panel-dark.png') });
    check(true, 'screenshots saved to test-results/ui/status-panel-{light,dark}.png');

    // 3. Fix it; Restart re-runs only the failed task.
    unlinkSync(flagFile);
    await page.click('.jp-nbgrid-Group-actions button:has-text("Restart")');
    const afterRestart = await waitFor(
      'restart: parameter 2 OK',
      async () => {
        const rows = await panelRows(page);
        log(`  ${describeRows(rows)}`);
        return rows.length === 4 && rows.every(r => r.status === 'SUCCESS' && r.runStatus === 'OK') ? rows : null;
      },
      4 * MINUTE
    );
    for (const [i, row] of afterRestart.entries()) {
      if (row.name.endsWith('-2')) {
        check(row.taskId !== afterReset[i].taskId, 'Restart re-ran the failed task');
      } else {
        check(row.taskId === afterReset[i].taskId, `Restart left ${row.name.split('/').pop()} alone`);
      }
    }
    await page.waitForFunction(() => document.querySelectorAll('.jp-nbgrid-StatusPanel tbody tr[data-task-name] td:nth-child(7) button').length === 4, null, { timeout: MINUTE });

    // 4. Open the result notebook of parameter 3 and see its output.
    const row3 = page.locator('.jp-nbgrid-StatusPanel tbody tr[data-task-name$="-3"]');
    await row3.locator('td:nth-child(7) button').click();
    const output = page.locator('.jp-NotebookPanel:visible .jp-OutputArea-output:has-text("square of 3 is 9")');
    await output.first().waitFor({ timeout: MINUTE });
    const titles = await page.$$eval('.lm-DockPanel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel', tabs =>
      tabs.map(tab => tab.textContent ?? '')
    );
    const title = titles.find(t => t.includes('.ipynb_')) ?? '';
    check(title !== '', `the result notebook opened in a tab ("${title}") and shows "square of 3 is 9"`);
    await page.screenshot({ path: path.join(RESULTS, 'result-notebook-dark.png') });

    // 5. The panel comes back after a reload.
    await page.goto(`${base}/lab?token=${TOKEN}`);
    await page.waitForSelector('.jp-nbgrid-StatusPanel .jp-nbgrid-TaskTable', { timeout: 2 * MINUTE });
    check(true, 'the status panel is restored after a page reload');
    await page.evaluate(() => window.jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Light' }));

    check(pageErrors.length === 0, `no uncaught page errors${pageErrors.length ? `: ${pageErrors.join('; ')}` : ''}`);
  }
};

if (isMain(import.meta.url)) runStandalone(runUiScenario);
