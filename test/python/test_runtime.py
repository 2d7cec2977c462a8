"""Client behaviour over HTTP against canned answers (the real service is in test_integration.py)."""
import io
import json

import nbformat
import pytest

from fake_api import CannedApi
from nbgrid.client import Om, TaskGroup
from nbgrid.client.errors import NbgridNotFound, NbgridTimeout


def map_answer(n, group='c05ecd89', warnings=(), require='default'):
    return (201, {'task_group': group, 'job': 'main', 'count': n, 'require': require,
                  'tasks': [{'name': f'tasks/main/{group}-{i}', 'task_id': f'id-{i}'} for i in range(n)],
                  'warnings': list(warnings)})


def rows(states, group='c05ecd89', ids=None):
    return (200, {'rows': [
        {'name': f'tasks/main/{group}-{i}.ipynb', 'task_id': (ids or {}).get(i, f'id-{i}'), 'status': s,
         'run_status': {'SUCCESS': 'OK', 'FAILURE': 'ERROR'}.get(s, 'unknown'), 'task_group': group,
         'job_id': i, 'duration': None, 'worker': None, 'message': '', 'results': None}
        for i, s in enumerate(states)]})


@pytest.fixture
def api():
    with CannedApi() as a:
        yield a


def client(api, out):
    o = Om(url=api.url, token='t')
    o.runtime._out = out
    return o


def test_small_map_prints_every_task_like_omegaml(api):
    api.routes[('POST', '/api/jobs/main/map')] = map_answer(3)
    out = io.StringIO()
    group = client(api, out).runtime.job('main').map(range(3))
    assert out.getvalue().splitlines() == [
        'generating task tasks/main/c05ecd89-0',
        'generating task tasks/main/c05ecd89-1',
        'generating task tasks/main/c05ecd89-2',
        'started tasks/main/c05ecd89-0.ipynb => id-0',
        'started tasks/main/c05ecd89-1.ipynb => id-1',
        'started tasks/main/c05ecd89-2.ipynb => id-2',
    ]
    assert isinstance(group, TaskGroup) and group == 'c05ecd89' and str(group) == 'c05ecd89'
    assert group.count == 3 and [t['task_id'] for t in group.tasks] == ['id-0', 'id-1', 'id-2']
    assert api.requests[-1]['body'] == {'range': {'start': 0, 'stop': 3, 'step': 1}}


def test_large_map_is_summarised_and_warnings_are_printed(api):
    api.routes[('POST', '/api/jobs/main/map')] = map_answer(1000, warnings=['no live worker serves label gpu'])
    out = io.StringIO()
    client(api, out).runtime.job('main').map(list(range(1000)), require='gpu')
    lines = out.getvalue().splitlines()
    assert lines[:5] == [f'generating task tasks/main/c05ecd89-{i}' for i in range(5)]
    assert lines[5] == '... 994 more'
    assert lines[6] == 'generating task tasks/main/c05ecd89-999'
    assert lines[7] == 'started tasks/main/c05ecd89-0.ipynb => id-0'
    assert lines[12] == '... 994 more'
    assert lines[13] == 'started tasks/main/c05ecd89-999.ipynb => id-999'
    assert lines[14] == 'warning: no live worker serves label gpu'
    assert len(lines) == 15


def test_require_label_from_runtime_and_explicit_require_wins(api):
    api.routes[('POST', '/api/jobs/main/map')] = map_answer(1)
    o = client(api, io.StringIO())
    o.runtime.require('gpu').job('main').map([1], cell_timeout=30)
    assert api.requests[-1]['body'] == {'params': [1], 'require': 'gpu', 'cell_timeout': 30}
    o.runtime.require('gpu').job('main').map([1], require='cpu')
    assert api.requests[-1]['body']['require'] == 'cpu'
    o.runtime.job('main').map([1])
    assert 'require' not in api.requests[-1]['body']
    assert repr(o.runtime.require('gpu')) == "Runtime(require='gpu')"


def test_bad_parameters_never_reach_the_server(api):
    with pytest.raises(ValueError, match='no order'):
        client(api, io.StringIO()).runtime.job('main').map([{1, 2}])
    assert api.requests == []


def test_status_query_and_frame(api):
    api.routes[('GET', '/api/jobs/main/status')] = rows(['SUCCESS', 'PENDING'])
    job = client(api, io.StringIO()).runtime.job('main')
    df = job.status(task_group='*')
    assert list(df['status']) == ['SUCCESS', 'PENDING']
    assert api.requests[-1]['path'].endswith('?task_group=%2A')
    table = job.status(as_frame=False)
    assert api.requests[-1]['path'] == '/api/jobs/main/status'
    assert table.column('run_status') == ['OK', 'unknown']
    assert job.list() == ['tasks/main/c05ecd89-0.ipynb', 'tasks/main/c05ecd89-1.ipynb']
    assert api.requests[-1]['path'].endswith('?task_group=%2A')
    job.list('c05ecd89')
    assert api.requests[-1]['path'].endswith('?task_group=c05ecd89')


def test_wait_polls_until_final_and_shows_progress_lines(api, monkeypatch):
    answers = [rows(['PENDING', 'STARTED']), rows(['SUCCESS', 'STARTED']), rows(['SUCCESS', 'FAILURE'])]
    api.routes[('GET', '/api/jobs/main/status')] = answers[0]
    job = client(api, io.StringIO()).runtime.job('main')
    out = job._out = io.StringIO()
    polls = []

    def fake_sleep(_):
        polls.append(1)
        api.routes[('GET', '/api/jobs/main/status')] = answers[len(polls)]

    monkeypatch.setattr('nbgrid.client.runtime.time.sleep', fake_sleep)
    final = job.wait(as_frame=False)
    assert final.column('status') == ['SUCCESS', 'FAILURE']
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[0].startswith('main [') and lines[-1].split()[2] == '2/2'
    # the group is pinned after the first poll
    assert api.requests[-1]['path'] == '/api/jobs/main/status?task_group=c05ecd89'


def test_wait_after_restart_ignores_the_old_final_state_of_a_restarted_task(api, monkeypatch):
    api.routes[('POST', '/api/jobs/main/restart')] = (200, {
        'task_group': 'c05ecd89', 'restarted': [{'name': 'tasks/main/c05ecd89-1', 'task_id': 'new-1'}]})
    out = io.StringIO()
    job = client(api, out).runtime.job('main')
    group = job.restart(refresh=True)
    assert api.requests[-1]['body'] == {'reset': False, 'refresh': True}
    assert out.getvalue().splitlines() == ['started tasks/main/c05ecd89-1.ipynb => new-1']
    # the server still shows the old FAILURE of task 1 (old id), then the new run
    answers = [rows(['SUCCESS', 'FAILURE']), rows(['SUCCESS', 'SUCCESS'], ids={1: 'new-1'})]
    api.routes[('GET', '/api/jobs/main/status')] = answers[0]
    polls = []

    def fake_sleep(_):
        polls.append(1)
        api.routes[('GET', '/api/jobs/main/status')] = answers[1]

    monkeypatch.setattr('nbgrid.client.runtime.time.sleep', fake_sleep)
    final = group.wait(progress=False, as_frame=False)
    assert polls == [1]
    assert final.column('task_id') == ['id-0', 'new-1']


def test_restart_with_nothing_to_do_says_so(api):
    api.routes[('POST', '/api/jobs/main/restart')] = (200, {'task_group': 'c05ecd89', 'restarted': []})
    out = io.StringIO()
    client(api, out).runtime.job('main').restart(reset=False, task_group='c05ecd89')
    assert api.requests[-1]['body'] == {'reset': False, 'refresh': False, 'task_group': 'c05ecd89'}
    assert 'every task has an OK result' in out.getvalue()


def test_wait_timeout_raises_with_advice(api):
    api.routes[('GET', '/api/jobs/main/status')] = rows(['STARTED'])
    job = client(api, io.StringIO()).runtime.job('main')
    with pytest.raises(NbgridTimeout, match='still running after 0.2s; call wait'):
        job.wait(timeout=0.2, poll=0.05, progress=False)


def test_terminal_progress_is_one_carriage_return_line(api):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    api.routes[('GET', '/api/jobs/main/status')] = rows(['SUCCESS'])
    job = client(api, io.StringIO()).runtime.job('main')
    job._out = Tty()
    job.wait()
    text = job._out.getvalue()
    assert text.startswith('\rmain [') and text.endswith('\n') and text.count('\n') == 1


def test_results_in_order_and_warning_for_missing(api):
    api.routes[('GET', '/api/jobs/main/results')] = (200, {'task_group': 'g', 'results': [0, None, 4],
                                                           'missing': [1]})
    with pytest.warns(RuntimeWarning, match=r'job_id \[1\] have no OK result'):
        assert client(api, io.StringIO()).runtime.job('main').results() == [0, None, 4]


def test_cancel_prints_and_returns_the_answer(api):
    api.routes[('POST', '/api/jobs/main/cancel')] = (200, {'task_group': 'g', 'revoked': 7})
    out = io.StringIO()
    assert client(api, out).runtime.job('main').cancel()['revoked'] == 7
    assert out.getvalue() == 'revoked 7 tasks of task group g\n'


def test_jobs_put_from_path_dict_and_notebooknode_and_get(api, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x = 1')])
    path = tmp_path / 'main.ipynb'
    nbformat.write(nb, str(path))
    api.routes[('PUT', '/api/notebooks/dir/main')] = (200, {'name': 'dir/main', 'sha256': 'abc'})
    o = Om(url=api.url, token='t')
    for obj in (str(path), path, json.loads(path.read_text()), nb):
        assert o.jobs.put(obj, 'dir/main')['sha256'] == 'abc'
        source = api.requests[-1]['body']['content']['cells'][0]['source']
        assert ''.join(source) == 'x = 1'  # on disk nbformat may split source into lines
    with pytest.raises(FileNotFoundError, match='not a file'):
        o.jobs.put(str(tmp_path / 'missing.ipynb'), 'x')
    api.routes[('GET', '/api/notebooks/dir/main')] = (200, {'name': 'dir/main', 'content': dict(nb)})
    got = o.jobs.get('dir/main')
    assert isinstance(got, nbformat.NotebookNode) and got.cells[0].source == 'x = 1'


def test_jobs_list_sends_the_literal_prefix_and_filters_by_glob(api):
    names = ['results/tasks/main/cc1a3388-0.ipynb_t.ipynb', 'results/tasks/main/cc1a3388-1.ipynb_t.ipynb',
             'results/tasks/main/dd000000-0.ipynb_t.ipynb']
    api.routes[('GET', '/api/notebooks')] = (200, {'notebooks': [{'name': n} for n in names]})
    o = Om(url=api.url, token='t')
    assert o.jobs.list('results/tasks/main/cc1a3388*') == names[:2]
    assert api.requests[-1]['path'] == '/api/notebooks?prefix=results%2Ftasks%2Fmain%2Fcc1a3388'
    assert o.jobs.list() == names
    assert api.requests[-1]['path'] == '/api/notebooks?prefix='


def test_metadata_of_main_and_of_a_task_notebook(api):
    run = {'status': 'OK', 'ts': 't', 'message': '', 'results': 'results/tasks/main/ab12cd34-0.ipynb_t.ipynb',
           'duration': 1, 'worker': 'w', 'attempt': 1, 'task_id': 'id-0'}
    tasks = [{'name': 'tasks/main/ab12cd34-0', 'job': 'main', 'task_group': 'ab12cd34', 'job_id': 0,
              'param': 0, 'task_id': 'id-0', 'state': 'SUCCESS', 'run_status': 'OK', 'job_runs': [run]},
             {'name': 'tasks/main/ab12cd34-1', 'job': 'main', 'task_group': 'ab12cd34', 'job_id': 1,
              'param': 1, 'task_id': 'id-1', 'state': 'PENDING', 'run_status': 'unknown', 'job_runs': []}]
    api.routes[('GET', '/api/notebooks/main')] = (200, {'name': 'main', 'sha256': 's', 'content': {}})
    api.routes[('GET', '/api/jobs/main/tasks')] = (200, {'tasks': tasks})
    o = Om(url=api.url, token='t')
    meta = o.jobs.metadata('main')
    assert meta.name == 'main' and meta.job == {'name': 'main', 'sha256': 's'}
    assert meta.job_runs == {'tasks/main/ab12cd34-0': [run], 'tasks/main/ab12cd34-1': []}
    assert meta.job_results == {'tasks/main/ab12cd34-0': [run['results']], 'tasks/main/ab12cd34-1': []}
    assert meta.attributes['job_runs'] is meta.job_runs
    assert api.requests[-1]['path'] == '/api/jobs/main/tasks?task_group=%2A'
    task_meta = o.jobs.metadata('tasks/main/ab12cd34-0.ipynb')
    assert api.requests[-1]['path'] == '/api/jobs/main/tasks?task_group=ab12cd34'
    assert task_meta.job['param'] == 0 and task_meta.job['task_name'] == 'tasks/main/ab12cd34-0'
    assert task_meta.job_runs == [run] and task_meta.job_results == [run['results']]
    with pytest.raises(NbgridNotFound, match='does not exist in task group ab12cd34'):
        o.jobs.metadata('tasks/main/ab12cd34-7')
