"""The one HTTP client of the kernel-side API: JSON in, JSON out, errors mapped to nbgrid errors.

Standard library only (urllib), so it runs in any kernel environment.

Example::

    >>> from nbgrid.client.http import ApiClient, job_path
    >>> job_path('reports/monthly', 'status')
    '/api/jobs/reports%2Fmonthly/status'
    >>> api = ApiClient(url='http://127.0.0.1:8000', token='secret')   # connects on first call only
"""
import json
import urllib.error
import urllib.parse
import urllib.request

from .config import discover
from .errors import (
    NbgridAuthError,
    NbgridBadRequest,
    NbgridError,
    NbgridNotFound,
    NbgridUnavailable,
)

DEFAULT_TIMEOUT = 60.0


def job_path(name, action):
    """``/api/jobs/<name>/<action>`` with ``name`` percent-encoded, ``/`` included.

    Example::

        >>> job_path('a b/c', 'map')
        '/api/jobs/a%20b%2Fc/map'
    """
    return f"/api/jobs/{urllib.parse.quote(name, safe='')}/{action}"


def notebook_path(name):
    """``/api/notebooks/<name>``; ``/`` stays literal (like Jupyter's contents API), the rest is encoded.

    Example::

        >>> notebook_path('results/tasks/main/ab-0.ipynb_2024-01-01 10:00:00.ipynb')
        '/api/notebooks/results/tasks/main/ab-0.ipynb_2024-01-01%2010%3A00%3A00.ipynb'
    """
    return '/api/notebooks/' + urllib.parse.quote(name, safe='/')


def _answer(body):
    """``(message, hint)`` of an error answer; ``hint`` is its ``{code, part, fix}`` or None."""
    try:
        data = json.loads(body.decode('utf-8'))
    except (ValueError, UnicodeDecodeError):
        text = body.decode('utf-8', 'replace').strip()
        return text[:500], None
    if not isinstance(data, dict):
        return json.dumps(data)[:500], None
    hint = data.get('hint')
    if not (isinstance(hint, dict) and isinstance(hint.get('code'), str)):
        hint = None
    if data.get('message'):
        return str(data['message']), hint
    return json.dumps(data)[:500], hint


# What to do about a 503 whose answer has no hint (a service older than the hint).
UNAVAILABLE_FIX = 'the nbgrid service cannot reach MongoDB or Redis; retry later or check `nbgrid status`'


class ApiClient:
    """JSON over HTTP to the nbgrid API with ``Authorization: token <t>``.

    ``url``/``token`` default to :func:`nbgrid.client.config.discover`, resolved on the first request
    (so creating a client, like importing ``om``, never connects).

    Example::

        >>> api = ApiClient()                                  # doctest: +SKIP
        >>> api.request('GET', '/api/health')['status']         # doctest: +SKIP
        'ok'
    """

    def __init__(self, url=None, token=None, timeout=DEFAULT_TIMEOUT):
        self._url = url.rstrip('/') if url else None
        self._token = token
        self.timeout = timeout

    @property
    def url(self):
        """The service URL, discovering the configuration if none was given."""
        self._resolve()
        return self._url

    def _resolve(self):
        if self._url is None:
            cfg = discover()
            self._url = cfg.url
            if self._token is None:
                self._token = cfg.token

    def request(self, method, path, body=None, query=None):
        """Send one request; return the decoded JSON answer (None for 204).

        Raises NbgridUnavailable, NbgridAuthError, NbgridNotFound, NbgridBadRequest or NbgridError.

        Example::

            >>> api.request('GET', '/api/jobs/main/status', query={'task_group': '*'})   # doctest: +SKIP
            {'rows': [...]}
        """
        self._resolve()
        url = self._url + path
        if query:
            pairs = {k: v for k, v in query.items() if v is not None}
            if pairs:
                url += '?' + urllib.parse.urlencode(pairs)
        data = None
        headers = {'Accept': 'application/json'}
        if body is not None:
            # allow_nan=False: the API takes standard JSON only; params are checked before this.
            data = json.dumps(body, allow_nan=False).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        if self._token:
            headers['Authorization'] = f'token {self._token}'
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise self._http_error(method, url, exc.code, exc.read()) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            raise self._transport_error(method, path, exc) from None
        if not raw:
            return None
        try:
            return json.loads(raw.decode('utf-8'))
        except ValueError:
            raise NbgridError(
                f'{method} {url} answered something that is not JSON; is NBGRID_URL the nbgrid '
                f'API service? (got {raw[:80]!r})'
            ) from None

    def _transport_error(self, method, path, exc):
        """The error for a request that got no HTTP answer, by where it failed.

        urllib wraps what fails while connecting or sending in ``URLError``; a timeout or a closed
        connection while waiting for the answer comes through as is. So a bare ``TimeoutError``
        means the service accepted the request and is slow, not gone: saying "start it" then would
        send the user to start a second stack next to a busy one.
        """
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, (ConnectionResetError, BrokenPipeError)):
            fix = 'retry; if it keeps happening, look at the service log (run/service.log next to stack.json)'
            return NbgridUnavailable(
                f'the nbgrid service at {self._url} closed the connection before answering {method} {path} '
                f'({reason or type(reason).__name__}): it may have restarted or stopped: {fix}',
                hint={'code': 'service_disconnected', 'part': 'service', 'fix': fix},
            )
        if isinstance(reason, TimeoutError) and not isinstance(exc, urllib.error.URLError):
            fix = (f'retry later, or give the client more time: om.api.timeout = {max(300, int(self.timeout * 5))} '
                   f'(or Om(timeout=...)); the request may still complete, so check status() before repeating a map')
            return NbgridUnavailable(
                f'the nbgrid service at {self._url} is running but did not answer {method} {path} within '
                f'{self.timeout:g} s (the client\'s timeout): it is busy: {fix}',
                hint={'code': 'service_busy', 'part': 'service', 'fix': fix},
            )
        fix = 'start it with `make demo` or `nbgrid up`, or set NBGRID_URL'
        if isinstance(reason, TimeoutError):
            reason = f'no connection within {self.timeout:g} s'
        return NbgridUnavailable(
            f'cannot reach the nbgrid service at {self._url} ({reason}): {fix}',
            hint={'code': 'service_unreachable', 'part': 'service', 'fix': fix},
        )

    def _http_error(self, method, url, code, body):
        msg, hint = _answer(body)
        msg = msg or f'HTTP {code}'
        if code in (401, 403):
            how = ('set NBGRID_TOKEN to the "token" of the running stack\'s stack.json '
                   '(nbgrid.client.config.discover().source names the file in use)'
                   if self._token else
                   'no token was sent: set NBGRID_TOKEN or run `nbgrid up` to write ~/.nbgrid/stack.json')
            if 'NBGRID_TOKEN' in msg:  # the service already says how to fix it
                return NbgridAuthError(f'{msg} ({method} {url})', code)
            return NbgridAuthError(f'{msg} ({method} {url}): {how}', code)
        if code == 404:
            return NbgridNotFound(msg, code)
        if code == 503:
            fix = hint.get('fix') if hint else None
            if not isinstance(fix, str) or not fix:
                fix = UNAVAILABLE_FIX
            return NbgridUnavailable(msg if fix in msg else f'{msg}: {fix}', code, hint=hint)
        if 400 <= code < 500:
            return NbgridBadRequest(msg, code)
        return NbgridError(f'the nbgrid service failed on {method} {url} (HTTP {code}): {msg}', code)
