"""Client side of single-task restart/cancel, omega|ml's restart printout, om.restart and
om.jobs.get's normalised notebooks, against canned answers (the real service: test_omegaml_walkthrough.py)."""
import io
import json

import nbformat
import pytest

from fake_api import CannedApi
from nbgrid.client import Om
from nbgrid.client.errors import NbgridError
from nbgrid.client.notebook_format import normalized


@pytest.fixture
def api():
    with CannedApi() as a:
        yield a


def client(api, out):
    o = Om(url=api.url, token='t')
    o.runtime._out = out
    return o


def test_restart_prints_each_task_in_order_as_omegaml_does(api):
    names = [f'tasks/main/cc1a3388-{i}' for i in range(10)]
    api.routes[('POST', '/api/jobs/main/restart')] = (200, {
        'task_group': 'cc1a3388', 'restarted': [{'name': names[5], 'task_id': '302a31dd'}],
        'with_results': names[:5] + names[6:]})
    out = io.StringIO()
    client(api, out).runtime.job('main').restart()
    expected = [f'{n}.ipynb has already got results' for n in names[:5]] + ['started tasks/main/cc1a3388-5.ipynb => 302a31dd'] + \
               [f'{n}.ipynb has already got results' for n in names[6:]]
    assert out.getvalue().splitlines() == expected


def test_restart_and_cancel_of_named_tasks_send_tasks(api):
    api.routes[('POST', '/api/jobs/main/restart')] = (200, {'task_group': 'cc1a3388', 'restarted': [
        {'name': 'tasks/main/cc1a3388-3', 'task_id': 'n3'}]})
    api.routes[('POST', '/api/jobs/main/cancel')] = (200, {'task_group': 'cc1a3388', 'revoked': 1})
    out = io.StringIO()
    job = client(api, out).runtime.job('main')
    group = job.restart(tasks=['tasks/main/cc1a3388-3.ipynb', 4])
    assert api.requests[-1]['body'] == {'reset': False, 'refresh': False, 'tasks': ['tasks/main/cc1a3388-3.ipynb', '4']}
    assert 'started tasks/main/cc1a3388-3.ipynb => n3' in out.getvalue()
    group.cancel(tasks=3)
    assert api.requests[-1]['body'] == {'task_group': 'cc1a3388', 'tasks': ['3']}
    with pytest.raises(ValueError, match='task names'):
        job.cancel(tasks=[1.5])
    with pytest.raises(ValueError, match='at least one task'):
        job.restart(tasks=[])


def test_om_restart_restarts_the_job_last_used(api):
    api.routes[('POST', '/api/jobs/main/restart')] = (200, {'task_group': 'cc1a3388', 'restarted': []})
    api.routes[('POST', '/api/jobs/other/restart')] = (200, {'task_group': 'aa1a3388', 'restarted': []})
    om = client(api, io.StringIO())
    with pytest.raises(NbgridError, match='no job has been mapped here yet'):
        om.restart(reset=True)
    om.runtime.require('gpu').job('main')
    om.restart(reset=True)
    assert api.requests[-1]['path'] == '/api/jobs/main/restart'
    assert api.requests[-1]['body'] == {'reset': True, 'refresh': False}
    om.restart('other', tasks=['1'])
    assert api.requests[-1]['path'] == '/api/jobs/other/restart'


LISTY = {
    'nbformat': 4, 'nbformat_minor': 5,
    'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
                 'signature': 'sha256:x', 'orig_nbformat': 3},
    'cells': [
        {'id': 'a', 'cell_type': 'code', 'metadata': {'trusted': True, 'tags': ['parameters']},
         'source': ['alpha = 0.1\n', 'n = 2'], 'execution_count': 1,
         'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': ['a\n', 'b\n']},
                     {'output_type': 'display_data', 'metadata': {},
                      'data': {'text/plain': ['x', 'y'], 'application/json': {'k': ['1', '2']},
                               'application/vnd.plotly.v1+json': ['kept', 'as list']}}]},
        {'id': 'b', 'cell_type': 'markdown', 'metadata': {}, 'source': ['# Title\n', 'text'],
         'attachments': {'a.png': {'image/png': ['aGVs', 'bG8=']}}},
    ],
}


def test_jobs_get_normalises_list_sources_as_nbformat_reads(api):
    api.routes[('GET', '/api/notebooks/main')] = (200, {'name': 'main', 'content': LISTY})
    nb = client(api, io.StringIO()).jobs.get('main')
    reference = nbformat.reads(json.dumps(LISTY), as_version=4)
    assert nb == reference
    assert nb.cells[0].source == 'alpha = 0.1\nn = 2'
    assert isinstance(nb, nbformat.NotebookNode)


def test_stdlib_normalisation_matches_nbformat_reads():
    assert normalized(LISTY) == json.loads(json.dumps(nbformat.reads(json.dumps(LISTY), as_version=4)))
    assert LISTY['cells'][0]['source'] == ['alpha = 0.1\n', 'n = 2']  # the argument is not changed
