// Shared pieces of the UI tests: processes in their own group with logs, a free port, a real
// `jupyter lab` with this working tree's extensions, and Debian's chromium through playwright-core.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RESULTS = path.join(REPO, 'test-results', 'ui');
export const PYTHON_BIN = path.join(REPO, '.venv', 'bin');
export const CHROMIUM = process.env.NBGRID_CHROMIUM ?? '/usr/bin/chromium';
export const MINUTE = 60_000;

export function log(message) {
  process.stdout.write(`[ui] ${message}\n`);
}

export function check(condition, message) {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
  log(`ok - ${message}`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(what, probe, timeout) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) {
        return last;
      }
    } catch (error) {
      if (error?.fatal) {
        throw error;
      }
      last = error;
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  throw new Error(`timed out after ${timeout / 1000} s waiting for ${what} (last: ${last})`);
}

/** A fatal error stops `waitFor` at once (a process that died will not come back). */
export function fatal(message) {
  return Object.assign(new Error(message), { fatal: true });
}

/** Processes started by this run, stopped by `stopAll`. */
export const started = [];

/** Starts a process in its own process group, output to `<logDir>/<name>.log`. */
export function start(name, command, args, options) {
  const logFile = path.join(options.logDir, `${name}.log`);
  const out = openSync(logFile, 'w');
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', out, out] });
  const entry = { name, child, logFile, exited: null };
  child.on('exit', code => (entry.exited = code ?? -1));
  started.push(entry);
  return entry;
}

export function tail(entry, chars = 3000) {
  try {
    return readFileSync(entry.logFile, 'utf8').slice(-chars);
  } catch {
    return '';
  }
}

/** SIGTERM to the process group of one process this run started, SIGKILL after 10 s. */
export function stopProcess(entry) {
  if (entry.exited !== null) {
    return Promise.resolve();
  }
  return new Promise(resolve => {
    const timer = setTimeout(() => {
      try {
        process.kill(-entry.child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      resolve();
    }, 10_000);
    entry.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-entry.child.pid, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** A temp tree: NBGRID_HOME, Jupyter root, Jupyter data/config dirs, logs; and the env to use it. */
export function makeSandbox(prefix) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), prefix));
  const dirs = {
    tmp,
    home: path.join(tmp, 'home'),
    root: path.join(tmp, 'root'),
    jupyterPath: path.join(tmp, 'jupyter-data'),
    logDir: path.join(tmp, 'logs')
  };
  for (const dir of [dirs.home, dirs.root, path.join(dirs.jupyterPath, 'labextensions'), dirs.logDir]) {
    mkdirSync(dir, { recursive: true });
  }
  // This working tree's labextension, linked as `jupyter labextension develop` would.
  symlinkSync(path.join(REPO, 'nbgrid', 'labextension'), path.join(dirs.jupyterPath, 'labextensions', 'jupyterlab-nbgrid'));
  const env = {
    ...process.env,
    NBGRID_HOME: dirs.home,
    PATH: `${PYTHON_BIN}${path.delimiter}${process.env.PATH}`,
    PYTHONPATH: [REPO, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    JUPYTER_PATH: dirs.jupyterPath,
    JUPYTER_CONFIG_DIR: path.join(tmp, 'jupyter-config'),
    JUPYTER_RUNTIME_DIR: path.join(tmp, 'jupyter-runtime'),
    JUPYTERLAB_SETTINGS_DIR: path.join(tmp, 'lab-settings'),
    JUPYTERLAB_WORKSPACES_DIR: path.join(tmp, 'lab-workspaces')
  };
  delete env.NBGRID_URL;
  delete env.NBGRID_TOKEN;
  // No "get notified about Jupyter news?" toast over the screenshots.
  const labconfig = path.join(env.JUPYTER_CONFIG_DIR, 'labconfig');
  mkdirSync(labconfig, { recursive: true });
  writeFileSync(
    path.join(labconfig, 'page_config.json'),
    JSON.stringify({ disabledExtensions: { '@jupyterlab/apputils-extension:announcements': true } })
  );
  return { ...dirs, env };
}

/** Starts `jupyter lab` with the nbgrid server extension on a free port; resolves to its base URL. */
export async function startLab(sandbox, token) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const lab = start(
    'jupyter-lab',
    path.join(PYTHON_BIN, 'jupyter'),
    [
      'lab',
      '--no-browser',
      '--allow-root',
      '--ip=127.0.0.1',
      `--port=${port}`,
      '--ServerApp.port_retries=0',
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${sandbox.root}`,
      "--ServerApp.jpserver_extensions={'nbgrid.server': True}",
      '--LabApp.expose_app_in_browser=True',
      '--LabApp.news_url=',
      '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate'
    ],
    { cwd: sandbox.root, env: sandbox.env, logDir: sandbox.logDir }
  );
  await waitFor(
    `jupyter lab on ${base}`,
    async () => {
      if (lab.exited !== null) {
        throw fatal(`jupyter lab exited:\n${tail(lab)}`);
      }
      return (await fetch(`${base}/api/status?token=${token}`)).ok;
    },
    2 * MINUTE
  );
  return base;
}

/** Chromium with a fresh profile, headless, no network chatter of its own. */
export function launchBrowser(sandbox, profile = 'chromium-profile') {
  return chromium.launchPersistentContext(path.join(sandbox.tmp, profile), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1500, height: 950 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  });
}

/** A notebook that squares its parameter, and raises for parameter 2 while `flagFile` exists. */
export function squaresNotebook(flagFile) {
  const code = (source, tags = []) => ({
    cell_type: 'code',
    execution_count: null,
    metadata: tags.length ? { tags } : {},
    outputs: [],
    source
  });
  return {
    cells: [
      code("job = globals().get('job', {'param': 9})", ['parameters']),
      code(
        [
          'import os\n',
          "x = job['param']\n",
          `if x == 2 and os.path.exists(${JSON.stringify(flagFile)}):\n`,
          "    raise ValueError(f'param {x} is bad')\n"
        ].join('')
      ),
      code(["job['result'] = x * x\n", "print('square of', x, 'is', x * x)"].join(''))
    ],
    metadata: {
      kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
}

// ---------------------------------------------------------------------------------------------
// Sessions: one sandbox, one `jupyter lab` and (optionally) one nbgrid stack shared by scenarios.
// A scenario is `{ name, workers?, run(ctx) }`; `ctx` is the session plus a fresh browser and page
// of its own and a directory of its own (`dir`), so scenarios do not see each other's browser state
// or files. Each one maps its own notebook (a job name of its own), so their data stay apart too.

export const CLI = path.join(REPO, 'worker', 'bin', 'nbgrid.js');

/** Fails at once, naming what to build or install, when the UI tests cannot run. */
export function checkPrerequisites({ stack = true } = {}) {
  const needs = [
    [path.join(REPO, 'nbgrid', 'labextension', 'package.json'), 'run `npm run build` first'],
    [CHROMIUM, 'apt-get install chromium, or set NBGRID_CHROMIUM']
  ];
  if (stack) needs.unshift([CLI, 'build worker/ first: npm run build:worker']);
  for (const [file, fix] of needs) {
    if (!existsSync(file)) throw new Error(`cannot run: ${file} is missing (${fix})`);
  }
  mkdirSync(RESULTS, { recursive: true });
}

/**
 * `nbgrid up --workers N` in the sandbox's NBGRID_HOME; resolves to its stack.json once the API
 * service answers /api/health and N workers are live.
 */
export async function startStack(sandbox, workers) {
  const { home, env, logDir } = sandbox;
  log(`stack: nbgrid up --workers ${workers} (NBGRID_HOME=${home})`);
  const up = start('nbgrid-up', process.execPath, [CLI, 'up', '--workers', String(workers)], { cwd: REPO, env, logDir });
  sandbox.stackUp = true;
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
  log(`stack up: API ${stack.api_url}`);
  await waitFor(
    `${workers} live worker(s)`,
    async () => {
      const response = await fetch(`${stack.api_url}/api/workers`, { headers: { Authorization: `token ${stack.token}` } });
      return response.ok && (await response.json()).workers.length >= workers;
    },
    2 * MINUTE
  );
  return stack;
}

/**
 * Stops everything the session started: browsers are the scenarios' own; here the processes
 * (jupyter lab first, then `nbgrid down` and the `nbgrid up` process), then copies their logs to
 * test-results/ui/<logPrefix>-<process>.log and removes the sandbox.
 */
export async function closeSession(sandbox, logPrefix) {
  const began = Date.now();
  for (const entry of [...started].reverse()) {
    if (entry.name !== 'nbgrid-up') await stopProcess(entry);
  }
  if (sandbox.stackUp) {
    log('stack: nbgrid down');
    const down = spawnSync(process.execPath, [CLI, 'down'], { cwd: REPO, env: sandbox.env, encoding: 'utf8', timeout: 2 * MINUTE });
    if (down.status !== 0) process.stderr.write(`[ui] nbgrid down exited ${down.status}: ${down.stderr}\n`);
    const up = started.find(entry => entry.name === 'nbgrid-up');
    if (up) await stopProcess(up);
  }
  for (const entry of started) {
    try {
      copyFileSync(entry.logFile, path.join(RESULTS, `${logPrefix}-${entry.name}.log`));
    } catch {
      /* no log */
    }
  }
  rmSync(sandbox.tmp, { recursive: true, force: true });
  log(`session stopped in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

/** Resets the theme to JupyterLab's default, so a scenario that failed in dark mode leaves no trace. */
async function resetTheme(session) {
  const response = await fetch(`${session.base}/lab/api/settings/@jupyterlab/apputils-extension:themes`, {
    method: 'PUT',
    headers: { Authorization: `token ${session.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ raw: '{}' })
  });
  if (!response.ok) throw new Error(`cannot reset the JupyterLab theme: ${response.status} ${await response.text()}`);
}

/**
 * Runs one scenario on a session with a fresh browser (its own profile) and a directory of its
 * own; resolves to true when it passed. A failure is reported with the scenario's name, with a
 * screenshot test-results/ui/<name>-failure.png; the session stays usable for the next scenario.
 */
export async function runScenario(session, scenario) {
  const began = Date.now();
  log(`--- scenario ${scenario.name}`);
  const dir = path.join(session.sandbox.tmp, 'scenarios', scenario.name);
  mkdirSync(dir, { recursive: true });
  let browser;
  let passed = true;
  try {
    if (session.base) await resetTheme(session);
    browser = await launchBrowser(session.sandbox, `chromium-${scenario.name}`);
    const page = browser.pages()[0] ?? (await browser.newPage());
    await scenario.run({ ...session, browser, page, dir });
  } catch (error) {
    passed = false;
    process.stderr.write(`[ui] FAILED scenario ${scenario.name}: ${error.stack ?? error}\n`);
    await browser?.pages()[0]?.screenshot({ path: path.join(RESULTS, `${scenario.name}-failure.png`) }).catch(() => undefined);
  } finally {
    await browser?.close().catch(() => undefined);
    await scenario.cleanup?.({ ...session, dir });
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - began) / 1000).toFixed(1);
  log(`--- scenario ${scenario.name}: ${passed ? 'PASSED' : 'FAILED'} in ${seconds} s`);
  return { name: scenario.name, passed, seconds };
}

/**
 * A JupyterLab (and, with `workers`, an nbgrid stack) in a sandbox of its own for the duration of
 * `fn(session)`, stopped afterwards whatever happened. `session` is
 * `{ name, sandbox, token, base, stack, startStack() }`: `stack` is null until the stack runs;
 * `startStack()` starts it later (the service-down scenario runs first, without one).
 * @param options.workers workers of the stack started before `fn` (0: none yet)
 * @param options.workersLater workers of the stack `session.startStack()` starts
 */
export async function withLabSession(name, options, fn) {
  const sandbox = makeSandbox(`nbgrid-ui-${name}-`);
  const session = { name, sandbox, token: `ui-${name}-${process.pid}`, base: null, stack: null };
  session.startStack = async (workers = options.workersLater ?? 2) => {
    const began = Date.now();
    session.stack = await startStack(sandbox, workers);
    log(`stack ready in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return session.stack;
  };
  try {
    if (options.workers) await session.startStack(options.workers);
    const began = Date.now();
    session.base = await startLab(sandbox, session.token);
    log(`jupyter lab on ${session.base}, ready in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return await fn(session);
  } finally {
    await closeSession(sandbox, name);
  }
}

/** Prints one line per scenario and exits 1 when any failed, naming them. */
export function reportAndExit(results) {
  for (const r of results) log(`${r.passed ? 'PASSED' : 'FAILED'} ${r.name} (${r.seconds} s)`);
  const failed = results.filter(r => !r.passed).map(r => r.name);
  log(failed.length ? `FAILED: ${failed.join(', ')}` : 'PASSED');
  process.exit(failed.length ? 1 : 0);
}

/** True when the module `metaUrl` is the script node was started with (`node test/ui/grid.mjs`). */
export function isMain(metaUrl) {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(metaUrl);
}

/** Runs one scenario on a session of its own (a file run alone); exits 0 when it passed. */
export function runStandalone(scenario) {
  const needsStack = scenario.workers !== 0;
  Promise.resolve()
    .then(() => checkPrerequisites({ stack: needsStack }))
    .then(() => withLabSession(scenario.name, { workers: scenario.workers ?? 2 }, async session => [await runScenario(session, scenario)]))
    .then(reportAndExit)
    .catch(error => {
      process.stderr.write(`[ui] ${scenario.name}: ${error.stack ?? error}\n`);
      process.exit(1);
    });
}
