#!/usr/bin/env node
// UI test of schedules and group deletion in the nbgrid JupyterLab extension, against the real
// stack (`nbgrid up --workers 1`), a real `jupyter lab` and Debian's chromium (see run-ui.mjs).
// As a person would: open a notebook, click Map, fill in a cron expression and a time zone, and
// "Save as schedule"; map it once for real; see the schedule listed in the panel with its next
// run, and the group a "run now" made linked under it; select a group and delete it after a
// confirmation that says how many tasks and bytes go. Screenshots go to test-results/ui/schedules-*.png.
//
// Run: node test/ui/schedules.mjs   (needs `npm run build` first)
// Runs alone (a stack and JupyterLab of its own) or, with the other UI scenarios, on one shared
// stack and JupyterLab: node test/ui/all.mjs (what `npm run test:ui` runs).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, isMain, MINUTE, RESULTS, runStandalone, squaresNotebook, waitFor } from './harness.mjs';

const JOB = 'nightly';

/** The schedules scenario: run by test/ui/all.mjs on the shared session, or alone by this file. */
export const schedulesScenario = {
  name: 'schedules',
  /** Workers of the stack when this file runs alone. */
  workers: 1,
  async run({ sandbox, stack, base, token: TOKEN, page, dir }) {
    writeFileSync(path.join(sandbox.root, `${JOB}.ipynb`), JSON.stringify(squaresNotebook(path.join(dir, 'never')), null, 1));
    const api = async (method, route, body) => {
      const response = await fetch(`${stack.api_url}${route}`, {
        method,
        headers: { Authorization: `token ${stack.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    };

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
  }
};

if (isMain(import.meta.url)) runStandalone(schedulesScenario);
