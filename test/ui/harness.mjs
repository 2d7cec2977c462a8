// Shared pieces of the UI tests: processes in their own group with logs, a free port, a real
// `jupyter lab` with this working tree's extensions, and Debian's chromium through playwright-core.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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
export function launchBrowser(sandbox) {
  return chromium.launchPersistentContext(path.join(sandbox.tmp, 'chromium-profile'), {
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
