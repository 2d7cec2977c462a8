"""Schedules: the same map at each occurrence of a cron expression.

``job.schedule('0 2 * * *', params)`` creates one; ``om.runtime.schedules()`` lists them and
pauses, resumes, deletes or runs them now. The API service submits the map at each occurrence,
exactly once however many services run.

Example::

    >>> s = om.runtime.job('main').schedule('0 2 * * *', range(10), tz='Europe/Berlin')   # doctest: +SKIP
    >>> s['next_run']                                                                     # doctest: +SKIP
    '2026-12-02T01:00:00.000Z'
    >>> om.runtime.schedules().pause(s['id'])                                             # doctest: +SKIP
"""
from .params import map_body

SCHEDULES = '/api/schedules'


def schedule_body(job, cron, iterable, require=None, tz=None, catchup=None, keep_last=None,
                  cell_timeout=None, paused=None, **map_fields):
    """The JSON body of ``POST /api/schedules``; ``map_fields`` go into the map body as given.

    Example::

        >>> schedule_body('main', '@daily', range(2), require='gpu', keep_last=7)
        {'job': 'main', 'cron': '@daily', 'map': {'range': {'start': 0, 'stop': 2, 'step': 1}, 'require': 'gpu'}, 'keep_last': 7}
    """
    body = map_body(iterable)
    if require is not None:
        body['require'] = require
    if cell_timeout is not None:
        body['cell_timeout'] = cell_timeout
    body.update({k: v for k, v in map_fields.items() if v is not None})
    out = {'job': job, 'cron': cron, 'map': body}
    for key, value in (('tz', tz), ('catchup', catchup), ('keep_last', keep_last), ('paused', paused)):
        if value is not None:
            out[key] = value
    return out


class Schedules:
    """``om.runtime.schedules()``: list, pause, resume, delete and run schedules now.

    Each schedule is a dict ``{id, job, cron, tz, map, catchup, keep_last, paused, created,
    next_run, last_run}``.

    Example::

        >>> schedules = om.runtime.schedules()        # doctest: +SKIP
        >>> [s['cron'] for s in schedules.list()]      # doctest: +SKIP
        ['0 2 * * *']
        >>> schedules.run_now(schedules.list()[0]['id'])['task_group']   # doctest: +SKIP
        '5e0c9a12'
    """

    def __init__(self, api, job=None):
        self.api = api
        self.job = job

    def __repr__(self):
        return f'Schedules(job={self.job!r})' if self.job else 'Schedules()'

    def list(self):
        """Every schedule (of this job, when one was given).

        Example::

            >>> om.runtime.schedules().list()          # doctest: +SKIP
            [{'id': '5e0c9a12', 'job': 'main', 'cron': '0 2 * * *', ...}]
        """
        return self.api.request('GET', SCHEDULES, query={'job': self.job}).get('schedules', [])

    def __iter__(self):
        return iter(self.list())

    def get(self, schedule_id):
        """One schedule with ``runs``: its latest occurrences and the groups they made.

        Example::

            >>> om.runtime.schedules().get('5e0c9a12')['runs'][0]['task_group']   # doctest: +SKIP
            '3fa2c1d0'
        """
        return self.api.request('GET', f'{SCHEDULES}/{schedule_id}')

    def pause(self, schedule_id):
        """Run no occurrence until resumed.

        Example::

            >>> om.runtime.schedules().pause('5e0c9a12')['paused']   # doctest: +SKIP
            True
        """
        return self.api.request('POST', f'{SCHEDULES}/{schedule_id}/pause')

    def resume(self, schedule_id):
        """Run occurrences again from the next one.

        Example::

            >>> om.runtime.schedules().resume('5e0c9a12')['next_run']   # doctest: +SKIP
            '2026-12-02T02:00:00.000Z'
        """
        return self.api.request('POST', f'{SCHEDULES}/{schedule_id}/resume')

    def delete(self, schedule_id):
        """Delete a schedule; the groups it made stay (delete those with ``cleanup``).

        Example::

            >>> om.runtime.schedules().delete('5e0c9a12')   # doctest: +SKIP
        """
        self.api.request('DELETE', f'{SCHEDULES}/{schedule_id}')

    def run_now(self, schedule_id):
        """Submit the schedule's map now; returns ``{occurrence, task_group, state, trigger}``.

        Example::

            >>> om.runtime.schedules().run_now('5e0c9a12')['state']   # doctest: +SKIP
            'submitted'
        """
        return self.api.request('POST', f'{SCHEDULES}/{schedule_id}/run')
