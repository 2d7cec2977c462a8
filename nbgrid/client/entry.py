"""The entry point `Om`: `om.runtime` and `om.jobs`, connected lazily.

Example::

    >>> from nbgrid.client import Om
    >>> om = Om(url='http://127.0.0.1:8000', token='secret')   # no connection yet
    >>> om.runtime.job('main')
    Job('main')
"""
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

    def health(self):
        """The service's health: ``{'status': 'ok', 'mongo': 'ok', 'redis': 'ok', 'version': ...}``.

        Example::

            >>> om.health()['status']                          # doctest: +SKIP
            'ok'
        """
        return self.api.request('GET', '/api/health')
