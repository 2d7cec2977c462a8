"""Shared fixtures of the Python tests.

``nbgrid_stack`` starts the REAL local stack (Redis, FerretDB, Kernel Gateway, API service, workers)
with the project's CLI, once per test session:

    NBGRID_HOME=<tmpdir> node worker/bin/nbgrid.js up --workers 2     ...     nbgrid.js down

and yields the parsed ``<tmpdir>/stack.json`` (``api_url``, ``token``, ...) plus ``home``.
Set NBGRID_TEST_URL and NBGRID_TEST_TOKEN (and NBGRID_TEST_HOME, its NBGRID_HOME, if known) to use a
stack that is already running instead
(e.g. `nbgrid up --workers 0` to check everything but execution: those tests use `live_workers`).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / 'worker' / 'bin' / 'nbgrid.js'
UP_TIMEOUT = float(os.environ.get('NBGRID_TEST_UP_TIMEOUT', '240'))

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _healthy(url):
    try:
        with urllib.request.urlopen(url + '/api/health', timeout=2) as resp:
            return json.loads(resp.read()).get('status') == 'ok'
    except Exception:  # noqa: BLE001 - not up yet
        return False


def _stack_env(home):
    env = dict(os.environ, NBGRID_HOME=str(home))
    for key in ('NBGRID_URL', 'NBGRID_TOKEN'):
        env.pop(key, None)
    # the workers' kernels and the gateway are Python: use this virtualenv's
    env['PATH'] = str(Path(sys.executable).parent) + os.pathsep + env.get('PATH', '')
    return env


@pytest.fixture(scope='session')
def nbgrid_stack():
    """The running stack: ``{'api_url', 'token', 'home', ...}``; a missing CLI fails the tests (run `make build`)."""
    if os.environ.get('NBGRID_TEST_URL'):
        yield {'api_url': os.environ['NBGRID_TEST_URL'], 'token': os.environ.get('NBGRID_TEST_TOKEN'),
               'home': os.environ.get('NBGRID_TEST_HOME')}
        return
    node = shutil.which('node')
    if node is None or not CLI.exists():
        pytest.fail(f'the real stack is needed and cannot start: {CLI} '
                    f'{"is not built (run `make build`)" if node else "needs node, which is not on PATH"}')
    home = Path(tempfile.mkdtemp(prefix='nbgrid-pytest-'))
    env = _stack_env(home)
    log = open(home / 'up.log', 'w+')
    up = subprocess.Popen([node, str(CLI), 'up', '--workers', '2'], cwd=REPO, env=env,
                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    stack_file = home / 'stack.json'
    stack = None
    try:
        deadline = time.monotonic() + UP_TIMEOUT
        while time.monotonic() < deadline:
            if stack_file.exists():
                try:
                    stack = json.loads(stack_file.read_text())
                except ValueError:
                    stack = None  # being written
                if stack and stack.get('api_url') and _healthy(stack['api_url'].rstrip('/')):
                    break
            code = up.poll()
            if code not in (None, 0):
                break
            time.sleep(0.5)
        else:
            stack = None
        if not stack or not _healthy(stack.get('api_url', '').rstrip('/')):
            log.seek(0)
            pytest.fail(f'`nbgrid up --workers 2` (NBGRID_HOME={home}) did not bring up a healthy '
                        f'API within {UP_TIMEOUT}s (exit code {up.poll()}); its output:\n{log.read()[-4000:]}')
        stack = dict(stack, home=str(home))
        yield stack
    finally:
        subprocess.run([node, str(CLI), 'down'], cwd=REPO, env=env, stdout=log,
                       stderr=subprocess.STDOUT, timeout=120, check=False)
        if up.poll() is None:  # `up` ran in the foreground: stop what we started
            up.terminate()
            try:
                up.wait(30)
            except subprocess.TimeoutExpired:
                up.kill()
                up.wait(10)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def live_workers(nbgrid_stack):
    """For tests that execute notebooks: at least one live worker, else fail fast saying so."""
    _wait_for_workers(nbgrid_stack, 1)
    return nbgrid_stack


_NO_WORKERS = []


def _wait_for_workers(stack, count, timeout=60):
    if _NO_WORKERS:  # waited once already this session: fail the next tests at once
        pytest.fail(_NO_WORKERS[0])
    req = urllib.request.Request(stack['api_url'].rstrip('/') + '/api/workers',
                                 headers={'Authorization': f'token {stack.get("token")}'})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                if len(json.loads(resp.read()).get('workers', [])) >= count:
                    return
        except Exception:  # noqa: BLE001 - workers still starting
            pass
        time.sleep(0.5)
    _NO_WORKERS.append(f'the stack is up but fewer than {count} workers reported a heartbeat in '
                       f'{timeout}s (GET /api/workers); see the worker logs under <NBGRID_HOME>/run/')
    pytest.fail(_NO_WORKERS[0])


@pytest.fixture
def om_live(nbgrid_stack):
    """An ``Om`` client for the running stack (explicit url/token, so the test's env does not matter)."""
    from nbgrid.client import Om

    return Om(url=nbgrid_stack['api_url'], token=nbgrid_stack['token'])
