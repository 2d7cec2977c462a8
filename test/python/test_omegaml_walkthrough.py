"""omega|ml's documented walkthrough of ``job.map()`` (../shared/reference/omegaml-job-map.rst),
step by step and literally, against the REAL stack (see conftest.py): the same calls, the same
printed lines, the same names."""
import io
import os
import re
import subprocess
import time

import nbformat
import pytest
from conftest import CLI

WAIT = 300
UUID = r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'


@pytest.fixture
def main_notebook():
    """The document's main.ipynb: the job variable with a default, a helper, the call."""
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("# get the job, specify default value instead of None for testing\n"
                                  "# -- the 'param' value is taken from the .map() iterable\n"
                                  "job = globals().get('job', {'param': 9})"),
        nbformat.v4.new_code_cell("def calculation(group_id=None):\n"
                                  "    return {'group_id': group_id, 'value': group_id * 10}\n\n"
                                  "job['result'] = calculation(group_id=job['param'])\n"
                                  "print('calculated', job['param'])"),
    ])


def _wait_until(predicate, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f'timed out after {timeout}s waiting for {what}')


def test_the_documented_walkthrough(om_live, main_notebook, live_workers):
    om = om_live
    om.jobs.put(main_notebook, 'main')
    out = io.StringIO()
    om.runtime._out = out

    # In [16]: job = om.runtime.job('main')
    job = om.runtime.job('main')
    # In [17]: task_notebooks = job.map(range(10))
    task_notebooks = job.map(range(10))
    group = str(task_notebooks)
    lines = out.getvalue().splitlines()
    assert lines[:10] == [f'generating task tasks/main/{group}-{i}' for i in range(10)]
    for i, line in enumerate(lines[10:20]):
        assert re.fullmatch(rf'started tasks/main/{group}-{i}\.ipynb => {UUID}', line), line

    # In [21]: job.status() -- one row per task named by its task notebook
    status = job.status(as_frame=False)
    assert status.column('name') == [f'tasks/main/{group}-{i}.ipynb' for i in range(10)]
    assert {'name', 'task_id', 'status', 'run_status'} <= set(status.columns)
    assert set(status.column('status')) <= {'PENDING', 'STARTED', 'SUCCESS'}

    # In [22]: after a while the status is updated
    _wait_until(lambda: job.status(as_frame=False).column('status') == ['SUCCESS'] * 10, 'every task SUCCESS')
    status = job.status(as_frame=False)
    assert status.column('run_status') == ['OK'] * 10
    assert status.column('name') == [f'tasks/main/{group}-{i}.ipynb' for i in range(10)]

    # In [34]: om.jobs.list('results/tasks/main/cc1a3388*')
    results = om.jobs.list(f'results/tasks/main/{group}*')
    assert len(results) == 10
    for i, name in enumerate(sorted(results, key=lambda n: int(re.search(rf'{group}-(\d+)\.ipynb_', n)[1]))):
        assert name.startswith(f'results/tasks/main/{group}-{i}.ipynb_') and name.endswith('.ipynb')

    # Dealing with errors: meta = om.jobs.metadata('tasks/main/cc1a3388-9')
    meta = om.jobs.metadata(f'tasks/main/{group}-9')
    last = meta.attributes['job_runs'][-1]
    assert last['status'] == 'OK' and last['results'] in results
    assert meta.attributes['job']['param'] == 9 and meta.attributes['job']['task_group'] == group
    assert meta.attributes['job_results'] == [last['results']]

    # "for demo purpose, I just deleted the ...-5 task's result notebook", then In [23]: job.restart()
    five = om.jobs.metadata(f'tasks/main/{group}-5').attributes['job_runs'][-1]['results']
    assert om.jobs.drop(five) is True
    out.truncate(0)
    out.seek(0)
    job.restart()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10, lines
    for i, line in enumerate(lines):
        if i == 5:
            assert re.fullmatch(rf'started tasks/main/{group}-5\.ipynb => {UUID}', line), line
        else:
            assert line == f'tasks/main/{group}-{i}.ipynb has already got results'
    # exactly that task ran again; the others kept their one run
    _wait_until(lambda: job.status(as_frame=False).column('status') == ['SUCCESS'] * 10, 'the restarted task')
    runs = om.jobs.metadata('main').job_runs
    counts = {i: len(runs[f'tasks/main/{group}-{i}']) for i in range(10)}
    assert counts == {i: 2 if i == 5 else 1 for i in range(10)}
    assert len(om.jobs.list(f'results/tasks/main/{group}-5.ipynb_*')) == 1
    assert job.results() == [{'group_id': i, 'value': i * 10} for i in range(10)]

    # "We can also force a re-run of tasks": om.restart(reset=True)
    out.truncate(0)
    out.seek(0)
    om.restart(reset=True)
    assert len([line for line in out.getvalue().splitlines() if line.startswith('started ')]) == 10
    _wait_until(lambda: job.status(as_frame=False).column('status') == ['SUCCESS'] * 10, 'the reset')
    runs = om.jobs.metadata('main').job_runs
    assert {i: len(runs[f'tasks/main/{group}-{i}']) for i in range(10)} == {i: 3 if i == 5 else 2 for i in range(10)}

    # In [54]: job.list()  /  In [55]: job.status(task_group='*')
    listed = job.list()
    assert {f'tasks/main/{group}-{i}.ipynb' for i in range(10)} <= set(listed)
    everything = job.status(task_group='*', as_frame=False)
    assert {f'tasks/main/{group}-{i}.ipynb' for i in range(10)} <= set(everything.column('name'))


def test_single_tasks_restart_and_cancel(om_live, main_notebook, live_workers):
    om = om_live
    om.jobs.put(main_notebook, 'single')
    job = om.runtime.job('single')
    job._out = io.StringIO()
    group = job.map(range(4))
    group.wait(timeout=WAIT, progress=False)
    before = om.jobs.metadata('single').job_runs
    job.restart(tasks=[f'tasks/single/{group}-1.ipynb', 3])
    _wait_until(lambda: job.status(as_frame=False).column('status') == ['SUCCESS'] * 4, 'the restarted tasks')
    after = om.jobs.metadata('single').job_runs
    grew = [i for i in range(4) if len(after[f'tasks/single/{group}-{i}']) > len(before[f'tasks/single/{group}-{i}'])]
    assert grew == [1, 3]
    # cancel of a finished task revokes nothing; of the whole group neither
    assert job.cancel(tasks=[0])['revoked'] == 0


def _cli(stack, *args, cwd):
    """``nbgrid <args>`` (this tree's CLI) against the stack."""
    env = dict(os.environ, NBGRID_URL=stack['api_url'], NBGRID_TOKEN=stack['token'])
    return subprocess.run(['node', str(CLI), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_cli_get_writes_notebooks_and_restart_cancel_take_tasks(om_live, main_notebook, live_workers, nbgrid_stack, tmp_path):
    om = om_live
    om.jobs.put(main_notebook, 'cli/main')
    job = om.runtime.job('cli/main')
    job._out = io.StringIO()
    group = job.map([1, 2])
    group.wait(timeout=WAIT, progress=False)
    result = om.jobs.metadata(f'tasks/cli/main/{group}-1').attributes['job_runs'][-1]['results']
    assert ':' in result  # an ISO time: the reason for the safe file name

    # nbgrid get <result notebook>: a file name any filesystem takes
    done = _cli(nbgrid_stack, 'get', result, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    files = [p.name for p in tmp_path.iterdir()]
    assert len(files) == 1 and ':' not in files[0] and files[0].startswith(f'{group}-1.ipynb_') and files[0].endswith('.ipynb')
    written = nbformat.read(str(tmp_path / files[0]), as_version=4)
    assert nbformat.validate(written) is None
    assert any('calculated 2' in o.get('text', '') for c in written.cells for o in c.get('outputs', []))
    # nbgrid get <task notebook> -o file: the rendered task notebook with its injected cell
    done = _cli(nbgrid_stack, 'get', f'tasks/cli/main/{group}-0.ipynb', '-o', 'task.ipynb', cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    task = nbformat.read(str(tmp_path / 'task.ipynb'), as_version=4)
    assert [c.metadata.get('tags') for c in task.cells][0] == ['injected-parameters']
    # a missing notebook: an error that says so, exit code 2, no file
    done = _cli(nbgrid_stack, 'get', 'results/tasks/cli/main/nope.ipynb', '-o', 'nope.ipynb', cwd=tmp_path)
    assert done.returncode == 2 and 'does not exist' in done.stderr and not (tmp_path / 'nope.ipynb').exists()

    # nbgrid restart --task / cancel --task
    before = job.status(as_frame=False).column('task_id')
    done = _cli(nbgrid_stack, 'restart', 'cli/main', '--task', '1', cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f'restarted tasks/cli/main/{group}-1.ipynb => ' in done.stdout and '1 tasks restarted' in done.stdout
    after = job.status(as_frame=False).column('task_id')
    assert after[0] == before[0] and after[1] != before[1]
    done = _cli(nbgrid_stack, 'cancel', 'cli/main', '--task', f'tasks/cli/main/{group}-0', cwd=tmp_path)
    assert done.returncode == 0 and '0 tasks revoked' in done.stdout, done.stderr
