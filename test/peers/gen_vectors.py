"""Write test/worker/unit/celery/fixtures/kombu-vectors.json: messages exactly as kombu's Redis
transport stores them (LPUSHed envelopes, pidbox broadcast, result metas), made by real
Celery 5.7 / kombu 5.7 against a throwaway Redis.

usage: NBGRID_TEST_REDIS=redis://127.0.0.1:PORT/0 .venv/bin/python test/peers/gen_vectors.py OUT.json
"""
import json
import sys

import redis

from peer_app import REDIS, app


def main():
    out = sys.argv[1]
    r = redis.Redis.from_url(REDIS)
    r.flushdb()
    vectors = {'tasks': [], 'meta': {}}
    cases = [
        dict(name='nbgrid.echo', args=[1, 'x', None, [1.5, True]], kwargs={'k': {'n': 2}}, queue='default'),
        dict(name='nbgrid.run_notebook', args=[], kwargs={'task_name': 'tasks/main/abc-0', 'task_group': 'abcdef01', 'attempt': 1},
             queue='gpu', priority=7, countdown=30, expires=600, time_limit=60, soft_time_limit=50),
        dict(name='peer.add', args=[2, 3], kwargs={}, queue='default', priority=4, task_id='fixed-id-1'),
    ]
    for case in cases:
        name = case.pop('name')
        res = app.send_task(name, **case)
        keys = [k for k in r.keys('*') if not k.startswith(b'_kombu') and not k.startswith(b'celery-task-meta')]
        (key,) = keys
        raw = r.rpop(key)
        vectors['tasks'].append({'key': key.decode(), 'raw': raw.decode(), 'task_id': res.id, 'name': name,
                                 'args': case.get('args'), 'kwargs': case.get('kwargs')})
    backend = app.backend
    backend.store_result('meta-success', {'a': [1, 2]}, 'SUCCESS')
    try:
        raise ValueError('bad value')
    except ValueError as exc:
        backend.store_result('meta-failure', exc, 'FAILURE', traceback='Traceback (most recent call last):\nValueError: bad value\n')
    for tid in ('meta-success', 'meta-failure'):
        vectors['meta'][tid] = r.get('celery-task-meta-' + tid).decode()
    vectors['bindings'] = sorted(k.decode('latin-1') for k in r.keys('_kombu.binding.*'))
    with open(out, 'w') as f:
        json.dump(vectors, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
