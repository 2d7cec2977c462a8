"""The entry point `Om`: `om.runtime` and `om.jobs`, connected lazily.

Example::

    >>> from nbgrid.client import Om
    >>> om = Om(url='http://127.0.0.1:8000', token='secret')   # no connection yet
    >>> om.runtime.job('main')
    Job('main')
"""
from .errors import NbgridUnavailable
from .health import stack_health
from .http import ApiClient
from .jobs import Jobs
from .runtime import Runtime


class Om:
    """Entry point of the client, in omega|ml's shape: ``om.runtime`` and ``om.jobs``.

    ``url``/``token`` default to the rule of :mod:`nbgrid.client.config` (NBGRID_URL/NBGRID_TOKEN,
    NBGRID_HOME/stack.json, .nbgrid/stack.json searched upwards, ~/.nbgrid/stack.json), looked up on
    the first request, never at import.

    Example::

        >>> from nbgrid import om                              # doctest: +SKIP
        >>> om.runtime.job('main').map(range(3))               # doctest: +SKIP
    """

    def __init__(self, url=None, token=None, timeout=None):
        kwargs = {} if timeout is None else {'timeout': timeout}
        self.api = ApiClient(url=url, token=token, **kwargs)
        self.runtime = Runtime(self.api)
        self.jobs = Jobs(self.api)

    def __repr__(self):
        where = self.api._url or 'not connected yet'
        return f'<nbgrid om: {where}>'

    def health(self, raise_on_down=True):
        """Which part is up: ``{'status': 'ok', 'service': 'ok', 'mongo': 'ok', 'redis': 'ok',
        'version': ..., 'gateways': {worker: 'ok' or what is wrong}, 'paused': {...}, 'down': [],
        'message': ''}`` (see :func:`nbgrid.client.health.stack_health`).

        When a part is down it raises :class:`NbgridUnavailable` naming it, unless
        ``raise_on_down=False``: then the report says it (``status`` ``'unavailable'``, ``down``
        lists the parts, each part's entry says what is wrong).

        Example::

            >>> om.health()['status']                          # doctest: +SKIP
            'ok'
            >>> om.health(raise_on_down=False)['down']         # doctest: +SKIP
            ['Kernel Gateway of worker-1@host']
        """
        report = stack_health(self.api, timeout=min(self.api.timeout, 10.0))
        if raise_on_down and report['down']:
            code = 503 if 'API service' not in report['down'] else None
            raise NbgridUnavailable(report['message'], code, hint={'code': 'part_down', 'part': report['down'][0],
                                                                   'fix': 'start the part again (`nbgrid up` repairs a local stack)'})
        return report

    def restart(self, job=None, reset=False, refresh=False, task_group=None, tasks=None):
        """Restart tasks as :meth:`Job.restart` does, of the job named ``job``, else of the job last
        made, mapped or restarted through ``om.runtime`` (omega|ml's ``om.restart(reset=True)``).

        Example::

            >>> job = om.runtime.job('main'); job.map(range(10))   # doctest: +SKIP
            >>> om.restart(reset=True)          # re-runs all 10   # doctest: +SKIP
            >>> om.restart('other')             # another job      # doctest: +SKIP
        """
        target = self.runtime.job(job) if job is not None else self.runtime.last_job()
        return target.restart(reset=reset, refresh=refresh, task_group=task_group, tasks=tasks)
