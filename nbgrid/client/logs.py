"""``job.logs(task)``: a task's output, live while it runs (``follow=True`` until it ends).

Example::

    >>> new_lines(['a', 'b', 'c'], ['b', 'c', 'd'])
    ['d']
"""
import re
import time

from .errors import NbgridNotFound, NbgridTimeout
from .http import job_path, notebook_path

FINAL_STATES = frozenset(('SUCCESS', 'FAILURE', 'REVOKED'))
_GROUP_TASK = re.compile(r'^[0-9a-f]{8}-\d+$')


def new_lines(prev, nxt):
    """The lines of the tail ``nxt`` not shown yet when ``prev`` was (a tail is a window of the last
    lines, so the longest end of ``prev`` that starts ``nxt`` was shown already).

    Example::

        >>> new_lines([], ['x'])
        ['x']
        >>> new_lines(['x', 'y'], ['x', 'y'])
        []
    """
    for k in range(min(len(prev), len(nxt)), 0, -1):
        if prev[len(prev) - k:] == nxt[:k]:
            return nxt[k:]
    return list(nxt)


def lines_after(shown, all_lines):
    """The lines of a whole output after the part shown (the last tail printed).

    Example::

        >>> lines_after(['b', 'c'], ['a', 'b', 'c', 'd'])
        ['d']
        >>> lines_after([], ['a'])
        ['a']
    """
    for k in range(len(shown), 0, -1):
        end = shown[len(shown) - k:]
        for i in range(len(all_lines) - 1, k - 2, -1):
            if all_lines[i - k + 1:i + 1] == end:
                return all_lines[i + 1:]
    return list(all_lines)


def _lines(text):
    lines = [line.rstrip('\r').rsplit('\r', 1)[-1] for line in text.split('\n')]
    return lines[:-1] if lines and lines[-1] == '' else lines


def find_row(rows, task):
    """The status row ``task`` names: ``<group>-<i>``, a task name, or the int ``i`` (job_id).

    Example::

        >>> find_row([{'name': 'tasks/m/0a1b2c3d-1', 'job_id': 1}], 1)['name']
        'tasks/m/0a1b2c3d-1'
    """
    if isinstance(task, int):
        return next((r for r in rows if r.get('job_id') == task), None)
    name = str(task)
    name = name[:-len('.ipynb')] if name.endswith('.ipynb') else name
    return next((r for r in rows if r['name'] == name or r['name'].endswith('/' + name)), None)


def _notebook_output(content):
    parts = []
    for cell in content.get('cells', []):
        for out in cell.get('outputs') or []:
            if out.get('output_type') == 'stream':
                text = out.get('text', '')
                parts.append(''.join(text) if isinstance(text, list) else text)
    return ''.join(parts)


def follow_logs(api, job, task, follow=False, task_group=None, out=None, poll=0.5, timeout=None):
    """Print the output of ``task`` of ``job`` to ``out``; return its final (or current) status row.

    While it runs: its last lines, then (``follow=True``) each new line until it ends. When it has
    ended before: the output of its result notebook.

    Example::

        >>> from nbgrid.client.http import ApiClient                     # doctest: +SKIP
        >>> follow_logs(ApiClient(), 'main', '0a1b2c3d-0', follow=True)        # doctest: +SKIP
        step 1
        --- tasks/main/0a1b2c3d-0: SUCCESS/OK
    """
    import sys
    out = out or sys.stdout
    deadline = None if timeout is None else time.monotonic() + timeout
    shown, seq, waiting_said = [], -1, False
    group = task_group
    while True:
        rows = api.request('GET', job_path(job, 'status'), query={'task_group': group}).get('rows', [])
        row = find_row(rows, task)
        if row is None:
            raise NbgridNotFound(f'{job!r} has no task {task!r} in '
                                 f'{"group " + group if group else "its latest group"}; see status()')
        group = row.get('task_group') or group
        if row.get('status') in FINAL_STATES:
            if row.get('results'):
                # The result notebook has the whole output: all of it if the run was never seen
                # here, else what came after the last update shown.
                nb = api.request('GET', notebook_path(row['results']))
                text = _notebook_output(nb.get('content') or {})
                if seq < 0:
                    out.write(text)
                else:
                    for line in lines_after(shown, _lines(text)):
                        out.write(line + '\n')
            message = (row.get('message') or '').split('\n')[0]
            out.write(f'--- {row["name"]}: {row["status"]}/{row["run_status"]}{": " + message if message else ""}\n')
            out.flush()
            return row
        live = [p for p in api.request('GET', job_path(job, 'progress')).get('progress', [])
                if p.get('name') == row['name'] and p.get('task_id') == row.get('task_id')]
        if live and live[0].get('seq') != seq:
            for line in new_lines(shown, live[0].get('tail', [])):
                out.write(line + '\n')
            shown, seq = live[0].get('tail', []), live[0].get('seq')
            out.flush()
        elif not live and not waiting_said and seq < 0:
            out.write(f'--- {row["name"]} is {row["status"]}; waiting for its output\n')
            waiting_said = True
        if not follow:
            return row
        if deadline is not None and time.monotonic() >= deadline:
            raise NbgridTimeout(f'{row["name"]} is still {row["status"]} after {timeout}s; call logs() again')
        time.sleep(poll)
