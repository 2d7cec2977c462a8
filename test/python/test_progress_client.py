"""Live progress in the Python client: ``job.logs(task, follow=True)``, ``job.wait()`` showing the
running cells, and ``map(notify={'webhook': url})``; against the REAL stack (see conftest.py), with a
local HTTP server as the webhook."""
import http.server
import io
import json
import threading

import nbformat
import pytest

from nbgrid.client.errors import NbgridError
from nbgrid.client.logs import find_row, new_lines
from nbgrid.client.progress import ProgressBar, cells_text

WAIT = 300


def test_new_lines_of_a_moving_tail():
    assert new_lines([], ['a', 'b']) == ['a', 'b']
    assert new_lines(['a', 'b', 'c'], ['c', 'd', 'e']) == ['d', 'e']
    assert new_lines(['a', 'b'], ['x', 'y']) == ['x', 'y']
    assert new_lines(['a', 'b'], ['a', 'b']) == []


def test_find_row_by_job_id_group_task_or_name():
    rows = [{'name': 'tasks/m/0a1b2c3d-0', 'job_id': 0}, {'name': 'tasks/m/0a1b2c3d-1', 'job_id': 1}]
    assert find_row(rows, 1)['name'] == 'tasks/m/0a1b2c3d-1'
    assert find_row(rows, '0a1b2c3d-0')['job_id'] == 0
    assert find_row(rows, 'tasks/m/0a1b2c3d-1.ipynb')['job_id'] == 1
    assert find_row(rows, 'ffffffff-0') is None


def test_the_progress_line_carries_the_running_cells():
    out = io.StringIO()
    bar = ProgressBar(stream=out, notebook=False)
    rows = [{'status': 'STARTED', 'progress': {'done': 1, 'total': 3, 'cell': None}},
            {'status': 'STARTED', 'progress': {'done': 2, 'total': 3, 'cell': None}}, {'status': 'PENDING'}]
    assert cells_text(rows) == 'cells 3/6 in 2 running'
    bar.update({'STARTED': 2, 'PENDING': 1}, 0, 3, cells=cells_text(rows))
    assert out.getvalue().rstrip().endswith('· cells 3/6 in 2 running')


class _Hook(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get('content-length', 0)))
        type(self).requests.append({'headers': dict(self.headers), 'body': body.decode()})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Hook.requests = []
    server = http.server.HTTPServer(('127.0.0.1', 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}/hook', _Hook.requests
    server.shutdown()


def test_logs_follow_wait_and_webhook(om_live, live_workers, nbgrid_stack, webhook):
    url, requests = webhook
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("job = globals().get('job', {'param': 9})"),
        nbformat.v4.new_code_cell("import time\nprint('first', flush=True)\ntime.sleep(2)"),
        nbformat.v4.new_code_cell("print('second', flush=True)\ntime.sleep(2)\nprint('third')"),
    ])
    om_live.jobs.put(nb, 'progress-client')
    job = om_live.runtime.job('progress-client')
    group = job.map([1], notify={'webhook': url})
    out = io.StringIO()
    job._out = out
    row = job.logs(0, follow=True, timeout=WAIT, poll=0.2)
    assert row['status'] == 'SUCCESS'
    text = out.getvalue()
    for earlier, later in (('first\n', 'second\n'), ('second\n', 'third\n'), ('third\n', f'--- {row["name"]}: SUCCESS/OK')):
        assert earlier in text and later in text and text.index(earlier) < text.index(later), text

    # After the end: the output comes from the result notebook.
    out.truncate(0), out.seek(0)
    job.logs(f'{group}-0')
    assert out.getvalue().startswith('first\nsecond\nthird\n')

    import time
    deadline = time.monotonic() + 60
    while not requests and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(requests) == 1
    summary = json.loads(requests[0]['body'])
    assert summary['event'] == 'group-done' and summary['task_group'] == str(group)
    assert summary['counts'] == {'OK': 1, 'ERROR': 0} and summary['failed'] == []
    assert 'Authorization' not in requests[0]['headers'] and nbgrid_stack['token'] not in requests[0]['body']


def test_wait_shows_the_running_cells(om_live, live_workers):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("job = globals().get('job', {'param': 9})"),
        nbformat.v4.new_code_cell('import time\ntime.sleep(3)'),
        nbformat.v4.new_code_cell('time.sleep(3)'),
    ])
    om_live.jobs.put(nb, 'progress-wait')
    job = om_live.runtime.job('progress-wait')
    out = io.StringIO()
    job._out = out
    group = job.map([1, 2])
    group.wait(timeout=WAIT, poll=0.3)
    assert 'cells ' in out.getvalue() and ' running' in out.getvalue(), out.getvalue()


def test_a_webhook_that_is_not_http_is_refused(om_live):
    om_live.jobs.put(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')]), 'progress-bad-hook')
    with pytest.raises(NbgridError, match='must use http or https'):
        om_live.runtime.job('progress-bad-hook').map([1], notify={'webhook': 'file:///etc/passwd'})
