#!/usr/bin/env node
// UI test of the reduce step against the real nbgrid stack: store a reduce notebook `summary`,
// open a notebook, click Map, enter range(3) and `summary` as the notebook to run then, and watch
// the panel: the 3 tasks reach SUCCESS, then the group's reduce row (marked "reduce") appears and
// runs after them, ends SUCCESS with a result link, and its result notebook shows the sum of the
// squares. Screenshots: test-results/ui/reduce-*.png.
//
// Run: node test/ui/reduce.mjs   (needs `npm run build` and the worker built)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CHROMIUM, check, fatal, launchBrowser, log, makeSandbox, MINUTE, REPO, RESULTS, squaresNotebook, start, started, startLab, stopProcess, tail, waitFor } from './harness.mjs';

const CLI = path.join(REPO, 'worker', 'bin', 'nbgrid.js');
const TOKEN = `ui-reduce-${process.pid}`;
const JOB = 'squares';
let failed = false;

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

async function main() {
  for (const [file, what] of [[CLI, 'the stack CLI (build worker/ first)'], [path.join(REPO, 'nbgrid', 'labextension', 'package.json'), 'the labextension (npm run build)'], [CHROMIUM, 'chromium']]) {
    if (!existsSync(file)) throw new Error(`cannot run: ${file} does not exist: ${what}`);
  }
  mkdirSync(RESULTS, { recursive: true });
  const sandbox = makeSandbox('nbgrid-ui-reduce-');
  const { home, root, env, logDir } = sandbox;
  writeFileSync(path.join(root, `${JOB}.ipynb`), JSON.stringify(squaresNotebook('/nonexistent'), null, 1));
  let browser;
  let stackUp = false;
  try {
    const up = start('nbgrid-up', process.execPath, [CLI, 'up', '--workers', '2'], { cwd: REPO, env, logDir });
    stackUp = true;
    const stack = await waitFor(
      'stack.json and a healthy API service',
      async () => {
        if (up.exited !== null && up.exited !== 0) throw fatal(`nbgrid up exited with ${up.exited}:\n${tail(up)}`);
        const file = path.join(home, 'stack.json');
        if (!existsSync(file)) return null;
        const data = JSON.parse(readFileSync(file, 'utf8'));
        return (await fetch(`${data.api_url}/api/health`)).ok ? data : null;
      },
      4 * MINUTE
    );
    const headers = { Authorization: `token ${stack.token}`, 'Content-Type': 'application/json' };
    const put = await fetch(`${stack.api_url}/api/notebooks/summary`, { method: 'PUT', headers, body: JSON.stringify({ content: summaryNotebook() }) });
    check(put.ok, `the reduce notebook summary is stored (${put.status} ${put.ok ? '' : await put.text()})`);
    await waitFor('two live workers', async () => (await (await fetch(`${stack.api_url}/api/workers`, { headers })).json()).workers.length >= 2, 2 * MINUTE);

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
  } catch (error) {
    failed = true;
    process.stderr.write(`[ui] FAILED: ${error.stack ?? error}\n`);
    await browser?.pages()[0]?.screenshot({ path: path.join(RESULTS, 'reduce-failure.png') }).catch(() => undefined);
  } finally {
    await browser?.close().catch(() => undefined);
    for (const entry of [...started].reverse()) {
      if (entry.name !== 'nbgrid-up') await stopProcess(entry);
    }
    if (stackUp) {
      spawnSync(process.execPath, [CLI, 'down'], { cwd: REPO, env, encoding: 'utf8', timeout: 2 * MINUTE });
      const up = started.find(entry => entry.name === 'nbgrid-up');
      if (up) await stopProcess(up);
    }
    for (const entry of started) {
      try {
        copyFileSync(entry.logFile, path.join(RESULTS, `reduce-${entry.name}.log`));
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
