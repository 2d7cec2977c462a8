#!/usr/bin/env node
// UI test of live progress (issue 16) against the real nbgrid stack: a map of a notebook with three
// 2 s cells; the status panel shows a cells bar per running task that advances and an output tail,
// the notebook so far opens read-only; with the panel closed, a notification says the map finished
// with its OK / ERROR counts and its button opens the panel. Screenshots go to test-results/ui/progress-*.png.
//
// Run: node test/ui/progress.mjs   (needs `npm run build` first: the labextension and worker/dist)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CHROMIUM, check, fatal, launchBrowser, log, makeSandbox, MINUTE, REPO, RESULTS, start, started, startLab, stopProcess, tail, waitFor } from './harness.mjs';

const CLI = path.join(REPO, 'worker', 'bin', 'nbgrid.js');
const TOKEN = `ui-progress-${process.pid}`;
const JOB = 'steps';
let failed = false;

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

async function main() {
  for (const [file, fix] of [
    [CLI, 'build worker/ first: npm run build:worker'],
    [path.join(REPO, 'nbgrid', 'labextension', 'package.json'), 'run `npm run build` first'],
    [CHROMIUM, 'apt-get install chromium, or set NBGRID_CHROMIUM']
  ]) {
    if (!existsSync(file)) throw new Error(`cannot run: ${file} is missing (${fix})`);
  }
  mkdirSync(RESULTS, { recursive: true });
  const sandbox = makeSandbox('nbgrid-ui-progress-');
  const { home, root, env, logDir } = sandbox;
  writeFileSync(path.join(root, `${JOB}.ipynb`), JSON.stringify(stepsNotebook(), null, 1));
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
  } catch (error) {
    failed = true;
    process.stderr.write(`[ui] FAILED: ${error.stack ?? error}\n`);
    await browser?.pages()[0]?.screenshot({ path: path.join(RESULTS, 'progress-failure.png') }).catch(() => undefined);
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
        copyFileSync(entry.logFile, path.join(RESULTS, `progress-${entry.name}.log`));
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
