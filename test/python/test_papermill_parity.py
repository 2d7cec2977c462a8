"""papermill's own test notebooks (shipped in its package under ``papermill/tests/notebooks``),
executed by papermill and by nbgrid (the REAL stack, see conftest.py) with the same parameters:
the same cell outputs (timestamps and kernel ids aside) and the same error for those that raise.

papermill runs each notebook in this process's virtualenv (``papermill.execute_notebook``);
nbgrid stores the same notebook and maps it over ``[parameters]``. Both inject their parameters
cell the papermill way, so execution counts and tracebacks line up. Every notebook is either
compared or skipped with its reason printed (SKIPPED below): none is left out silently.
"""
import copy
import io
import json
import re
import tempfile
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

WAIT = 600
NOTEBOOKS = Path(papermill.__file__).parent / 'tests' / 'notebooks'

#: notebook (relative to NOTEBOOKS) -> parameters given to both (always some: both then inject a cell)
PARAMETERS = {
    'blank-vscode.ipynb': {'label': 'parity'},
    'broken.ipynb': {'label': 'parity'},
    'broken1.ipynb': {'label': 'parity'},
    'broken2.ipynb': {'label': 'parity'},
    'complex_parameters.ipynb': {'msg': 'Hello', 'a': 0.5, 'b': ['x', 'y'], 'c': {'k': [1, 2.0, None]}},
    'line_magic_error.ipynb': {'label': 'parity'},
    'nb_version_4.4.ipynb': {'var': 2},
    'no_parameters.ipynb': {'msg': 'Hello'},
    'report_mode_test.ipynb': {'a': 3, 'b': 4},
    'result_no_exec.ipynb': {'foo': 2, 'bar': 'it\'s "quoted"\n'},
    'simple_execute.ipynb': {'msg': 'Hello \u00e9\u00e8 \U0001f600'},
    'sysexit.ipynb': {'label': 'parity'},
    'sysexit0.ipynb': {'label': 'parity'},
    'sysexit1.ipynb': {'label': 'parity'},
    'systemexit.ipynb': {'label': 'parity'},
    'test_autosave.ipynb': {'label': 'parity'},
    'test_logging.ipynb': {'label': 'parity'},
    'test_notebooknode_io.ipynb': {'label': 'parity'},
    's3/s3_in/s3-simple_notebook.ipynb': {'msg': 'from s3_in'},
}

#: notebook -> why it is not compared (printed)
SKIPPED = {
    'binder.ipynb': "runs `python -m papermill papermill/tests/notebooks/...` in a %%bash cell relative to papermill's "
                    'source checkout (cd ../../../), which neither kernel has as its working directory',
    'keyboard_interrupt.ipynb': "tests papermill's own Ctrl-C handling of its CLI: executed here it only sleeps 60 s",
    'notimplemented_translator.ipynb': "an R kernel (kernelspec 'ir'): no R kernel is installed here, and nbgrid maps Python kernels only",
    'read_check.ipynb': "prints the kernel's working directory (NB_CWD) and asserts a file there: papermill's cwd and a "
                        "worker's kernel's cwd are different directories by design",
    'gcs/gcs_in/gcs-simple_notebook.ipynb': 'sleeps 10 s and then crashes its kernel on purpose (libc time through ctypes): '
                                            "a dead kernel, not a notebook's outputs, and too slow for this shared machine",
}

#: kernelspec names not installed here, run as python3 by both (papermill: kernel_name=)
KERNEL_OVERRIDES = {'python': 'python3', None: 'python3'}

ANSI = re.compile(r'\x1b\[[0-9;]*m')
KERNEL_FILE = re.compile(r'/tmp/ipykernel_\d+/\d+\.py')


def _all_notebooks():
    return sorted(str(p.relative_to(NOTEBOOKS)) for p in NOTEBOOKS.rglob('*.ipynb'))


def _normal_output(out):
    """An output without what differs between two runs by nature: kernel temp file names in tracebacks."""
    out = copy.deepcopy(dict(out))
    if out.get('output_type') == 'error':
        out['traceback'] = [KERNEL_FILE.sub('/tmp/ipykernel_N/N.py', ANSI.sub('', line)) for line in out['traceback']]
    out.pop('transient', None)
    return out


def _coalesced(outputs):
    """Consecutive stream outputs of one name joined (nbclient's ``coalesce_streams``): how a
    kernel's prints are cut into IOPub messages depends on its 0.2 s flush timer, so two runs of
    the same cell, by papermill or by nbgrid alike, cut ``0..24`` printed over 2.5 s differently."""
    out = []
    for o in outputs:
        if o.get('output_type') == 'stream' and out and out[-1].get('output_type') == 'stream' and out[-1]['name'] == o['name']:
            out[-1] = dict(out[-1], text=out[-1]['text'] + o['text'])
        else:
            out.append(o)
    return out


def _code_cells(nb):
    """(execution_count, outputs) of each code cell except the injected parameters cell."""
    return [(c.get('execution_count'), _coalesced([_normal_output(o) for o in c.get('outputs', [])]))
            for c in nb['cells']
            if c['cell_type'] == 'code' and 'injected-parameters' not in c.get('metadata', {}).get('tags', [])]


def _error_of(nb):
    """(ename, evalue) of the first error that is not a clean sys.exit(), else None."""
    for cell in nb['cells']:
        for out in cell.get('outputs', []):
            if out.get('output_type') == 'error' and not (out['ename'] == 'SystemExit' and out['evalue'] in ('', '0')):
                return out['ename'], out['evalue']
    return None


def _run_papermill(rel, nb, params, kernel):
    with tempfile.TemporaryDirectory(prefix='pm-parity-') as tmp:
        out = Path(tmp) / 'out.ipynb'
        try:
            papermill.execute_notebook(nb, str(out), parameters=params, kernel_name=kernel, progress_bar=False, cwd=tmp)
            raised = None
        except PapermillExecutionError as exc:
            raised = (exc.ename, exc.evalue)
        return nbformat.read(str(out), as_version=4), raised


@pytest.fixture(scope='module')
def parity_runs(nbgrid_stack):
    """Every compared notebook run by both: {rel: (papermill nb, papermill error, nbgrid nb, nbgrid status row)}."""
    from conftest import _wait_for_workers
    from nbgrid.client import Om

    _wait_for_workers(nbgrid_stack, 1)
    om_live = Om(url=nbgrid_stack['api_url'], token=nbgrid_stack['token'])
    groups = {}
    inputs = {}
    for rel, params in PARAMETERS.items():
        nb = nbformat.read(str(NOTEBOOKS / rel), as_version=4)
        spec = nb.metadata.get('kernelspec', {}).get('name')
        kernel = KERNEL_OVERRIDES.get(spec, spec)
        if kernel != spec:
            nb.metadata['kernelspec'] = {'name': kernel, 'display_name': 'Python 3', 'language': 'python'}
        inputs[rel] = (nb, params, kernel)
        name = 'pmparity/' + rel.replace('/', '_').replace('.ipynb', '')
        om_live.jobs.put(nb, name)
        job = om_live.runtime.job(name)
        job._out = io.StringIO()
        groups[rel] = (job, job.map([params]))
    papermill_runs = {rel: _run_papermill(rel, *inputs[rel]) for rel in PARAMETERS}
    runs = {}
    for rel, (job, group) in groups.items():
        rows = group.wait(timeout=WAIT, progress=False, as_frame=False)
        row = {k: rows.column(k)[0] for k in ('run_status', 'results', 'message')}
        result = om_live.jobs.get(row['results'])
        runs[rel] = papermill_runs[rel] + (result, row)
    return runs


def test_every_papermill_test_notebook_is_compared_or_skipped_with_a_reason():
    shipped = set(_all_notebooks())
    assert shipped, f'papermill ships no test notebooks under {NOTEBOOKS}'
    assert shipped == set(PARAMETERS) | set(SKIPPED), (
        f'not sorted yet: {sorted(shipped - set(PARAMETERS) - set(SKIPPED))}; gone: {sorted((set(PARAMETERS) | set(SKIPPED)) - shipped)}')
    for rel, why in sorted(SKIPPED.items()):
        print(f'papermill parity: SKIPPED {rel}: {why}')


def test_papermill_and_nbgrid_give_the_same_outputs_and_errors(parity_runs):
    identical, differing = [], []
    for rel, (pm_nb, pm_error, ours, row) in sorted(parity_runs.items()):
        problems = []
        pm_cells, our_cells = _code_cells(pm_nb), _code_cells(ours)
        if pm_cells != our_cells:
            problems.append(f'cells differ:\n  papermill {json.dumps(pm_cells)[:1500]}\n  nbgrid    {json.dumps(our_cells)[:1500]}')
        our_error = _error_of(ours)
        # papermill raises CellExecutionError('') for a cell that failed without an error output (an
        # IPython UsageError): then nbgrid's result must have no error output either, and its
        # message names what the kernel replied (papermill's does not).
        without_output = pm_error == ('CellExecutionError', '')
        if pm_error != our_error and not (without_output and our_error is None):
            problems.append(f'errors differ: papermill raised {pm_error}, nbgrid recorded {our_error}')
        expected_status = 'ERROR' if pm_error else 'OK'
        if row['run_status'] != expected_status:
            problems.append(f"nbgrid's run_status is {row['run_status']} ({row['message'][:200]!r}), papermill's outcome means {expected_status}")
        if pm_error and not without_output and not row['message'].startswith(f'{pm_error[0]}: {pm_error[1]}'.strip()):
            problems.append(f"nbgrid's message {row['message'][:200]!r} does not name papermill's error {pm_error}")
        (differing if problems else identical).append((rel, problems))
    print(f'papermill parity: {len(identical)} of {len(parity_runs)} notebooks identical '
          f'({len(SKIPPED)} skipped, each with its reason)')
    for rel, _ in identical:
        print(f'papermill parity: identical {rel}')
    assert not differing, '\n'.join(f'{rel}:\n' + '\n'.join(p) for rel, p in differing)


def test_papermill_variables_reach_the_notebook_as_papermill_writes_them(parity_runs):
    """The injected cells themselves: papermill's assignments appear verbatim in nbgrid's."""
    pm_nb, _, ours, _ = parity_runs['complex_parameters.ipynb']
    injected = [c.source for c in ours.cells if 'injected-parameters' in c.metadata.get('tags', [])]
    pm_injected = [c.source for c in pm_nb.cells if 'injected-parameters' in c.metadata.get('tags', [])]
    assert len(injected) == 1 and len(pm_injected) == 1
    pm_lines = [line for line in pm_injected[0].splitlines() if line and not line.startswith('#')]
    assert pm_lines == ['msg = "Hello"', 'a = 0.5', 'b = ["x", "y"]', 'c = {"k": [1, 2.0, None]}']
    assert injected[0].splitlines()[2:] == pm_lines
