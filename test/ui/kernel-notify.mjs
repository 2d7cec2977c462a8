#!/usr/bin/env node
// UI test of the done notification of a map started from a kernel cell (issue 16) against the real
// nbgrid stack: a notebook in JupyterLab runs `om.runtime.job('kernelnotify').map([1, 2, 'fail'])`;
// with the status panel closed, one JupyterLab Notification says the map finished with 2 OK and
// 1 ERROR. A map of the same notebook started outside this JupyterLab (REST, no origin) brings no
// notification. Screenshots go to test-results/ui/kernel-notify-*.png.
//
// The check itself is `checkKernelMapNotifies(page, lab)`.
//
// Run: node test/ui/kernel-notify.mjs   (needs `npm run build` first: the labextension and worker/dist)
// Runs alone (a stack and JupyterLab of its own) or, with the other UI scenarios, on one shared
// stack and JupyterLab: node test/ui/all.mjs (what `npm run test:ui` runs).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, fatal, isMain, MINUTE, RESULTS, runStandalone, waitFor } from './harness.mjs';
const JOB = 'kernelnotify';

/** The mapped notebook: prints its parameter, raises for 'fail'. */
export function kernelNotifyNotebook() {
  const code = (id, source, tags = []) => ({ cell_type: 'code', id, execution_count: null, metadata: tags.length ? { tags } : {}, outputs: [], source });
  return {
    cells: [
      code('params', "job = globals().get('job', {'param': 9})", ['parameters']),
      code('work', "import time\nprint('task', job['param'], flush=True)\ntime.sleep(1)\nif job['param'] == 'fail':\n    raise ValueError('failed on purpose')\njob['result'] = job['param']")
    ],
    metadata: { kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  };
}

/** The notebook the user runs in JupyterLab: one cell that maps `JOB` from its kernel. */
function driverNotebook() {
  const source = `from nbgrid import om\ngroup = om.runtime.job(${JSON.stringify(JOB)}).map([1, 2, 'fail'])\nprint('MAPPED', group)`;
  return {
    cells: [{ cell_type: 'code', id: 'map-cell', execution_count: null, metadata: {}, outputs: [], source }],
    metadata: { kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  };
}

/**
 * The check, on an open JupyterLab page.
 * @param page a Playwright page of JupyterLab (any document open or none)
 * @param lab `{base, token, root, stack: {api_url, token}}`: the lab's URL and token, its root
 *   directory (the driver notebook is written there), and the stack it maps on
 */
export async function checkKernelMapNotifies(page, lab) {
  const api = (method, route, body) =>
    fetch(`${lab.stack.api_url}${route}`, {
      method,
      headers: { Authorization: `token ${lab.stack.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined
    }).then(async response => ({ status: response.status, body: await response.json().catch(() => ({})) }));
  const put = await api('PUT', `/api/notebooks/${JOB}`, { content: kernelNotifyNotebook() });
  check(put.status === 200 || put.status === 201, `the notebook ${JOB} is stored (${put.status} ${JSON.stringify(put.body)})`);
  writeFileSync(path.join(lab.root, 'kernel-notify-driver.ipynb'), JSON.stringify(driverNotebook(), null, 1));

  const toasts = page.locator(`.Toastify__toast:has-text("nbgrid map of ${JOB}")`);
  const before = await toasts.count();

  // A map started outside this JupyterLab (no origin): its end must not be announced here.
  const outside = await api('POST', `/api/jobs/${JOB}/map`, { params: [7] });
  check(outside.status === 201, `a map without origin is started over REST (${outside.status})`);

  await page.goto(`${lab.base}/lab/tree/kernel-notify-driver.ipynb?token=${lab.token}&reset`);
  await page.waitForSelector('.jp-NotebookPanel .jp-Notebook', { timeout: 2 * MINUTE });
  // JupyterLab may ask which kernel to start (its "Select Kernel" dialog): the notebook's own, Python 3.
  const acceptKernelDialog = async () => {
    const dialog = page.locator('.jp-Dialog:has-text("Select Kernel") .jp-Dialog-button.jp-mod-accept');
    if ((await dialog.count()) > 0) await dialog.first().click({ timeout: 5000 }).catch(() => undefined);
  };
  await waitFor(
    'the kernel to be idle',
    async () => {
      await acceptKernelDialog();
      return page.evaluate(() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle');
    },
    2 * MINUTE
  );
  // The status panel is not open (closed, or never opened): the notification must come anyway.
  await page.evaluate(() => {
    for (const widget of window.jupyterapp.shell.widgets('main')) {
      if (widget.id.startsWith('nbgrid-status-')) widget.close();
    }
  });
  // Not awaited in the page: the command settles when the cell has run, which a stuck kernel never does.
  await page.evaluate(() => {
    void window.jupyterapp.commands.execute('notebook:run-all-cells');
  });
  const mapped = await waitFor(
    'the cell to map',
    async () => {
      await acceptKernelDialog();
      const text = (await page.locator('.jp-NotebookPanel .jp-OutputArea').first().textContent({ timeout: 2000 }).catch(() => '')) ?? '';
      if (/Error|Traceback/.test(text)) throw fatal(`the map cell failed: ${text}`);
      const match = /MAPPED ([0-9a-f]{8})/.exec(text);
      return match ? match[1] : null;
    },
    2 * MINUTE
  );
  check((await page.locator('.jp-nbgrid-StatusPanelWidget').count()) === 0, 'the status panel is closed while the map runs');

  const toast = page.locator(`.Toastify__toast:has-text("nbgrid map of ${JOB} (${mapped})")`);
  await toast.first().waitFor({ timeout: 3 * MINUTE });
  const toastText = (await toast.first().textContent()) ?? '';
  check(new RegExp(`nbgrid map of ${JOB} \\(${mapped}\\) finished in .*: 2 OK, 1 ERROR`).test(toastText), `the notification of the kernel's map gives its counts ("${toastText}")`);
  await page.waitForTimeout(1500); // the toast slides in
  await page.screenshot({ path: path.join(RESULTS, 'kernel-notify-notification.png') });

  // The outside map is long finished (it was queued first); give a late announcement time to show.
  await waitFor(
    'the outside map to finish',
    async () => {
      const status = await api('GET', `/api/jobs/${JOB}/status?task_group=${outside.body.task_group}`);
      return status.body.rows?.every(row => ['SUCCESS', 'FAILURE', 'REVOKED'].includes(row.status)) ?? false;
    },
    2 * MINUTE
  );
  await page.waitForTimeout(4000);
  check((await toast.count()) === 1, `the kernel's map is announced once (${await toast.count()})`);
  const outsideToasts = await page.locator(`.Toastify__toast:has-text("(${outside.body.task_group})")`).count();
  check(outsideToasts === 0, `the map started outside this JupyterLab is not announced here (${outsideToasts})`);
  check((await toasts.count()) === before + 1, `one new nbgrid notification in all (${before} -> ${await toasts.count()})`);

  await toast.first().locator('button:has-text("Show status")').click();
  await page.waitForSelector('.jp-nbgrid-StatusPanel .jp-nbgrid-TaskTable', { timeout: MINUTE });
  check(true, "the notification's button opens the status panel");
  await page.waitForTimeout(1000);
  await page.screenshot({ path: path.join(RESULTS, 'kernel-notify-panel.png') });
}

/** The kernel-notify scenario: run by test/ui/all.mjs on the shared session, or alone by this file. */
export const kernelNotifyScenario = {
  name: 'kernel-notify',
  /** Workers of the stack when this file runs alone. */
  workers: 2,
  async run({ sandbox, base, token, stack, page }) {
    const pageErrors = [];
    page.on('pageerror', error => pageErrors.push(String(error)));
    await checkKernelMapNotifies(page, { base, token, root: sandbox.root, stack });
    check(pageErrors.length === 0, `no uncaught page errors${pageErrors.length ? `: ${pageErrors.join('; ')}` : ''}`);
  }
};

if (isMain(import.meta.url)) runStandalone(kernelNotifyScenario);
