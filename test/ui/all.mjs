#!/usr/bin/env node
// Every UI scenario on ONE JupyterLab and ONE nbgrid stack (what `npm run test:ui` runs): starting
// a stack and a JupyterLab per scenario cost most of the UI tests' time. First the service-down
// scenario, on the JupyterLab before any stack runs; then `nbgrid up --workers 2` and the others in
// turn. Each scenario maps a notebook of its own (its own job name, so its own groups), in a fresh
// browser profile, after the theme is reset; a failed one is named, screenshotted as
// test-results/ui/<name>-failure.png, and the rest still run. Exits 1 when any failed.
//
// Run: node test/ui/all.mjs [name ...]   (after `npm run build`; names pick scenarios, e.g. grid reduce)
//
// A new UI test: in test/ui/<feature>.mjs, export `{ name, workers, run(ctx) }` (ctx: sandbox,
// stack, base, token, page, dir; see runScenario in harness.mjs), end the file with
// `if (isMain(import.meta.url)) runStandalone(scenario)`, and add the scenario to the list below.
import { checkPrerequisites, log, reportAndExit, runScenario, withLabSession } from './harness.mjs';
import { gridScenario } from './grid.mjs';
import { kernelNotifyScenario } from './kernel-notify.mjs';
import { progressScenario } from './progress.mjs';
import { reduceScenario } from './reduce.mjs';
import { rowActionsScenario } from './row-actions.mjs';
import { runUiScenario } from './run-ui.mjs';
import { schedulesScenario } from './schedules.mjs';
import { serviceDownScenario } from './service-down.mjs';

// Row actions last: it cancels a task in the middle of a 600 s sleep (the cancel interrupts it).
const withStack = [runUiScenario, progressScenario, gridScenario, reduceScenario, schedulesScenario, kernelNotifyScenario, rowActionsScenario];

const wanted = process.argv.slice(2);
const pick = list => list.filter(s => wanted.length === 0 || wanted.includes(s.name));
const unknown = wanted.filter(name => ![serviceDownScenario, ...withStack].some(s => s.name === name));
if (unknown.length) {
  process.stderr.write(`[ui] unknown scenario(s): ${unknown.join(', ')}\n`);
  process.exit(2);
}

const began = Date.now();
checkPrerequisites();
withLabSession('all', { workers: 0, workersLater: Math.max(...withStack.map(s => s.workers ?? 2)) }, async session => {
  const results = [];
  for (const scenario of pick([serviceDownScenario])) results.push(await runScenario(session, scenario));
  const rest = pick(withStack);
  if (rest.length) {
    await session.startStack();
    for (const scenario of rest) results.push(await runScenario(session, scenario));
  }
  return results;
})
  .then(results => {
    log(`all scenarios in ${((Date.now() - began) / 1000).toFixed(0)} s`);
    reportAndExit(results);
  })
  .catch(error => {
    process.stderr.write(`[ui] FAILED (session): ${error.stack ?? error}\n`);
    process.exit(1);
  });
