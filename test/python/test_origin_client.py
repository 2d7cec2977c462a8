"""A map's ``origin`` from the Python client, against the REAL stack (see conftest.py): in a kernel
of a JupyterLab (``NBGRID_LAB_ORIGIN`` set by the server extension) the map carries it, so its
``group-done`` event reaches ``/api/events?origin=<id>``; without it the map carries none."""
import json
import threading
import urllib.request

import nbformat

from nbgrid.client.origin import lab_origin


def _done_events(api_url, token, origin, events, stop):
    request = urllib.request.Request(f'{api_url}/api/events?origin={origin}', headers={'Authorization': f'token {token}'})
    with urllib.request.urlopen(request, timeout=120) as stream:
        event = None
        for raw in stream:
            line = raw.decode().rstrip('\n')
            if line.startswith('event: '):
                event = line[7:]
            elif line.startswith('data: ') and event == 'group-done':
                events.append(json.loads(line[6:]))
            if stop.is_set():
                return


def test_lab_origin_reads_only_a_valid_id():
    assert lab_origin({'NBGRID_LAB_ORIGIN': 'a' * 64}) == 'a' * 64
    assert lab_origin({'NBGRID_LAB_ORIGIN': 'a' * 65}) is None
    assert lab_origin({'NBGRID_LAB_ORIGIN': ''}) is None


def test_a_map_from_a_lab_kernel_is_announced_on_its_origin_stream(om_live, live_workers, nbgrid_stack, monkeypatch):
    om_live.jobs.put(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("job = globals().get('job', {'param': 9})"),
        nbformat.v4.new_code_cell("if job['param'] == 'fail': raise ValueError('on purpose')"),
    ]), 'origin-client')
    job = om_live.runtime.job('origin-client')
    events, stop = [], threading.Event()
    reader = threading.Thread(target=_done_events, args=(nbgrid_stack['api_url'], nbgrid_stack['token'], 'pytest-lab-1', events, stop), daemon=True)
    reader.start()
    import time
    time.sleep(1)  # the stream is subscribed before the maps end
    monkeypatch.delenv('NBGRID_LAB_ORIGIN', raising=False)
    without = job.map([3])
    monkeypatch.setenv('NBGRID_LAB_ORIGIN', 'pytest-lab-1')
    group = job.map([1, 'fail'])
    without.wait(timeout=300)
    group.wait(timeout=300)
    deadline = time.monotonic() + 60
    while not any(e['task_group'] == str(group) for e in events) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # a late announcement of the map without origin would show by now
    stop.set()
    mine = [e for e in events if e['task_group'] == str(group)]
    assert len(mine) == 1 and mine[0]['origin'] == 'pytest-lab-1' and mine[0]['counts'] == {'OK': 1, 'ERROR': 1}
    assert [e for e in events if e['task_group'] == str(without)] == []
