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
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CHROMIUM, check, fatal, launchBrowser, log, makeSandbox, MINUTE, REPO, RESULTS, start, started, startLab, stopProcess, tail, waitFor } from './harness.mjs';

const CLI = path.join(REPO, 'worker', 'bin', 'nbgrid.js');
const TOKEN = `ui-rows-${process.pid}`;
const JOB = 'rows';
let failed = false;

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

async function main() {
  for (const [file, why] of [
    [CLI, 'build worker/ first (npm run build:worker)'],
    [path.join(REPO, 'nbgrid', 'labextension', 'package.json'), 'run `npm run build` first'],
    [CHROMIUM, 'apt-get install chromium, or set NBGRID_CHROMIUM']
  ]) {
    if (!existsSync(file)) throw new Error(`cannot run: ${file} is missing (${why})`);
  }
  mkdirSync(RESULTS, { recursive: true });
  const sandbox = makeSandbox('nbgrid-ui-rows-');
  const { home, root, env, logDir } = sandbox;
  const flagFile = path.join(sandbox.tmp, 'make-param-2-sleep');
  writeFileSync(path.join(root, `${JOB}.ipynb`), JSON.stringify(sleepyNotebook(flagFile), null, 1));
  let browser;
  let stackUp = false;
  try {
    log(`stack: nbgrid up --workers 2 (NBGRID_HOME=${home})`);
    const up = start('nbgrid-up', process.execPath, [CLI, 'up', '--workers', '2'], { cwd: REPO, env, logDir });
    stackUp = true;
    const stack = await waitFor(
      'a healthy API service',
      async () => {
        if (up.exited !== null && up.exited !== 0) throw fatal(`nbgrid up exited with ${up.exited}:\n${tail(up)}`);
        const file = path.join(home, 'stack.json');
        if (!existsSync(file)) return null;
        const data = JSON.parse(readFileSync(file, 'utf8'));
        return (await fetch(`${data.api_url}/api/health`)).ok ? data : null;
      },
      4 * MINUTE
    );
    await waitFor(
      'two live workers',
      async () => {
        const response = await fetch(`${stack.api_url}/api/workers`, { headers: { Authorization: `token ${stack.token}` } });
        return response.ok && (await response.json()).workers.length >= 2;
      },
      2 * MINUTE
    );
    const base = await startLab(sandbox, TOKEN);
    browser = await launchBrowser(sandbox);
    const page = browser.pages()[0] ?? (await browser.newPage());
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
  } catch (error) {
    failed = true;
    process.stderr.write(`[ui] FAILED: ${error.stack ?? error}\n`);
    const page = browser?.pages()[0];
    await page?.screenshot({ path: path.join(RESULTS, 'row-actions-failure.png') }).catch(() => undefined);
  } finally {
    await browser?.close().catch(() => undefined);
    for (const entry of [...started].reverse()) {
      if (entry.name !== 'nbgrid-up') await stopProcess(entry);
    }
    if (stackUp) {
      const down = spawnSync(process.execPath, [CLI, 'down'], { cwd: REPO, env, encoding: 'utf8', timeout: 2 * MINUTE });
      if (down.status !== 0) process.stderr.write(`[ui] nbgrid down exited ${down.status}: ${down.stderr}\n`);
      const up = started.find(entry => entry.name === 'nbgrid-up');
      if (up) await stopProcess(up);
    }
    for (const entry of started) {
      try {
        copyFileSync(entry.logFile, path.join(RESULTS, `row-actions-${entry.name}.log`));
      } catch {
        /* no log */
      }
    }
    rmSync(sandbox.tmp, { recursive: true, force: true });
  }
  log(failed ? 'FAILED' : 'PASSED');
  process.exit(failed ? 1 : 0);
}

main().catch(error => {
  process.stderr.write(`[ui] ${error.stack ?? error}\n`);
  process.exit(1);
});
