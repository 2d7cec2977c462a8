#!/usr/bin/env node
// UI test of schedules and group deletion in the nbgrid JupyterLab extension, against the real
// stack (`nbgrid up --workers 1`), a real `jupyter lab` and Debian's chromium (see run-ui.mjs).
// As a person would: open a notebook, click Map, fill in a cron expression and a time zone, and
// "Save as schedule"; map it once for real; see the schedule listed in the panel with its next
// run, and the group a "run now" made linked under it; select a group and delete it after a
// confirmation that says how many tasks and bytes go. Screenshots go to test-results/ui/schedules-*.png.
//
// Run: node test/ui/schedules.mjs   (needs `npm run build` first)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CHROMIUM,
  check,
  fatal,
  launchBrowser,
  log,
  makeSandbox,
  MINUTE,
  REPO,
  RESULTS,
  squaresNotebook,
  start,
  started,
  startLab,
  stopProcess,
  tail,
  waitFor
} from './harness.mjs';

const CLI = path.join(REPO, 'worker', 'bin', 'nbgrid.js');
const TOKEN = `ui-schedules-${process.pid}`;
const JOB = 'nightly';
let failed = false;

async function main() {
  if (!existsSync(CLI) || !existsSync(path.join(REPO, 'nbgrid', 'labextension', 'package.json'))) {
    throw new Error('cannot run: build first (npm run build:worker && npm run build)');
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`cannot run: no chromium at ${CHROMIUM} (apt-get install chromium, or set NBGRID_CHROMIUM)`);
  }
  mkdirSync(RESULTS, { recursive: true });
  const sandbox = makeSandbox('nbgrid-ui-schedules-');
  const { home, root, env, logDir } = sandbox;
  writeFileSync(path.join(root, `${JOB}.ipynb`), JSON.stringify(squaresNotebook(path.join(sandbox.tmp, 'never')), null, 1));

  let browser;
  let stackUp = false;
  try {
    log(`stack: nbgrid up --workers 1 (NBGRID_HOME=${home})`);
    const up = start('nbgrid-up', process.execPath, [CLI, 'up', '--workers', '1'], { cwd: REPO, env, logDir });
    stackUp = true;
    const stack = await waitFor(
      'stack.json and a healthy API service',
      async () => {
        if (up.exited !== null && up.exited !== 0) {
          throw fatal(`nbgrid up exited with ${up.exited}:\n${tail(up)}`);
        }
        const file = path.join(home, 'stack.json');
        if (!existsSync(file)) {
          return null;
        }
        const data = JSON.parse(readFileSync(file, 'utf8'));
        const health = await fetch(`${data.api_url}/api/health`);
        return health.ok ? data : null;
      },
      4 * MINUTE
    );
    const api = async (method, route, body) => {
      const response = await fetch(`${stack.api_url}${route}`, {
        method,
        headers: { Authorization: `token ${stack.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    };

    const base = await startLab(sandbox, TOKEN);
    browser = await launchBrowser(sandbox);
    const page = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors = [];
    page.on('pageerror', error => pageErrors.push(String(error)));
    await page.goto(`${base}/lab/tree/${JOB}.ipynb?token=${TOKEN}&reset`);
    await page.waitForSelector('.jp-NotebookPanel .jp-Notebook', { timeout: 2 * MINUTE });
    const mapButton = page.locator('.jp-NotebookPanel-toolbar [data-command="nbgrid:map-notebook"]');
    await mapButton.waitFor({ timeout: MINUTE });

    // 1. Save the map as a schedule from the Map dialog.
    await mapButton.click();
    await page.locator('.jp-Dialog .jp-nbgrid-MapForm-parameters').waitFor({ timeout: MINUTE });
    await page.fill('.jp-Dialog .jp-nbgrid-MapForm-parameters', 'range(3)');
    await page.click('.jp-Dialog .jp-Dialog-button:has-text("Save as schedule")');
    await page.waitForSelector('.jp-nbgrid-MapForm-error', { timeout: MINUTE });
    check(/Give a cron expression/.test((await page.textContent('.jp-nbgrid-MapForm-error')) ?? ''), 'Save as schedule without a cron says to give one');
    // The dialog is shown again with the message: wait until the first one is gone.
    // and until it has put the focus in its first field, as it does once shown (typing earlier
    // would land there).
    await page.waitForFunction(
      () => document.querySelectorAll('.jp-Dialog').length === 1 && document.activeElement?.classList.contains('jp-nbgrid-MapForm-parameters'),
      null,
      { timeout: MINUTE }
    );
    await page.waitForTimeout(1000); // a person's pace: the dialog's own focus handling is done
    await page.click('.jp-Dialog .jp-nbgrid-MapForm-cron');
    await page.fill('.jp-Dialog .jp-nbgrid-MapForm-cron', '30 2 * * *');
    await page.fill('.jp-Dialog .jp-nbgrid-MapForm-tz', 'Europe/Berlin');
    check((await page.inputValue('.jp-Dialog .jp-nbgrid-MapForm-parameters')) === 'range(3)', 'the parameters are kept when the dialog asks again');
    await page.locator('.jp-Dialog').screenshot({ path: path.join(RESULTS, 'schedules-dialog.png') });
    await page.click('.jp-Dialog .jp-Dialog-button:has-text("Save as schedule")');
    const schedule = await waitFor(
      'the schedule stored',
      async () => {
        const { body } = await api('GET', '/api/schedules');
        return body.schedules.length === 1 ? body.schedules[0] : null;
      },
      MINUTE
    );
    check(
      schedule.job === JOB && schedule.cron === '30 2 * * *' && schedule.tz === 'Europe/Berlin' && JSON.stringify(schedule.map) === '{"range":{"start":0,"stop":3,"step":1}}',
      `the dialog saved the schedule ${schedule.id} with the map, cron and time zone`
    );
    await page.waitForSelector('.jp-Notification-Toast-success, .Toastify__toast--success', { timeout: MINUTE }).catch(() => undefined);
    const toast = await page.textContent('.Toastify').catch(() => '');
    check(/Scheduled nightly at '30 2 \* \* \*' \(Europe\/Berlin\); next run/.test(toast ?? ''), `a notification says when it runs next ("${(toast ?? '').slice(0, 90)}")`);

    // 2. Map it once for real; the panel opens and lists the schedule with its next run.
    await mapButton.click();
    await page.locator('.jp-Dialog .jp-nbgrid-MapForm-parameters').waitFor({ timeout: MINUTE });
    await page.fill('.jp-Dialog .jp-nbgrid-MapForm-parameters', 'range(2)');
    await page.click('.jp-Dialog .jp-Dialog-button:has-text("Map")');
    await page.waitForSelector('.jp-nbgrid-StatusPanel .jp-nbgrid-Group', { timeout: MINUTE });
    const run = await api('POST', `/api/schedules/${schedule.id}/run`);
    check(run.status === 201 && run.body.state === 'submitted', `run now made group ${run.body.task_group}`);
    const scheduleRow = page.locator(`.jp-nbgrid-ScheduleTable tr[data-schedule="${schedule.id}"]`);
    await scheduleRow.waitFor({ timeout: MINUTE });
    const next = (await scheduleRow.locator('.jp-nbgrid-ScheduleNext').textContent()) ?? '';
    check(new Date(next).toString() !== 'Invalid Date' || /\d/.test(next), `the panel lists the schedule with its next run ("${next}")`);
    await page.waitForSelector(`.jp-nbgrid-ScheduleTable button:has-text("${run.body.task_group}")`, { timeout: MINUTE });
    check(true, 'the schedule links the group its run made');
    await waitFor(
      'both groups done',
      async () => {
        const { body } = await api('GET', `/api/jobs/${JOB}/groups`);
        return body.groups.length === 2 && body.groups.every(g => (g.states.SUCCESS ?? 0) === g.count) ? body.groups : null;
      },
      4 * MINUTE
    );
    await page.waitForTimeout(1500);
    await page.locator('.jp-nbgrid-StatusPanelWidget').first().screenshot({ path: path.join(RESULTS, 'schedules-panel.png') });

    // 3. Delete the schedule's group from the panel, after a confirmation of tasks and bytes.
    const victim = run.body.task_group;
    await page.check(`.jp-nbgrid-Group[data-task-group="${victim}"] .jp-nbgrid-Group-select`);
    await page.click('.jp-nbgrid-DeleteSelected');
    await page.waitForSelector('.jp-Dialog .jp-Dialog-button.jp-mod-warn', { timeout: MINUTE });
    const confirmText = (await page.textContent('.jp-Dialog')) ?? '';
    check(/Delete group [0-9a-f]{8}\?/.test(confirmText) && /3 tasks and [\d.]+ (KB|bytes|MB) go/.test(confirmText), `the confirmation says how many tasks and bytes go ("${confirmText.slice(0, 120)}")`);
    await page.locator('.jp-Dialog').screenshot({ path: path.join(RESULTS, 'schedules-delete-confirm.png') });
    await page.click('.jp-Dialog .jp-Dialog-button.jp-mod-warn');
    await page.waitForSelector(`.jp-nbgrid-Group[data-task-group="${victim}"]`, { state: 'detached', timeout: MINUTE });
    const left = await api('GET', `/api/jobs/${JOB}/groups`);
    check(left.body.groups.length === 1 && left.body.groups[0].task_group !== victim, 'the group is gone from the service and the panel; the other stays');
    await page.waitForTimeout(1000);
    await page.locator('.jp-nbgrid-StatusPanelWidget').first().screenshot({ path: path.join(RESULTS, 'schedules-after-delete.png') });
    check(pageErrors.length === 0, `no uncaught page errors${pageErrors.length ? `: ${pageErrors.join('; ')}` : ''}`);
  } catch (error) {
    failed = true;
    process.stderr.write(`[ui] FAILED: ${error.stack ?? error}\n`);
    if (browser) {
      await browser.pages()[0]?.screenshot({ path: path.join(RESULTS, 'schedules-failure.png') }).catch(() => undefined);
    }
  } finally {
    await browser?.close().catch(() => undefined);
    for (const entry of [...started].reverse()) {
      if (entry.name !== 'nbgrid-up') {
        await stopProcess(entry);
      }
    }
    if (stackUp) {
      const down = spawnSync(process.execPath, [CLI, 'down'], { cwd: REPO, env, encoding: 'utf8', timeout: 2 * MINUTE });
      if (down.status !== 0) {
        process.stderr.write(`[ui] nbgrid down exited ${down.status}: ${down.stderr}\n`);
      }
      const up = started.find(entry => entry.name === 'nbgrid-up');
      if (up) {
        await stopProcess(up);
      }
    }
    for (const entry of started) {
      try {
        copyFileSync(entry.logFile, path.join(RESULTS, `schedules-${entry.name}.log`));
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
