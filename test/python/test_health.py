"""``om.health()`` says which part is up: the API service, MongoDB, Redis and each live worker's
Kernel Gateway (from the worker's heartbeat), and raises naming the part that is down."""
import socket

import pytest

from fake_api import CannedApi
from nbgrid.client import Om
from nbgrid.client.errors import NbgridUnavailable

OK = (200, {'status': 'ok', 'mongo': 'ok', 'redis': 'ok', 'version': '1.2.3'})
WORKER = {'hostname': 'w1@h', 'labels': ['default'], 'concurrency': 1, 'active': 0, 'processed': 0,
          'last_seen': '2026-01-01T00:00:00Z'}


def test_health_all_up_reports_every_part():
    with CannedApi() as api:
        api.routes[('GET', '/api/health')] = OK
        api.routes[('GET', '/api/workers')] = (200, {'workers': [WORKER]})
        report = Om(url=api.url, token='t').health()
    assert report['status'] == 'ok'
    assert (report['service'], report['mongo'], report['redis'], report['version']) == ('ok', 'ok', 'ok', '1.2.3')
    assert report['gateways'] == {'w1@h': 'ok'}
    assert report['down'] == []


def test_health_names_a_worker_whose_gateway_is_down():
    paused = dict(WORKER, paused='Kernel Gateway unreachable at http://127.0.0.1:8888 (ECONNREFUSED)')
    with CannedApi() as api:
        api.routes[('GET', '/api/health')] = OK
        api.routes[('GET', '/api/workers')] = (200, {'workers': [paused, dict(WORKER, hostname='w2@h')]})
        om = Om(url=api.url, token='t')
        with pytest.raises(NbgridUnavailable, match=r'Kernel Gateway of w1@h.*127\.0\.0\.1:8888'):
            om.health()
        report = om.health(raise_on_down=False)
    assert report['status'] == 'unavailable'
    assert report['down'] == ['Kernel Gateway of w1@h']
    assert report['gateways'] == {'w1@h': paused['paused'], 'w2@h': 'ok'}


def test_health_names_redis_when_the_service_says_it_is_down():
    with CannedApi() as api:
        api.routes[('GET', '/api/health')] = (503, {'status': 'unavailable', 'mongo': 'ok', 'redis': 'connect ECONNREFUSED',
                                                    'version': '1', 'message': 'Redis: connect ECONNREFUSED'})
        api.routes[('GET', '/api/workers')] = (200, {'workers': []})
        report = Om(url=api.url, token='t').health(raise_on_down=False)
    assert (report['mongo'], report['redis'], report['down']) == ('ok', 'connect ECONNREFUSED', ['Redis'])


def test_health_says_the_service_is_unreachable():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    report = Om(url=f'http://127.0.0.1:{port}', token='t').health(raise_on_down=False)
    assert report['down'] == ['API service']
    assert 'cannot reach' in report['service']
    with pytest.raises(NbgridUnavailable, match='cannot reach'):
        Om(url=f'http://127.0.0.1:{port}', token='t').health()


def test_health_of_the_real_stack_lists_each_live_workers_gateway(live_workers):
    om = Om(url=live_workers['api_url'], token=live_workers['token'])
    report = om.health()
    assert report['status'] == 'ok'
    assert (report['service'], report['mongo'], report['redis']) == ('ok', 'ok', 'ok')
    assert report['gateways'] and set(report['gateways'].values()) == {'ok'}
