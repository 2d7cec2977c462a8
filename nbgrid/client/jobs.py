"""``om.jobs``: store, fetch, list and drop notebooks, and read their run history.

Example::

    >>> om.jobs.put('analysis.ipynb', 'main')       # doctest: +SKIP
    {'name': 'main', 'sha256': '9f2c...', 'size': 1432, 'created': '...', 'modified': '...'}
    >>> om.jobs.list('results/tasks/main/*')         # doctest: +SKIP
    ['results/tasks/main/cc1a3388-0.ipynb_2024-05-01T10:00:00.000Z.ipynb', ...]
"""
import fnmatch
import json
import os
import re

from .errors import NbgridNotFound
from .http import notebook_path, job_path
from .notebook_format import read_notebook

_TASK_NAME = re.compile(r'^tasks/(?P<job>.+)/(?P<group>[0-9a-f]{8})-(?P<i>\d+)(\.ipynb)?$')
_GLOB = re.compile(r'[*?\[]')


def _base(name):
    return name[:-len('.ipynb')] if name.endswith('.ipynb') else name


class JobMetadata:
    """What nbgrid knows about a notebook (see :meth:`Jobs.metadata`).

    Attributes:
        name: the name asked for.
        job: for a main notebook, its info ``{name, sha256, size, created, modified}``; for a task
            notebook ``tasks/<nb>/<group>-<i>``, the task ``{param, job_id, task_group, task_name,
            task_id, status, run_status, ...}`` (as omega|ml's ``meta.attributes['job']``).
        job_runs: ``{task name: [run, ...]}`` for a main notebook (every task of every group), the
            run list itself for a task notebook. A run is ``{status: 'OK'|'ERROR', ts, message,
            results, duration, worker, attempt, task_id}``.
        job_results: ``{task name: [result notebook name, ...]}``, or the list for a task notebook.
        tasks: the raw task records the API returned.
        attributes: ``{'job', 'job_runs', 'job_results'}`` as a dict, for omega|ml code.

    Example::

        >>> meta = om.jobs.metadata('main')                       # doctest: +SKIP
        >>> {k: len(v) for k, v in meta.job_runs.items()}         # doctest: +SKIP
        {'tasks/main/cc1a3388-0': 1, 'tasks/main/cc1a3388-1': 2}
    """

    def __init__(self, name, job, job_runs, job_results, tasks):
        self.name = name
        self.job = job
        self.job_runs = job_runs
        self.job_results = job_results
        self.tasks = tasks

    @property
    def attributes(self):
        return {'job': self.job, 'job_runs': self.job_runs, 'job_results': self.job_results}

    def __repr__(self):
        return (f'JobMetadata(name={self.name!r}, tasks={len(self.tasks)}, '
                f'runs={sum(len(v) for v in self.job_runs.values()) if isinstance(self.job_runs, dict) else len(self.job_runs)})')


def _runs_results(task):
    runs = list(task.get('job_runs') or [])
    return runs, [r['results'] for r in runs if r.get('results')]


def _read_notebook(obj):
    if isinstance(obj, (str, os.PathLike)):
        path = os.fspath(obj)
        if not os.path.isfile(path):
            raise FileNotFoundError(f'{path} is not a file: pass the path of a local .ipynb, '
                                    'a notebook dict, or an nbformat NotebookNode')
        with open(path, encoding='utf-8') as fh:
            try:
                return json.load(fh)
            except ValueError as exc:
                raise ValueError(f'{path} is not a notebook (invalid JSON: {exc})') from None
    if isinstance(obj, dict):  # nbformat.NotebookNode is a dict
        return json.loads(json.dumps(obj))
    raise TypeError(f'om.jobs.put() takes a path to a .ipynb file, a notebook dict or an nbformat '
                    f'NotebookNode, not {type(obj).__name__}')


class Jobs:
    """``om.jobs``: the notebook store of the nbgrid service.

    Example::

        >>> om.jobs.put(nbformat.read('main.ipynb', 4), 'main')   # doctest: +SKIP
        >>> om.jobs.list()                                        # doctest: +SKIP
        ['main']
    """

    def __init__(self, api):
        self.api = api

    def put(self, obj, name):
        """Store a notebook as ``name`` (replacing what was there); return its info.

        ``obj`` is a path to a local ``.ipynb``, a notebook dict, or an ``nbformat.NotebookNode``.

        Example::

            >>> om.jobs.put('main.ipynb', 'main')['sha256']          # doctest: +SKIP
            '9f2c...'
        """
        content = _read_notebook(obj)
        return self.api.request('PUT', notebook_path(name), {'content': content})

    def get(self, name):
        """The notebook ``name`` (main, ``tasks/...ipynb`` rendered, or ``results/...``) as
        ``nbformat.reads`` gives it (multi-line ``source`` lists joined into strings): an
        ``nbformat.NotebookNode`` when nbformat is importable, else a dict.

        Example::

            >>> nb = om.jobs.get('main')                               # doctest: +SKIP
            >>> nb.cells[0].source                                     # doctest: +SKIP
            "job = globals().get('job', {'param': 9})"
        """
        content = self.api.request('GET', notebook_path(name))['content']
        # list-valued sources and outputs come back joined, as nbformat.reads gives them
        return read_notebook(content)

    def list(self, pattern=None):
        """Names of stored notebooks; ``pattern`` is a glob (fnmatch, ``*`` also matches ``/``).

        ``tasks/...`` and ``results/...`` patterns list task and result notebooks.

        Example::

            >>> om.jobs.list('results/tasks/main/cc1a3388*')           # doctest: +SKIP
            ['results/tasks/main/cc1a3388-0.ipynb_2024-05-01T10:00:00.000Z.ipynb', ...]
        """
        prefix = ''
        if pattern:
            m = _GLOB.search(pattern)
            prefix = pattern[:m.start()] if m else pattern
        answer = self.api.request('GET', '/api/notebooks', query={'prefix': prefix})
        names = [nb['name'] for nb in answer.get('notebooks', [])]
        if pattern and _GLOB.search(pattern):
            names = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        return names

    def drop(self, name, force=False, groups=False):
        """Delete the notebook ``name``; with ``force=True`` a missing notebook is not an error.

        A main notebook that has task groups is refused unless ``groups=True`` deletes them too
        (refused while any of them has queued or running tasks).

        Example::

            >>> om.jobs.drop('main')                                   # doctest: +SKIP
            True
        """
        try:
            self.api.request('DELETE', notebook_path(name), query={'delete_groups': 'true'} if groups else None)
        except NbgridNotFound:
            if not force:
                raise
            return False
        return True

    def metadata(self, name):
        """Run history of a main notebook (all its tasks) or of one task notebook, as :class:`JobMetadata`.

        Example::

            >>> meta = om.jobs.metadata('main')                        # doctest: +SKIP
            >>> meta.job_runs['tasks/main/cc1a3388-0'][-1]['status']   # doctest: +SKIP
            'OK'
            >>> om.jobs.metadata('tasks/main/cc1a3388-0').job_runs[-1]['results']   # doctest: +SKIP
            'results/tasks/main/cc1a3388-0.ipynb_2024-05-01T10:00:00.000Z.ipynb'
        """
        m = _TASK_NAME.match(name)
        if m:
            tasks = self.api.request('GET', job_path(m['job'], 'tasks'),
                                     query={'task_group': m['group']}).get('tasks', [])
            wanted = _base(name)
            found = [t for t in tasks if _base(t.get('name', '')) == wanted]
            if not found:
                raise NbgridNotFound(f'task notebook {name!r} does not exist in task group '
                                     f'{m["group"]} of {m["job"]!r}; see om.runtime.job({m["job"]!r}).list()')
            task = found[0]
            runs, results = _runs_results(task)
            job = {k: v for k, v in task.items() if k != 'job_runs'}
            job.setdefault('task_name', task.get('name'))
            job.setdefault('status', task.get('state'))
            return JobMetadata(name, job, runs, results, found)
        info = self.api.request('GET', notebook_path(name))
        info = {k: v for k, v in info.items() if k != 'content'}
        try:
            tasks = self.api.request('GET', job_path(name, 'tasks'), query={'task_group': '*'}).get('tasks', [])
        except NbgridNotFound:  # stored but never mapped
            tasks = []
        job_runs, job_results = {}, {}
        for task in tasks:
            runs, results = _runs_results(task)
            job_runs[task['name']] = runs
            job_results[task['name']] = results
        return JobMetadata(name, info, job_runs, job_results, tasks)
