import json

import pytest

from nbgrid.client.config import discover, find_stack_file
from nbgrid.client.errors import NbgridNotConfigured, NbgridUnavailable


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """A HOME of its own: the rule also looks at ~/.nbgrid/stack.json, which must not be the real one."""
    home = tmp_path / 'user-home'
    home.mkdir()
    monkeypatch.setenv('HOME', str(home))
    return home


def write_stack(folder, **data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'stack.json').write_text(json.dumps(data))
    return folder / 'stack.json'


def test_env_url_and_token_win(tmp_path):
    write_stack(tmp_path, api_url='http://127.0.0.1:1', token='file')
    cfg = discover({'NBGRID_URL': 'http://127.0.0.1:2/', 'NBGRID_TOKEN': 'env',
                    'NBGRID_HOME': str(tmp_path)}, cwd=tmp_path)
    assert (cfg.url, cfg.token, cfg.source) == ('http://127.0.0.1:2', 'env', 'NBGRID_URL')


def test_nbgrid_home_stack_json(tmp_path):
    path = write_stack(tmp_path / 'home', api_url='http://127.0.0.1:3', token='t3', redis_url='x')
    cfg = discover({'NBGRID_HOME': str(tmp_path / 'home')}, cwd=tmp_path)
    assert (cfg.url, cfg.token, cfg.source) == ('http://127.0.0.1:3', 't3', str(path))


def test_env_token_overrides_stack_file_token(tmp_path):
    write_stack(tmp_path / 'home', api_url='http://127.0.0.1:3', token='t3')
    cfg = discover({'NBGRID_HOME': str(tmp_path / 'home'), 'NBGRID_TOKEN': 'mine'})
    assert cfg.token == 'mine'


def test_missing_stack_json_under_nbgrid_home_names_the_fix(tmp_path):
    with pytest.raises(NbgridNotConfigured, match='nbgrid up'):
        discover({'NBGRID_HOME': str(tmp_path / 'nothing')}, cwd=tmp_path)


def test_dot_nbgrid_found_in_a_parent_directory(tmp_path):
    path = write_stack(tmp_path / '.nbgrid', api_url='http://127.0.0.1:4', token='t4')
    deep = tmp_path / 'a' / 'b' / 'c'
    deep.mkdir(parents=True)
    assert find_stack_file(deep) == path
    cfg = discover({}, cwd=deep)
    assert (cfg.url, cfg.token) == ('http://127.0.0.1:4', 't4')


def test_nearest_dot_nbgrid_wins(tmp_path):
    write_stack(tmp_path / '.nbgrid', api_url='http://127.0.0.1:4', token='outer')
    write_stack(tmp_path / 'a' / '.nbgrid', api_url='http://127.0.0.1:5', token='inner')
    assert discover({}, cwd=tmp_path / 'a').token == 'inner'


def test_nothing_configured_is_an_unavailable_error_naming_the_fixes(tmp_path):
    with pytest.raises(NbgridUnavailable) as info:
        discover({}, cwd=tmp_path)
    msg = str(info.value)
    assert 'nbgrid up' in msg and 'make demo' in msg and 'NBGRID_URL' in msg


def test_stack_json_without_api_url_or_unreadable(tmp_path):
    write_stack(tmp_path / 'h', token='t')
    with pytest.raises(NbgridNotConfigured, match='api_url'):
        discover({'NBGRID_HOME': str(tmp_path / 'h')})
    (tmp_path / 'h' / 'stack.json').write_text('{not json')
    with pytest.raises(NbgridNotConfigured, match='cannot read'):
        discover({'NBGRID_HOME': str(tmp_path / 'h')})


def test_importing_om_does_not_connect_or_read_configuration(monkeypatch, tmp_path):
    import nbgrid.client.config as config

    calls = []
    monkeypatch.setattr(config, 'discover', lambda *a, **k: calls.append(1))
    from nbgrid.client import Om

    o = Om()
    o.runtime.require('gpu').job('main')
    assert calls == []
    assert 'not connected' in repr(o)
