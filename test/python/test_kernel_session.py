"""Runs examples/client-session.ipynb in a real ipykernel (nbclient) against the REAL stack.

The notebook does `%load_ext nbgrid`, puts a local main notebook, maps it over range(3), waits and
checks status/results/metadata; then makes main fail for one parameter, fixes it and
`restart(refresh=True)`s: only that task runs again. This test checks the run history afterwards
from outside the kernel, too.
"""
import os
import uuid
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from nbgrid.client import Om

REPO = Path(__file__).resolve().parents[2]
SESSION = REPO / 'examples' / 'client-session.ipynb'
# a fresh name per run (with a '/', so it travels percent-encoded), so a reused stack does not matter
JOB = f'session/main-{uuid.uuid4().hex[:8]}'


def base(name):
    return name[:-len('.ipynb')] if name.endswith('.ipynb') else name


def test_client_session_notebook_in_a_real_kernel(nbgrid_stack, live_workers, monkeypatch, tmp_path):
    nb = nbformat.read(str(SESSION), as_version=4)
    params = [c for c in nb.cells if 'parameters' in c.metadata.get('tags', [])]
    assert len(params) == 1
    params[0].source = f'job_name = {JOB!r}'

    # the kernel inherits this process's environment: point it at the stack the way a user would
    for key in ('NBGRID_URL', 'NBGRID_TOKEN', 'NBGRID_HOME'):
        monkeypatch.delenv(key, raising=False)
    if nbgrid_stack.get('home'):
        monkeypatch.setenv('NBGRID_HOME', nbgrid_stack['home'])
    else:
        monkeypatch.setenv('NBGRID_URL', nbgrid_stack['api_url'])
        monkeypatch.setenv('NBGRID_TOKEN', nbgrid_stack['token'])
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join(filter(None, [str(REPO), os.environ.get('PYTHONPATH')])))

    client = NotebookClient(nb, kernel_name='python3', timeout=900,
                            resources={'metadata': {'path': str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, if an assert fails
    errors = [o for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', [])
              if o.output_type == 'error']
    assert errors == []
    printed = ''.join(o.get('text', '') for c in nb.cells if c.cell_type == 'code'
                      for o in c.get('outputs', []) if o.output_type == 'stream')
    assert f'generating task tasks/{JOB}/' in printed and f'started tasks/{JOB}/' in printed

    # from outside the kernel: two groups; only task 1 of the newest ran twice
    om = Om(url=nbgrid_stack['api_url'], token=nbgrid_stack['token'])
    job = om.runtime.job(JOB)
    groups = job.groups()
    assert len(groups) == 2
    newest, first = groups[0]['task_group'], groups[1]['task_group']
    meta = om.jobs.metadata(JOB)
    runs = {base(k): v for k, v in meta.job_runs.items()}
    assert [len(runs[f'tasks/{JOB}/{newest}-{i}']) for i in range(3)] == [1, 2, 1]
    assert [len(runs[f'tasks/{JOB}/{first}-{i}']) for i in range(3)] == [1, 1, 1]
    assert job.results(newest) == [0, 2, 4]
