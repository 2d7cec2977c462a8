#!/usr/bin/env node
// UI test without a stack: the Map button is in the toolbar, and clicking it while the nbgrid
// service is not running shows a dialog saying so and how to start it; the server extension's 503
// says why in its `hint` (service_unreachable, then service_not_configured once stack.json is gone).
// Runs alone (a JupyterLab of its own), or first in test/ui/all.mjs, on the shared JupyterLab before
// its stack starts (the server extension reads stack.json on every request).
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, freePort, isMain, MINUTE, RESULTS, runStandalone, squaresNotebook } from './harness.mjs';

/** The service-down scenario: needs a JupyterLab without a running stack (`workers: 0`). */
export const serviceDownScenario = {
  name: 'service-down',
  workers: 0,
  async run({ sandbox, base, token: TOKEN, page }) {
    // A stack.json pointing at a port nobody listens on: the service "moved away" or is down.
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    writeFileSync(path.join(sandbox.home, 'stack.json'), JSON.stringify({ api_url: deadUrl, token: 'x' }));
    writeFileSync(path.join(sandbox.root, 'down.ipynb'), JSON.stringify(squaresNotebook('/nonexistent')));
    await page.goto(`${base}/lab/tree/down.ipynb?token=${TOKEN}&reset`);
    await page.waitForSelector('.jp-NotebookPanel .jp-Notebook', { timeout: 2 * MINUTE });
    const mapButton = page.locator('.jp-NotebookPanel-toolbar [data-command="nbgrid:map-notebook"]');
    await mapButton.waitFor({ timeout: MINUTE });
    check(true, 'the Map button is in the notebook toolbar');
    await mapButton.click();
    await page.waitForSelector('.jp-Dialog', { timeout: MINUTE });
    const text = (await page.textContent('.jp-Dialog')) ?? '';
    check(/nbgrid service is not running/.test(text), 'clicking Map with the service down opens the "not running" dialog');
    check(text.includes(deadUrl) && /nbgrid up/.test(text), `the dialog names ${deadUrl} and how to start the service`);
    await page.screenshot({ path: path.join(RESULTS, 'service-down-dialog.png') });
    await page.click('.jp-Dialog .jp-Dialog-button');
    await page.evaluate(() => window.jupyterapp.commands.execute('nbgrid:open-status', { job: 'down' }));
    await page.waitForSelector('.jp-nbgrid-StatusPanel .jp-nbgrid-Error', { timeout: MINUTE });
    check(/not reachable/.test((await page.textContent('.jp-nbgrid-Error')) ?? ''), 'the status panel shows the service error');
    const hintCode = () =>
      page.evaluate(async token => {
        const res = await fetch(`/nbgrid/api/workers?token=${token}`);
        return [res.status, (await res.json()).hint?.code];
      }, TOKEN);
    const [status, code] = await hintCode();
    check(status === 503 && code === 'service_unreachable', `the proxy answers 503 with hint service_unreachable (got ${status} ${code})`);

    // No stack.json at all: nothing is configured; the dialog still says how to start the service.
    unlinkSync(path.join(sandbox.home, 'stack.json'));
    const [, missing] = await hintCode();
    check(missing === 'service_not_configured', `without stack.json the hint is service_not_configured (got ${missing})`);
    await page.goto(`${base}/lab/tree/down.ipynb?token=${TOKEN}`);
    await page.waitForSelector('.jp-NotebookPanel .jp-Notebook', { timeout: 2 * MINUTE });
    const again = page.locator('.jp-NotebookPanel-toolbar [data-command="nbgrid:map-notebook"]');
    await again.waitFor({ timeout: MINUTE });
    await again.click();
    await page.waitForSelector('.jp-Dialog', { timeout: MINUTE });
    const unconfigured = (await page.textContent('.jp-Dialog')) ?? '';
    check(/nbgrid service is not running/.test(unconfigured), 'without stack.json, Map opens the "not running" dialog');
    check(unconfigured.includes(path.join(sandbox.home, 'stack.json')) && /nbgrid up/.test(unconfigured), 'it names the missing stack.json and how to start the service');
    await page.screenshot({ path: path.join(RESULTS, 'service-not-configured-dialog.png') });
  },
  /** The session's stack writes its own stack.json next: leave none behind, whatever happened. */
  cleanup({ sandbox }) {
    const file = path.join(sandbox.home, 'stack.json');
    if (existsSync(file)) unlinkSync(file);
  }
};

if (isMain(import.meta.url)) runStandalone(serviceDownScenario);
