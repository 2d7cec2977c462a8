"""Python Celery peer app used by nbgrid's interop tests and the queue benchmark.

Broker and backend come from NBGRID_TEST_REDIS (e.g. redis://127.0.0.1:6390/0).
Run a worker:  .venv/bin/celery -A peer_app worker --pool solo -Q default
"""
import os

from celery import Celery

REDIS = os.environ.get('NBGRID_TEST_REDIS', 'redis://127.0.0.1:6379/0')

app = Celery('peer', broker=REDIS, backend=REDIS)
app.conf.update(
    task_default_queue='default',
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.task(name='peer.add')
def add(a, b):
    return a + b


@app.task(name='peer.fail')
def fail(message):
    raise ValueError(message)


@app.task(name='peer.noop')
def noop():
    return None
