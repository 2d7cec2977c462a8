"""``om.runtime``: map a stored notebook over parameters and follow its tasks.

Example::

    >>> from nbgrid import om                              # doctest: +SKIP
    >>> job = om.runtime.job('main')                       # doctest: +SKIP
    >>> group = job.map(range(10))                         # doctest: +SKIP
    generating task tasks/main/c05ecd89-0
    ...
    >>> group.wait()                                       # doctest: +SKIP
    >>> job.results()                                      # doctest: +SKIP
    [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
"""
import sys
import time
import warnings

from .errors import NbgridError, NbgridTimeout
from .http import job_path
from .params import map_body
from .progress import ProgressBar, cells_text
from .logs import follow_logs
from .table import status_frame
from .grid import GridRequest, frame_params, grid_body, is_frame, results_frame
from .reduce import Results, then_body
from .cleanup import run_cleanup
from .schedules import Schedules, schedule_body
from .origin import lab_origin

#: Queue states after which a task changes no more until it is restarted.
FINAL_STATES = frozenset({'SUCCESS', 'FAILURE', 'REVOKED'})
#: How many lines ``map()``/``restart()`` print before summarising.
SUMMARY_HEAD = 5


def _base(name):
    return name[:-len('.ipynb')] if name.endswith('.ipynb') else name


def _notebook_names(rows):
    """Rows named by their task notebook, ``tasks/<nb>/<group>-<i>.ipynb``, as map() prints and
    list() returns them (omega|ml's status() shows them so)."""
    return [dict(r, name=f'{_base(r["name"])}.ipynb') if isinstance(r.get('name'), str) else r for r in rows]


def _job_id(name):
    """The ``<i>`` of ``tasks/<nb>/<group>-<i>[.ipynb]`` (for printing tasks in order)."""
    tail = _base(name).rsplit('-', 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _task_refs(tasks):
    """``tasks`` of restart/cancel as the API takes them: names as they are, job ids as strings."""
    if isinstance(tasks, (str, int)):
        tasks = [tasks]
    refs = []
    for t in tasks:
        if isinstance(t, bool) or not isinstance(t, (str, int)):
            raise ValueError(f'tasks: give task names (as job.list() shows them) or job ids, not {t!r}')
        refs.append(str(t))
    if not refs:
        raise ValueError('tasks: name at least one task (or leave tasks out for the whole group)')
    return refs


def _summarised(lines, out, head=SUMMARY_HEAD):
    """Print ``lines``; more than ``2*head`` become the first ``head``, '... N more', the last one."""
    if len(lines) > 2 * head:
        lines = lines[:head] + [f'... {len(lines) - head - 1} more'] + lines[-1:]
    for line in lines:
        print(line, file=out)


class TaskGroup(str):
    """What one ``map()`` made: a ``str`` (the 8-hex group id) that can follow its own tasks.

    Attributes: ``job`` (the :class:`Job`), ``count``, ``require``, ``tasks`` (``[{name, task_id}]``)
    and ``warnings`` as the API answered them.

    Example::

        >>> group = om.runtime.job('main').map([1, 2])   # doctest: +SKIP
        >>> str(group), group.count                       # doctest: +SKIP
        ('c05ecd89', 2)
        >>> group.wait(); group.results()                 # doctest: +SKIP
    """

    def __new__(cls, task_group, job=None, answer=None):
        self = super().__new__(cls, task_group)
        answer = answer or {}
        self.job = job
        self.count = answer.get('count')
        self.require = answer.get('require')
        self.tasks = answer.get('tasks', [])
        self.warnings = answer.get('warnings', [])
        return self

    def status(self, **kwargs):
        """This group's status rows; see :meth:`Job.status`.

        Example::

            >>> group.status()        # doctest: +SKIP
        """
        return self.job.status(task_group=str(self), **kwargs)

    def wait(self, **kwargs):
        """Wait for this group's tasks; see :meth:`Job.wait`.

        Example::

            >>> group.wait(timeout=600)        # doctest: +SKIP
        """
        return self.job.wait(task_group=str(self), **kwargs)

    def results(self, as_frame=False):
        """This group's returned values in parameter order (``as_frame=True``: a DataFrame);
        see :meth:`Job.results`.

        Example::

            >>> group.results()        # doctest: +SKIP
        """
        return self.job.results(task_group=str(self), as_frame=as_frame)

    def reduced(self):
        """The value this group's reduce notebook (``map(..., then=...)``) returned, or ``None``.

        Example::

            >>> group.wait(); group.reduced()        # doctest: +SKIP
        """
        return self.results().reduced

    def restart(self, **kwargs):
        """Restart this group's tasks; see :meth:`Job.restart`.

        Example::

            >>> group.restart(reset=True)        # doctest: +SKIP
        """
        return self.job.restart(task_group=str(self), **kwargs)

    def cancel(self, **kwargs):
        """Cancel this group's tasks (``tasks=[...]``: only those); see :meth:`Job.cancel`.

        Example::

            >>> group.cancel()        # doctest: +SKIP
        """
        return self.job.cancel(task_group=str(self), **kwargs)


class Job:
    """A stored notebook you can map over parameters: ``om.runtime.job('main')``.

    ``require`` is the worker label new maps go to (``None``: the ``default`` queue).

    Example::

        >>> job = om.runtime.require('gpu').job('main')   # doctest: +SKIP
        >>> job.map(range(3))         # queued on label gpu  # doctest: +SKIP
        >>> job.status()                                  # doctest: +SKIP
    """

    def __init__(self, api, name, require=None, out=None, recent=None):
        self.api = api
        self.name = name
        self.require = require
        self._out = out
        #: shared with the Runtime: {'job': the Job that last mapped or restarted} (for om.restart)
        self._recent = recent
        #: task name -> task id last started by this Job (map/restart), so wait() ignores old states
        self._started = {}
        self._started_group = None

    @property
    def out(self):
        return self._out or sys.stdout

    def __repr__(self):
        label = f', require={self.require!r}' if self.require else ''
        return f'Job({self.name!r}{label})'

    def _remember(self, group, tasks):
        if self._started_group != group:
            self._started = {}
        self._started_group = group
        for t in tasks:
            self._started[_base(t['name'])] = t['task_id']

    def map(self, iterable, require=None, cell_timeout=None, notify=None, then=None, when=None, cache=False, force=False):
        """Make one task notebook per value of ``iterable`` and queue them; return the TaskGroup.

        Each task notebook receives ``job = {'param': <value>, 'job_id': i, 'task_group': ..., ...}``.
        ``require`` picks the worker label (wins over ``om.runtime.require(...)``); ``cell_timeout``
        is seconds per cell. Parameters must be JSON values (numpy values are converted).
        ``notify={'webhook': 'https://...'}`` POSTs a JSON summary (counts, duration, failed tasks)
        to that URL once every task has finished (http/https only; retried on 5xx).

        ``then='summary'`` runs the stored notebook ``summary`` once every task is final, with
        ``job = {'task_group', 'params', 'results', 'status', 'failed'}`` (``when='all_ok'``, the
        default: only if every task ended OK; ``'always'``); its value is ``results().reduced``.
        ``cache=True`` records a task whose code cells, parameter and kernelspec already ran OK in
        this job as SUCCESS at once (``cached_from`` in its status row); ``force=True`` runs all.

        Example::

            >>> group = om.runtime.job('main').map(range(3), require='gpu')   # doctest: +SKIP
            generating task tasks/main/c05ecd89-0
            generating task tasks/main/c05ecd89-1
            generating task tasks/main/c05ecd89-2
            started tasks/main/c05ecd89-0.ipynb => 16f2b598-f990-4be3-be16-ee6d1dbaa89a
            ...
        """
        body = iterable.body if isinstance(iterable, GridRequest) else map_body(
            frame_params(iterable) if is_frame(iterable) else iterable)
        label = require if require is not None else self.require
        if label is not None:
            body['require'] = label
        if cell_timeout is not None:
            body['cell_timeout'] = cell_timeout
        if notify is not None:
            # {'webhook': 'https://...'}: one POST of a JSON summary when every task has finished
            body['notify'] = dict(notify)
        if then is not None:
            body['then'] = then_body(then, when)
        if cache:
            body['cache'] = True
        if force:
            body['force'] = True
        origin = lab_origin()
        if origin is not None:
            # the JupyterLab whose kernel this is announces the map's end (nbgrid/server/lab_origin.py)
            body['origin'] = origin
        answer = self.api.request('POST', job_path(self.name, 'map'), body)
        tasks = answer.get('tasks', [])
        _summarised([f'generating task {_base(t["name"])}' for t in tasks], self.out)
        _summarised([f'started {_base(t["name"])}.ipynb => {t["task_id"]}' for t in tasks], self.out)
        for w in answer.get('warnings', []):
            print(f'warning: {w}', file=self.out)
        group = TaskGroup(answer['task_group'], self, answer)
        self._remember(str(group), tasks)
        if self._recent is not None:
            self._recent['job'] = self
        return group

    def grid(self, mode='product', require=None, cell_timeout=None, **values):
        """Map every combination of the values (``itertools.product`` order; ``mode='zip'``: the
        i-th values together, lists of one length); each task's parameter is a dict
        ``{'alpha': .., 'n': ..}``. The service expands the grid and checks its size before
        anything is stored. Returns the TaskGroup, as :meth:`map` does.

        Example::

            >>> group = om.runtime.job('main').grid(alpha=[0.1, 0.5], n=[10, 100])   # doctest: +SKIP
            >>> group.count                                                          # doctest: +SKIP
            4
        """
        return self.map(GridRequest(grid_body(values, mode)), require=require, cell_timeout=cell_timeout)

    def parameters(self):
        """The notebook's own parameters, read from its cell tagged ``parameters`` the way
        papermill's ``inspect_notebook`` does: ``{name: {name, inferred_type_name, default, help,
        identifier}}`` in the cell's order (``identifier`` is False for names that reach the
        notebook only as ``job['param'][name]``).

        Example::

            >>> om.runtime.job('main').parameters()      # doctest: +SKIP
            {'alpha': {'name': 'alpha', 'inferred_type_name': 'float', 'default': '0.5', 'help': 'rate', 'identifier': True}}
        """
        answer = self.api.request('GET', job_path(self.name, 'parameters'))
        return {p['name']: p for p in answer.get('parameters', [])}

    def status(self, task_group=None, as_frame=None):
        """One row per task: name, task_id, status, run_status, task_group, job_id, duration, worker,
        message, results.

        ``task_group`` defaults to the latest map; ``'*'`` shows all groups. Returns a pandas
        DataFrame when pandas is importable (``as_frame=False``: a :class:`StatusTable`).

        Example::

            >>> om.runtime.job('main').status()       # doctest: +SKIP
                                      name                               task_id   status run_status
            0  tasks/main/cc1a3388-0.ipynb  5ed266bd-fb9f-42ef-b9c1-8729baeb4d59  SUCCESS         OK
        """
        return status_frame(_notebook_names(self._rows(task_group)), as_frame=as_frame)

    def _rows(self, task_group=None):
        answer = self.api.request('GET', job_path(self.name, 'status'), query={'task_group': task_group})
        return answer.get('rows', [])

    def groups(self):
        """The task groups of this notebook, newest first: ``[{task_group, count, require, created, states}]``.

        Example::

            >>> om.runtime.job('main').groups()[0]['require']   # doctest: +SKIP
            'gpu'
        """
        return self.api.request('GET', job_path(self.name, 'groups')).get('groups', [])

    def tasks(self, task_group=None):
        """Full task records (param, job_runs, result, ...) of one group (``'*'``: all).

        Example::

            >>> om.runtime.job('main').tasks()[0]['job_runs'][-1]['status']   # doctest: +SKIP
            'OK'
        """
        return self.api.request('GET', job_path(self.name, 'tasks'),
                                query={'task_group': task_group}).get('tasks', [])

    def restart(self, reset=False, refresh=False, task_group=None, tasks=None):
        """Queue again the tasks of a group (default: the latest) that have no results: no OK run,
        or an OK run whose result notebook was deleted. Prints each task, in order, as started or as
        having results (like omega|ml).

        ``reset=True`` re-runs every task; ``refresh=True`` first re-renders the task notebooks from
        the current main notebook (after you fixed it with ``om.jobs.put``); ``tasks`` re-runs
        exactly those tasks (names as :meth:`list` gives them, or job ids), whatever their state.
        Returns the TaskGroup.

        Example::

            >>> om.jobs.drop('results/tasks/main/cc1a3388-1.ipynb_2024-05-01T10:00:00.000Z.ipynb')  # doctest: +SKIP
            >>> om.runtime.job('main').restart()                        # doctest: +SKIP
            tasks/main/cc1a3388-0.ipynb has already got results
            started tasks/main/cc1a3388-1.ipynb => 302a31dd-525d-4e36-b34d-bbb00a6ec46a
            >>> om.runtime.job('main').restart(tasks=['tasks/main/cc1a3388-0.ipynb'])  # doctest: +SKIP
            started tasks/main/cc1a3388-0.ipynb => 8b7b158b-eeb6-4bdb-9722-5a7c08054952
        """
        body = {'reset': bool(reset), 'refresh': bool(refresh)}
        if task_group is not None:
            body['task_group'] = task_group
        if tasks is not None:
            body['tasks'] = _task_refs(tasks)
        answer = self.api.request('POST', job_path(self.name, 'restart'), body)
        restarted = answer.get('restarted', [])
        lines = [(_job_id(t['name']), f'started {_base(t["name"])}.ipynb => {t["task_id"]}') for t in restarted]
        lines += [(_job_id(n), f'{_base(n)}.ipynb has already got results') for n in answer.get('with_results') or []]
        _summarised([line for _, line in sorted(lines, key=lambda x: x[0])], self.out)
        if self._recent is not None:
            self._recent['job'] = self
        if not restarted:
            print(f'nothing to restart in {answer.get("task_group")}: every task has an OK result '
                  '(reset=True re-runs them all)', file=self.out)
        group = TaskGroup(answer['task_group'], self, {'tasks': restarted, 'count': len(restarted)})
        self._remember(str(group), restarted)
        return group

    def cancel(self, task_group=None, tasks=None):
        """Revoke the queued tasks of a group (default: the latest) and interrupt running ones;
        with ``tasks`` (names or job ids), only those.

        Returns the API's answer ``{task_group, revoked}``.

        Example::

            >>> om.runtime.job('main').cancel()          # doctest: +SKIP
            revoked 7 tasks of task group cc1a3388
            >>> om.runtime.job('main').cancel(tasks=[3])  # doctest: +SKIP
            revoked 1 tasks of task group cc1a3388
        """
        body = {} if task_group is None else {'task_group': task_group}
        if tasks is not None:
            body['tasks'] = _task_refs(tasks)
        answer = self.api.request('POST', job_path(self.name, 'cancel'), body)
        print(f'revoked {answer.get("revoked")} tasks of task group {answer.get("task_group")}',
              file=self.out)
        return answer

    def logs(self, task, follow=False, task_group=None, timeout=None, poll=0.5):
        """Print the output of one task: ``task`` is its job_id (int), ``'<group>-<i>'`` or its name.

        While it runs, its last lines (``follow=True``: then every new line until it ends, and its
        final status); after it ended, the output of its result notebook. Returns its status row.

        Example::

            >>> om.runtime.job('main').logs(0, follow=True)      # doctest: +SKIP
            epoch 1 loss 0.71
            epoch 2 loss 0.52
            --- tasks/main/cc1a3388-0: SUCCESS/OK
        """
        return follow_logs(self.api, self.name, task, follow=follow, task_group=task_group,
                           out=self.out, poll=poll, timeout=timeout)

    def list(self, task_group=None):
        """Names of the task notebooks made from this notebook: of every task group when
        ``task_group`` is None (like omega|ml), else of that group.

        Example::

            >>> om.runtime.job('main').list()            # doctest: +SKIP
            ['tasks/main/0ef102e2-0.ipynb', 'tasks/main/0ef102e2-1.ipynb', ...]
        """
        names = [r['name'] for r in self._rows('*' if task_group is None else task_group)]
        return [n if n.endswith('.ipynb') else n + '.ipynb' for n in names]

    def results(self, task_group=None, as_frame=False):
        """The value each task set as ``job['result']``, in parameter order (default: latest group).

        Tasks without an OK run give ``None`` and a warning naming their job ids.

        ``as_frame=True`` returns a pandas DataFrame instead, one row per task in parameter order:
        the parameter columns (an object parameter's keys, else ``param``), the returned value (an
        object's keys, else ``result``), values glued with scrapbook's ``sb.glue(name, value)``,
        then ``status``, ``run_status``, ``duration`` and ``name``.

        Example::

            >>> om.runtime.job('main').results()         # doctest: +SKIP
            [0, 2, 4]
            >>> om.runtime.job('main').results(as_frame=True)   # doctest: +SKIP
               alpha    n  loss   status run_status  duration                   name
            0    0.1   10  0.52  SUCCESS         OK      1.20  tasks/main/c05ecd89-0
        """
        if as_frame:
            return results_frame(self.api.request(
                'GET', job_path(self.name, 'results'), query={'task_group': task_group, 'format': 'table'}))
        answer = self.api.request('GET', job_path(self.name, 'results'), query={'task_group': task_group})
        missing = answer.get('missing') or []
        if missing:
            warnings.warn(
                f'task group {answer.get("task_group")} of {self.name!r}: job_id {missing} have no OK '
                'result yet (None in their place); see status(), then wait() or restart()',
                RuntimeWarning, stacklevel=2)
        return Results(answer.get('results', []), answer.get('reduced'))

    def wait(self, task_group=None, progress=True, timeout=None, poll=1.0, as_frame=None):
        """Block until every task of the group (default: the latest; ``'*'``: all) is final
        (SUCCESS, FAILURE or REVOKED); show a progress bar; return the final :meth:`status`.

        Raises :class:`NbgridTimeout` after ``timeout`` seconds (the tasks keep running).

        Example::

            >>> om.runtime.job('main').map(range(100)).wait(timeout=600)     # doctest: +SKIP
            [##############################] 100/100 done  SUCCESS 100
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = ProgressBar(stream=self.out, label=self.name) if progress else None
        group = task_group
        try:
            while True:
                rows = self._rows(group)
                if group is None and rows:
                    # pin the group, so a map started elsewhere meanwhile does not change what we wait for
                    group = rows[0].get('task_group') or None
                started = self._started if self._started_group in (group, None) else {}
                counts, done = {}, 0
                for r in rows:
                    counts[r.get('status')] = counts.get(r.get('status'), 0) + 1
                    expected = started.get(_base(r['name']))
                    if r.get('status') in FINAL_STATES and (expected is None or expected == r.get('task_id')):
                        done += 1
                if bar:
                    bar.update(counts, done, len(rows), cells=cells_text(rows))
                if done == len(rows):
                    return status_frame(_notebook_names(rows), as_frame=as_frame)
                if deadline is not None and time.monotonic() >= deadline:
                    raise NbgridTimeout(
                        f'{len(rows) - done} of {len(rows)} tasks of {self.name!r} are still running '
                        f'after {timeout}s; call wait() again, look at status(), or cancel()')
                time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))
        finally:
            if bar:
                bar.close()

    def schedule(self, cron, iterable, require=None, tz=None, catchup=None, keep_last=None,
                 cell_timeout=None, paused=None, **map_fields):
        """Run this map at each occurrence of ``cron`` (5 fields or ``@daily``...), in ``tz`` (UTC).

        ``catchup='latest'`` (default) runs an occurrence missed while no service ran once when one
        is back; ``'none'`` skips it. ``keep_last=N`` keeps the schedule's N newest groups. Other
        keyword arguments go into the map body as given. Returns the schedule (a dict).

        Example::

            >>> job.schedule('0 2 * * *', range(10), require='gpu', tz='Europe/Berlin')   # doctest: +SKIP
            {'id': '5e0c9a12', 'job': 'main', 'cron': '0 2 * * *', 'next_run': '2026-12-02T01:00:00.000Z', ...}
        """
        label = require if require is not None else self.require
        body = schedule_body(self.name, cron, iterable, require=label, tz=tz, catchup=catchup,
                             keep_last=keep_last, cell_timeout=cell_timeout, paused=paused, **map_fields)
        answer = self.api.request('POST', '/api/schedules', body)
        print(f'schedule {answer["id"]}: {cron} ({answer["tz"]}), next run {answer["next_run"]}', file=self.out)
        return answer

    def delete(self, task_group=None, older_than=None, states=None, dry_run=False):
        """Delete a task group of this job (or its groups older than ``older_than``, e.g. '30d').

        Its tasks, run history and result notebooks go; a group with queued or running tasks is
        refused (cancel it first). Returns what was removed.

        Example::

            >>> job.delete(task_group='3fa2c1d0')   # doctest: +SKIP
            removed 1 groups, 100 tasks, 100 blobs, 1048576 bytes
        """
        if task_group is None and older_than is None and states is None:
            raise ValueError('say which groups to delete: task_group=..., older_than=\'30d\' or states=[...]')
        return run_cleanup(self.api, self.out, job=self.name, task_group=task_group,
                           older_than=older_than, states=states, dry_run=dry_run)


class Runtime:
    """``om.runtime``: gives :class:`Job` objects, optionally bound to a worker label.

    Example::

        >>> om.runtime.job('main')                   # doctest: +SKIP
        Job('main')
        >>> om.runtime.require('gpu').job('main')    # doctest: +SKIP
        Job('main', require='gpu')
    """

    def __init__(self, api, label=None, out=None, recent=None):
        self.api = api
        self.label = label
        self._out = out
        #: {'job': the Job last made, mapped or restarted}, shared by the runtimes of one ``om``
        self._recent = {} if recent is None else recent

    def __repr__(self):
        return f'Runtime(require={self.label!r})' if self.label else 'Runtime()'

    def require(self, label):
        """A runtime whose jobs map onto workers labelled ``label`` (``map(require=...)`` still wins).

        Example::

            >>> om.runtime.require('gpu').job('main').map(range(4))   # doctest: +SKIP
        """
        return Runtime(self.api, label, out=self._out, recent=self._recent)

    def job(self, name):
        """The :class:`Job` for the stored notebook ``name``. Does not contact the service.

        Example::

            >>> job = om.runtime.job('reports/monthly')   # doctest: +SKIP
        """
        job = Job(self.api, name, require=self.label, out=self._out, recent=self._recent)
        self._recent['job'] = job
        return job

    def workers(self):
        """Live workers: ``[{hostname, labels, concurrency, active, processed, last_seen}]``.

        Example::

            >>> [w['labels'] for w in om.runtime.workers()]   # doctest: +SKIP
            [['default'], ['gpu']]
        """
        return self.api.request('GET', '/api/workers').get('workers', [])

    def last_job(self):
        """The :class:`Job` last made, mapped or restarted through this runtime (``om.restart`` uses it).

        Example::

            >>> om.runtime.job('main').map(range(3))   # doctest: +SKIP
            >>> om.runtime.last_job()                  # doctest: +SKIP
            Job('main')
        """
        job = self._recent.get('job')
        if job is None:
            raise NbgridError('no job has been mapped here yet: call om.runtime.job(<name>).restart(...), '
                              'or om.restart(<name>, ...)')
        return job
    def schedules(self, job=None):
        """The schedules (of ``job``, when given): list, pause, resume, delete, run now.

        Example::

            >>> om.runtime.schedules().list()   # doctest: +SKIP
            [{'id': '5e0c9a12', 'job': 'main', 'cron': '0 2 * * *', ...}]
        """
        return Schedules(self.api, job)

    def cleanup(self, older_than=None, job=None, task_group=None, states=None, schedule=None, dry_run=False):
        """Delete task groups by age (``'30d'``), job, group, state or schedule; returns what went.

        Groups with queued or running tasks are kept; blobs nothing references are removed too.

        Example::

            >>> om.runtime.cleanup(older_than='30d', dry_run=True)   # doctest: +SKIP
            would remove 3 groups, 3000 tasks, 3000 blobs, 52428800 bytes
        """
        out = self._out or sys.stdout
        return run_cleanup(self.api, out, job=job, task_group=task_group, older_than=older_than,
                           states=states, schedule=schedule, dry_run=dry_run)
