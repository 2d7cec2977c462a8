import socket
import threading
import time

import pytest

from fake_api import CannedApi
from nbgrid.client import Om
from nbgrid.client.errors import (NbgridAuthError, NbgridBadRequest, NbgridError, NbgridNotFound,
                                  NbgridUnavailable)
from nbgrid.client.http import job_path, notebook_path


def err(status, message):
    return (status, {'statusCode': status, 'error': 'x', 'message': message})


def test_job_names_with_slash_are_percent_encoded():
    assert job_path('reports/monthly', 'status') == '/api/jobs/reports%2Fmonthly/status'
    assert job_path('a b?c#d', 'map') == '/api/jobs/a%20b%3Fc%23d/map'


def test_notebook_names_keep_slashes_and_encode_the_rest():
    assert notebook_path('reports/monthly') == '/api/notebooks/reports/monthly'
    assert (notebook_path('results/tasks/main/ab-0.ipynb_2024-01-01 10:00.ipynb')
            == '/api/notebooks/results/tasks/main/ab-0.ipynb_2024-01-01%2010%3A00.ipynb')


def test_encoded_name_and_token_reach_the_server():
    with CannedApi() as api:
        api.routes[('GET', '/api/jobs/reports%2Fmonthly/status')] = (200, {'rows': []})
        Om(url=api.url, token='s3cret').runtime.job('reports/monthly').status(as_frame=False)
        req = api.requests[-1]
        assert req['path'] == '/api/jobs/reports%2Fmonthly/status'
        assert req['headers']['Authorization'] == 'token s3cret'


def test_401_is_an_auth_error_naming_the_token_fix():
    with CannedApi() as api:
        api.routes[('GET', '/api/jobs/main/status')] = err(401, 'missing or wrong token')
        with pytest.raises(NbgridAuthError) as info:
            Om(url=api.url, token='wrong').runtime.job('main').status()
        assert 'missing or wrong token' in str(info.value)
        assert 'NBGRID_TOKEN' in str(info.value)
        assert info.value.status_code == 401


def test_401_without_token_says_none_was_sent():
    with CannedApi() as api:
        api.routes[('GET', '/api/notebooks')] = err(401, 'missing token')
        with pytest.raises(NbgridAuthError, match='no token was sent'):
            Om(url=api.url).jobs.list()


def test_404_is_not_found_with_the_server_message():
    with CannedApi() as api:
        api.routes[('POST', '/api/jobs/nope/map')] = err(404, "notebook 'nope' does not exist: put it first")
        with pytest.raises(NbgridNotFound) as info:
            Om(url=api.url, token='t').runtime.job('nope').map([1])
        assert str(info.value) == "notebook 'nope' does not exist: put it first"


def test_400_is_bad_request_and_a_value_error():
    with CannedApi() as api:
        api.routes[('PUT', '/api/notebooks/x')] = err(400, 'content is not an nbformat v4 notebook')
        with pytest.raises(NbgridBadRequest, match='nbformat v4') as info:
            Om(url=api.url, token='t').jobs.put({'cells': 'no'}, 'x')
        assert isinstance(info.value, ValueError)


def test_503_is_unavailable_and_500_a_generic_error():
    with CannedApi() as api:
        api.routes[('GET', '/api/health')] = (503, {'status': 'error', 'message': 'redis down'})
        api.routes[('GET', '/api/workers')] = (500, {'message': 'Internal Server Error'})
        o = Om(url=api.url, token='t')
        with pytest.raises(NbgridUnavailable, match='redis down'):
            o.health()
        with pytest.raises(NbgridError, match='HTTP 500') as info:
            o.runtime.workers()
        assert type(info.value) is NbgridError


def test_a_503_hint_gives_the_code_and_the_fix():
    hint = {'code': 'mongo_unavailable', 'part': 'mongodb', 'fix': 'start MongoDB again and retry'}
    with CannedApi() as api:
        api.routes[('GET', '/api/notebooks')] = (503, {'statusCode': 503, 'error': 'Service Unavailable',
                                                      'message': 'MongoDB is unreachable (x)', 'hint': hint})
        with pytest.raises(NbgridUnavailable) as info:
            Om(url=api.url, token='t').jobs.list()
        assert info.value.hint == hint
        assert str(info.value) == 'MongoDB is unreachable (x): start MongoDB again and retry'
        assert 'nbgrid status' not in str(info.value)
        api.routes[('GET', '/api/notebooks')] = (503, {'message': 'down', 'hint': {'code': 'x', 'fix': 'down'}})
        with pytest.raises(NbgridUnavailable) as info:
            Om(url=api.url, token='t').jobs.list()
        assert str(info.value) == 'down'  # a fix the message already says is not repeated
        api.routes[('GET', '/api/notebooks')] = err(503, 'older service')
        with pytest.raises(NbgridUnavailable, match='older service: the nbgrid service cannot reach') as info:
            Om(url=api.url, token='t').jobs.list()
        assert info.value.hint is None


def test_connection_refused_is_unavailable_naming_the_url_and_the_fix():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    url = f'http://127.0.0.1:{port}'
    with pytest.raises(NbgridUnavailable) as info:
        Om(url=url, token='t').runtime.job('main').status()
    msg = str(info.value)
    assert f'cannot reach the nbgrid service at {url}' in msg
    assert 'make demo' in msg and 'nbgrid up' in msg and 'NBGRID_URL' in msg
    assert info.value.hint['code'] == 'service_unreachable' and msg.endswith(info.value.hint['fix'])


class SilentServer:
    """A local socket server that accepts connections (and reads the request) but never answers:
    a service that is running and busy. ``close=True`` closes each connection after reading
    instead: a service that went away mid-request."""

    def __init__(self, close=False):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.url = f'http://127.0.0.1:{self.sock.getsockname()[1]}'
        self.close_after_read = close
        self.accepted = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)
            try:
                conn.recv(65536)
            except OSError:
                pass
            if self.close_after_read:
                conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_a_service_that_accepts_but_does_not_answer_is_busy_not_gone():
    with SilentServer() as server:
        started = time.monotonic()
        with pytest.raises(NbgridUnavailable) as info:
            Om(url=server.url, token='t', timeout=0.5).runtime.job('main').status()
        waited = time.monotonic() - started
    msg = str(info.value)
    assert 0.4 < waited < 5
    assert server.accepted, 'the client never connected'
    assert f'the nbgrid service at {server.url} is running but did not answer GET /api/jobs/main/status' in msg
    assert "within 0.5 s (the client's timeout): it is busy" in msg
    assert 'om.api.timeout = 300' in msg and 'Om(timeout=...)' in msg
    assert 'make demo' not in msg and 'cannot reach' not in msg
    assert info.value.hint == {'code': 'service_busy', 'part': 'service', 'fix': info.value.hint['fix']}
    assert msg.endswith(info.value.hint['fix'])


def test_a_service_that_closes_the_connection_is_not_told_to_be_started():
    with SilentServer(close=True) as server:
        with pytest.raises(NbgridUnavailable) as info:
            Om(url=server.url, token='t', timeout=5).runtime.job('main').status()
    msg = str(info.value)
    assert f'the nbgrid service at {server.url} closed the connection before answering GET' in msg
    assert 'make demo' not in msg
    assert info.value.hint['code'] == 'service_disconnected'


def test_an_unknown_host_is_unreachable_with_the_start_fix():
    with pytest.raises(NbgridUnavailable) as info:
        Om(url='http://nbgrid-no-such-host.invalid:9', token='t', timeout=5).runtime.job('main').status()
    msg = str(info.value)
    assert 'cannot reach the nbgrid service at http://nbgrid-no-such-host.invalid:9' in msg
    assert 'make demo' in msg
    assert info.value.hint['code'] == 'service_unreachable'


def test_drop_force_ignores_missing_notebooks():
    with CannedApi() as api:
        api.routes[('DELETE', '/api/notebooks/gone')] = err(404, "notebook 'gone' does not exist")
        api.routes[('DELETE', '/api/notebooks/here')] = (204, None)
        o = Om(url=api.url, token='t')
        assert o.jobs.drop('here') is True
        assert o.jobs.drop('gone', force=True) is False
        with pytest.raises(NbgridNotFound):
            o.jobs.drop('gone')
