"""The client against the REAL stack (`nbgrid up --workers 2`, see conftest.py): no canned answers."""
import warnings

import nbformat
import pytest

from nbgrid.client import Om
from nbgrid.client.errors import NbgridAuthError, NbgridBadRequest, NbgridNotFound

WAIT = 300


def base(name):
    return name[:-len('.ipynb')] if name.endswith('.ipynb') else name


@pytest.fixture
def main_notebook():
    """The documented pattern: a default parameter, and `job['result']` as the returned value."""
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "job = globals().get('job', {'param': 9})\n"
        "job['result'] = job['param'] * 2")])


def test_put_map_wait_status_results_metadata(om_live, main_notebook, live_workers):
    info = om_live.jobs.put(main_notebook, 'main')
    assert info['name'] == 'main' and len(info['sha256']) == 64
    assert 'main' in om_live.jobs.list()
    assert om_live.jobs.get('main').cells[0].source.startswith("job = globals().get('job'")

    job = om_live.runtime.job('main')
    group = job.map(range(3))
    assert len(str(group)) == 8 and group.count == 3
    status = group.wait(timeout=WAIT, progress=False)
    assert len(status) == 3
    assert list(status['status']) == ['SUCCESS'] * 3
    assert list(status['run_status']) == ['OK'] * 3
    assert list(status['task_group']) == [str(group)] * 3
    assert job.results(group) == [0, 2, 4]
    assert group.results() == [0, 2, 4]

    meta = om_live.jobs.metadata('main')
    assert meta.job['name'] == 'main'
    for name in status['name']:
        runs = meta.job_runs[base(name)]
        assert [r['status'] for r in runs] == ['OK']
        assert meta.job_results[base(name)] == [runs[0]['results']]
    results = om_live.jobs.list(f'results/tasks/main/{group}*')
    assert len(results) == 3 and set(results) == {r[0] for r in meta.job_results.values() if r and str(group) in r[0]}
    assert set(job.list()) >= {n if n.endswith('.ipynb') else n + '.ipynb' for n in status['name']}


def test_name_with_a_slash_round_trips_percent_encoded(om_live, main_notebook, live_workers):
    om_live.jobs.put(main_notebook, 'team a/main')
    assert om_live.jobs.list('team a/*') == ['team a/main']
    job = om_live.runtime.job('team a/main')
    group = job.map([5, 0.5])
    group.wait(timeout=WAIT, progress=False)
    assert job.results() == [10, 1.0]
    with pytest.raises(NbgridBadRequest, match='has task groups'):
        om_live.jobs.drop('team a/main')
    assert om_live.jobs.drop('team a/main', groups=True) is True
    with pytest.raises(NbgridNotFound):
        om_live.jobs.get('team a/main')


def test_values_reach_the_kernel_and_come_back_exactly(om_live, live_workers):
    """Issue 14: big ints, 1.0 vs 1, -0.0, 10**30 and integer-like keys, in both directions."""
    import math
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "job = globals().get('job', {'param': 9})\n"
        "p = job['param']\n"
        "job['result'] = {'seen': repr(p), 'types': repr(type(p).__name__), 'echo': p,\n"
        "                 'computed': [2**64 + 1, 10**30, 2.0, -0.0, {'2': 'b', '1': 'a'}]}")])
    om_live.jobs.put(nb, 'exact')
    job = om_live.runtime.job('exact')
    params = [2 ** 53 + 1, 10 ** 30, 1.0, 1, -0.0, {'2': 'b', '1': 'a', '10': [1.5, -(2 ** 80)]}]
    group = job.map(params)
    status = group.wait(timeout=WAIT, progress=False)
    assert list(status['run_status']) == ['OK'] * len(params), list(status['message'])
    results = job.results(group)
    for sent, got in zip(params, results):
        assert got['seen'] == repr(sent)  # what the kernel saw
        assert got['types'] == repr(type(sent).__name__)
        assert repr(got['echo']) == repr(sent)  # what came back, types and key order included
        if isinstance(sent, float) and sent == 0:
            assert math.copysign(1, got['echo']) == -1.0
        assert repr(got['computed']) == repr([2 ** 64 + 1, 10 ** 30, 2.0, -0.0, {'2': 'b', '1': 'a'}])
    assert list(results[5]['echo']) == ['2', '1', '10']


def test_require_from_the_runtime_reaches_the_api(om_live, main_notebook):
    om_live.jobs.put(main_notebook, 'main')
    job = om_live.runtime.require('gpu').job('main')
    group = job.map([1])
    try:
        assert group.require == 'gpu'
        rows = job.status(task_group=group, as_frame=False)
        assert len(rows) == 1
        groups = {g['task_group']: g for g in job.groups()}
        assert groups[str(group)]['require'] == 'gpu'
        if not any('gpu' in w['labels'] for w in om_live.runtime.workers()):
            assert group.warnings, 'no worker serves gpu: the API should warn'
        assert [t['require'] for t in job.tasks(task_group=group)] == ['gpu']
        # an explicit require= wins over the runtime's label
        other = job.map([1], require='cpu')
        job.cancel(task_group=other)
        assert {g['task_group']: g for g in job.groups()}[str(other)]['require'] == 'cpu'
    finally:
        job.cancel(task_group=group)


def test_wrong_token_is_an_auth_error(nbgrid_stack):
    bad = Om(url=nbgrid_stack['api_url'], token='not-the-token')
    with pytest.raises(NbgridAuthError, match='NBGRID_TOKEN'):
        bad.jobs.list()
    with pytest.raises(NbgridAuthError):
        Om(url=nbgrid_stack['api_url'], token=None).runtime.job('main').status()


def test_unknown_notebook_is_not_found_with_the_servers_message(om_live):
    with pytest.raises(NbgridNotFound) as info:
        om_live.runtime.job('no-such-notebook').map([1])
    assert 'no-such-notebook' in str(info.value)
    with pytest.raises(NbgridNotFound):
        om_live.jobs.get('no-such-notebook')
    with pytest.raises(NbgridNotFound):
        om_live.jobs.metadata('no-such-notebook')


def test_client_finds_the_stack_through_nbgrid_home(nbgrid_stack, monkeypatch):
    if not nbgrid_stack.get('home'):
        pytest.skip('NBGRID_TEST_URL given: no NBGRID_HOME/stack.json to discover')
    monkeypatch.delenv('NBGRID_URL', raising=False)
    monkeypatch.delenv('NBGRID_TOKEN', raising=False)
    monkeypatch.setenv('NBGRID_HOME', nbgrid_stack['home'])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert Om().health()['status'] == 'ok'
        assert isinstance(Om().runtime.workers(), list)
