"""The rule by which the Python client (and the Jupyter server extension) finds the service, against
the cases the CLI is tested with too (test/fixtures/stack-discovery-cases.json)."""
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nbgrid.client.config import ServiceConfig, discover, stack_home
from nbgrid.client.errors import NbgridNotConfigured

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / 'test' / 'fixtures' / 'stack-discovery-cases.json'
CASES = json.loads(FIXTURE.read_text(encoding='utf-8'))['cases']

UP_FIELDS = {'redis_url': 'redis://127.0.0.1:1', 'mongo_url': 'mongodb://127.0.0.1:2/nbgrid',
             'gateway_url': 'http://127.0.0.1:3', 'gateway_token': 'g', 'run_dir': '/nonexistent', 'pids': {}}


def test_the_cases_include_the_one_of_issue_13():
    assert len(CASES) >= 10
    assert any(c['name'].startswith('issue 13') and 'up' in c and 'NBGRID_HOME' not in c['env'] for c in CASES)


@pytest.mark.parametrize('case', CASES, ids=[c['name'] for c in CASES])
def test_shared_discovery_case(case, tmp_path):
    tmp = str(tmp_path.resolve())

    def fill(text):
        return text.replace('{tmp}', tmp)

    for rel, content in case['files'].items():
        path = Path(tmp, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding='utf-8')
    env = {key: fill(value) for key, value in case['env'].items()}
    if 'up' in case:
        home = stack_home(env)
        home.mkdir(parents=True, exist_ok=True)
        (home / 'stack.json').write_text(json.dumps({**UP_FIELDS, **case['up']}), encoding='utf-8')
    cwd = Path(tmp, case['cwd'])
    cwd.mkdir(parents=True, exist_ok=True)
    if 'expect' in case:
        want = case['expect']
        assert discover(env, cwd=cwd) == ServiceConfig(url=want['url'], token=want['token'], source=fill(want['source']))
    else:
        with pytest.raises(NbgridNotConfigured) as info:
            discover(env, cwd=cwd)
        for part in case['error_contains']:
            assert fill(part) in str(info.value)
        hint = info.value.hint
        assert hint['code'] == 'service_not_configured' and str(info.value).endswith(hint['fix'])


def test_the_server_extension_follows_the_same_rule(tmp_path, monkeypatch):
    from nbgrid.server.backend import resolve_backend

    user = tmp_path / 'user'
    (user / '.nbgrid').mkdir(parents=True)
    (user / '.nbgrid' / 'stack.json').write_text(json.dumps({'api_url': 'http://127.0.0.1:4003/', 'token': 'user'}))
    root = tmp_path / 'elsewhere'
    root.mkdir()
    for name in ('NBGRID_URL', 'NBGRID_TOKEN', 'NBGRID_HOME'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HOME', str(user))
    backend = resolve_backend(str(root))
    assert (backend.api_url, backend.token) == ('http://127.0.0.1:4003', 'user')
    (user / '.nbgrid' / 'stack.json').unlink()
    missing = resolve_backend(str(root))
    assert missing.api_url is None and 'no nbgrid service configured' in missing.unreachable_message()
    assert missing.hint()['code'] == 'service_not_configured'


def test_nbgrid_up_outside_the_repository_is_found_from_any_directory(tmp_path):
    """Issue 13 end to end: `nbgrid up` with neither NBGRID_HOME nor a working directory in the
    repository, then a client in an unrelated directory finds that stack; `nbgrid down` stops it."""
    cli = REPO / 'worker' / 'bin' / 'nbgrid.js'
    if not (REPO / 'worker' / 'dist').is_dir():
        pytest.fail('worker/dist is missing: run `make build` first')
    home = tmp_path / 'user'
    home.mkdir()
    outside = tmp_path / 'elsewhere' / 'notebooks'
    outside.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ('NBGRID_URL', 'NBGRID_TOKEN', 'NBGRID_HOME')}
    env['HOME'] = str(home)
    up = subprocess.run(['node', str(cli), 'up', '--workers', '0', '--no-service'], cwd=outside, env=env,
                        capture_output=True, text=True, timeout=180)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        written = home / '.nbgrid' / 'stack.json'
        assert str(written) in up.stdout
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700
        stack = json.loads(written.read_text())
        cfg = discover({'HOME': str(home)}, cwd=outside)
        assert (cfg.url, cfg.token, cfg.source) == (stack['api_url'], stack['token'], str(written))
        # The kernel-side client in a kernel started in that directory sees the same.
        code = ('from nbgrid.client.config import discover; c = discover(); print(c.url, c.source)')
        kernel_env = dict(env, PYTHONPATH=str(REPO) + os.pathsep + env.get('PYTHONPATH', ''))
        out = subprocess.run([sys.executable, '-c', code], cwd=outside, env=kernel_env, capture_output=True,
                             text=True, timeout=60)
        assert out.stdout.split() == [stack['api_url'], str(written)], out.stderr
    finally:
        down = subprocess.run(['node', str(cli), 'down'], cwd=outside, env=env, capture_output=True, text=True,
                              timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
    assert 'redis' in down.stdout
    assert not (home / '.nbgrid' / 'stack.json').exists()
