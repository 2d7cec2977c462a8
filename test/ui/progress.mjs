#!/usr/bin/env node
// UI test of live progress (issue 16) against the real nbgrid stack: a map of a notebook with three
// 2 s cells; the status panel shows a cells bar per running task that advances and an output tail,
// the notebook so far opens read-only; with the panel closed, a notification says the map finished
// with its OK / ERROR counts and its button opens the panel. Screenshots go to test-results/ui/progress-*.png.
//
// Run: node test/ui/progress.mjs   (needs `npm run build` first: the labextension and worker/dist)
// Runs alone (a stack and JupyterLab of its own) or, with the other UI scenarios, on one shared
// stack and JupyterLab: node test/ui/all.mjs (what `npm run test:ui` runs).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, isMain, log, MINUTE, RESULTS, runStandalone, waitFor } from './harness.mjs';

const JOB = 'steps';

function stepsNotebook() {
  const code = (source, tags = []) => ({ cell_type: 'code', execution_count: null, metadata: tags.length ? { tags } : {}, outputs: [], source });
  return {
    cells: [
      code("job = globals().get('job', {'param': 9})", ['parameters']),
      code("import time\nprint('step 1 of task', job['param'], flush=True)\ntime.sleep(2)"),
      code("print('step 2 of task', job['param'], flush=True)\ntime.sleep(2)"),
      code("print('step 3 of task', job['param'], flush=True)\ntime.sleep(2)\njob['result'] = job['param']")
    ],
    metadata: { kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  };
}

/** Cells bars of the panel: [{name, done, total}]. */
async function bars(page) {
  return page.$$eval('.jp-nbgrid-TaskProgress', nodes =>
    nodes.map(node => {
      const bar = node.querySelector('.jp-nbgrid-CellBar');
      return { name: node.getAttribute('data-task-progress'), done: Number(bar?.getAttribute('aria-valuenow')), total: Number(bar?.getAttribute('aria-valuemax')) };
    })
  );
}

/** The progress scenario: run by test/ui/all.mjs on the shared session, or alone by this file. */
export const progressScenario = {
  name: 'progress',
  /** Workers of the stack when this file runs alone. */
  workers: 2,
  async run({ sandbox, base, token: TOKEN, page }) {
    writeFileSync(path.join(sandbox.root, `${JOB}.ipynb`), JSON.stringify(stepsNotebook(), null, 1));
    const pageErrors = [];
    page.on('pageerror', error => pageErrors.push(String(error)));
    await page.goto(`${base}/lab/tree/${JOB}.ipynb?token=${TOKEN}&reset`);
    await page.waitForSelector('.jp-NotebookPanel .jp-Notebook', { timeout: 2 * MINUTE });
    const mapButton = page.locator('.jp-NotebookPanel-toolbar [data-command="nbgrid:map-notebook"]');
    await mapButton.waitFor({ timeout: MINUTE });

    // Map range(4): four tasks on two workers, three 2 s cells each.
    await mapButton.click();
    const parameters = page.locator('.jp-Dialog .jp-nbgrid-MapForm-parameters');
    await parameters.waitFor({ timeout: MINUTE });
    await parameters.fill('range(4)');
    await page.click('.jp-Dialog .jp-Dialog-button.jp-mod-accept');
    await page.waitForSelector('.jp-nbgrid-StatusPanel .jp-nbgrid-TaskTable', { timeout: MINUTE });

    // The cells bars advance.
    const seen = new Map();
    await waitFor(
      'a task whose cells bar advanced',
      async () => {
        for (const bar of await bars(page)) {
          const values = seen.get(bar.name) ?? new Set();
          values.add(bar.done);
          seen.set(bar.name, values);
        }
        log(`  bars: ${[...seen].map(([n, v]) => `${n?.split('/').pop()}:${[...v].join(',')}`).join(' ')}`);
        return [...seen.values()].some(v => v.size >= 2);
      },
      3 * MINUTE
    );
    const [first] = await bars(page);
    check(first && first.total === 5, `a running task shows a cells bar of 5 cells (parameters, injected, three steps) (${JSON.stringify(first)})`);
    check([...seen.values()].some(v => v.size >= 2), 'the cells bar advanced while the task ran');
    const header = (await page.textContent('.jp-nbgrid-Group-meta')) ?? '';
    check(/\d+\/4 done · \d+ running · \d+ queued/.test(header), `the group header shows done / running / queued ("${header}")`);

    // The output tail, shown on demand.
    await page.locator('.jp-nbgrid-TailToggle').first().click();
    const tailText = await waitFor('the output tail', async () => (await page.textContent('.jp-nbgrid-Tail').catch(() => '')) || null, MINUTE);
    check(/step \d of task \d/.test(tailText), `the output tail shows the task's lines ("${tailText.replace(/\n/g, ' | ')}")`);
    // A click scrolls its target into view: show the table from its first column again.
    await page.$eval('.jp-nbgrid-TaskTable-scroll', el => (el.scrollLeft = 0));
    await page.locator('.jp-nbgrid-StatusPanelWidget').first().screenshot({ path: path.join(RESULTS, 'progress-panel.png') });

    // The notebook so far opens as a read-only copy.
    const running = page.locator('.jp-nbgrid-PartialLink').first();
    if ((await running.count()) > 0) {
      await running.click();
      const copy = page.locator('.jp-NotebookPanel:visible .jp-OutputArea-output:has-text("step 1 of task")');
      await copy.first().waitFor({ timeout: MINUTE });
      check(true, 'the notebook so far opens with the outputs of its finished cells');
      const readOnly = await page.evaluate(() => (window.jupyterapp.shell.currentWidget?.content?.widgets ?? []).map(cell => cell.readOnly));
      check(readOnly.length === 5 && readOnly.every(Boolean), `every cell of that copy is read-only (${JSON.stringify(readOnly)})`);
      await page.screenshot({ path: path.join(RESULTS, 'progress-partial.png') });
    } else {
      throw new Error('no running task to open the notebook so far of');
    }

    // Close the panel: the notification must come anyway.
    await page.evaluate(() => {
      for (const widget of window.jupyterapp.shell.widgets('main')) {
        if (widget.id.startsWith('nbgrid-status-')) widget.close();
      }
    });
    check((await page.locator('.jp-nbgrid-StatusPanelWidget').count()) === 0, 'the status panel is closed');
    const toast = page.locator('.Toastify__toast:has-text("finished")');
    await toast.first().waitFor({ timeout: 3 * MINUTE });
    const toastText = (await toast.first().textContent()) ?? '';
    check(/nbgrid map of steps \([0-9a-f]{8}\) finished in .*: 4 OK, 0 ERROR/.test(toastText), `the done notification gives the counts ("${toastText}")`);
    await page.waitForTimeout(1500); // the toast slides in
    await page.screenshot({ path: path.join(RESULTS, 'progress-notification.png') });
    await toast.first().locator('button:has-text("Show status")').click();
    await page.waitForSelector('.jp-nbgrid-StatusPanel .jp-nbgrid-TaskTable', { timeout: MINUTE });
    check(true, "the notification's button opens the status panel");
    check(pageErrors.length === 0, `no uncaught page errors${pageErrors.length ? `: ${pageErrors.join('; ')}` : ''}`);
  }
};

if (isMain(import.meta.url)) runStandalone(progressScenario);
