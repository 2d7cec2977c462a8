"""Clean-up: delete task groups and the stored bytes nothing needs any more.

``om.runtime.cleanup(older_than='30d')`` deletes the groups older than 30 days (their tasks, run
history and result notebooks); ``job.delete(task_group=...)`` one group. Groups with queued or
running tasks are never deleted (cancel them first). Blobs nobody references go too. Every call
returns what it removed.

Example::

    >>> report = om.runtime.cleanup(older_than='30d', dry_run=True)   # doctest: +SKIP
    >>> report['tasks'], report['bytes'] + report['blob_bytes']          # doctest: +SKIP
    (12000, 73400320)
"""


def cleanup_body(job=None, task_group=None, older_than=None, states=None, schedule=None, dry_run=False):
    """The JSON body of ``POST /api/gc``.

    Example::

        >>> cleanup_body(older_than='30d', states=['FAILURE'], dry_run=True)
        {'older_than': '30d', 'states': ['FAILURE'], 'dry_run': True}
    """
    body = {}
    for key, value in (('job', job), ('task_group', task_group), ('older_than', older_than),
                       ('states', list(states) if states is not None else None), ('schedule', schedule)):
        if value is not None:
            body[key] = value
    if not body:
        raise ValueError('say which groups to delete: task_group=..., older_than=\'30d\', '
                         'states=[...] or schedule=...')
    body['dry_run'] = bool(dry_run)
    return body


def summary(report):
    """One line saying what a clean-up removed (or would).

    Example::

        >>> summary({'dry_run': True, 'groups': [{}], 'skipped': [], 'tasks': 10, 'bytes': 2048,
        ...          'blobs': 3, 'blob_bytes': 1024, 'revoked': 0})
        'would remove 1 groups, 10 tasks, 3 blobs, 3072 bytes'
    """
    verb = 'would remove' if report.get('dry_run') else 'removed'
    line = (f'{verb} {len(report.get("groups", []))} groups, {report.get("tasks", 0)} tasks, '
            f'{report.get("blobs", 0)} blobs, {report.get("bytes", 0) + report.get("blob_bytes", 0)} bytes')
    skipped = report.get('skipped', [])
    if skipped:
        line += f'; kept {len(skipped)} groups with queued or running tasks (cancel them first)'
    return line


def run_cleanup(api, out, **selectors):
    """``POST /api/gc`` with ``selectors``; prints the summary to ``out`` and returns the report.

    Example::

        >>> run_cleanup(om.runtime.api, sys.stdout, older_than='30d')   # doctest: +SKIP
        removed 3 groups, 3000 tasks, 3000 blobs, 52428800 bytes
    """
    report = api.request('POST', '/api/gc', cleanup_body(**selectors))
    print(summary(report), file=out)
    return report
