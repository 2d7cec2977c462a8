"""Which part of an nbgrid stack is up: the API service, MongoDB, Redis and each live worker's
Kernel Gateway (a worker whose gateway is unreachable pauses and says so in its heartbeat).

Standard library only. Used by ``om.health()``.

Example::

    >>> from nbgrid.client.health import stack_health
    >>> report = stack_health(api)                                  # doctest: +SKIP
    >>> report['down']                                             # doctest: +SKIP
    ['Kernel Gateway of worker-1@host']
"""
import json
import socket
import urllib.error
import urllib.request

#: Seconds each request of the check may take.
HEALTH_TIMEOUT = 5.0


def _get(url, token, timeout):
    """(HTTP status, decoded JSON body or {}) of a GET; raises OSError-like errors when unreachable."""
    headers = {'Accept': 'application/json'}
    if token:
        headers['Authorization'] = f'token {token}'
    req = urllib.request.Request(url, headers=headers, method='GET')
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        body = json.loads(raw.decode('utf-8')) if raw else {}
    except ValueError:
        body = {'message': raw[:200].decode('utf-8', 'replace')}
    return status, body if isinstance(body, dict) else {}


def stack_health(api, timeout=HEALTH_TIMEOUT):
    """A report of every part; never raises for a part being down.

    Returns ``{'status': 'ok' | 'unavailable', 'service', 'mongo', 'redis', 'version',
    'gateways': {worker hostname: 'ok' or what is wrong}, 'paused': {hostname: reason},
    'down': [names of the parts that are down], 'message': one line saying what is down}``.
    Each part is ``'ok'`` or a message saying what is wrong.
    """
    url = api.url
    token = api._token
    report = {'status': 'ok', 'service': 'ok', 'mongo': 'unknown', 'redis': 'unknown', 'version': None,
              'gateways': {}, 'paused': {}, 'down': [], 'message': ''}
    try:
        status, body = _get(url + '/api/health', None, timeout)
    except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError, OSError) as exc:
        reason = getattr(exc, 'reason', exc)
        report['service'] = f'cannot reach the nbgrid service at {url} ({reason}): start it with `nbgrid up`'
        report['down'].append('API service')
    else:
        report['version'] = body.get('version')
        for key, name in (('mongo', 'MongoDB'), ('redis', 'Redis')):
            said = body.get(key)
            report[key] = said if isinstance(said, str) else f'unknown ({body.get("message") or "HTTP " + str(status)})'
            if report[key] != 'ok':
                report['down'].append(name)
        if status >= 400 and not report['down']:
            report['service'] = body.get('message') or f'HTTP {status}'
            report['down'].append('API service')
        try:
            wstatus, wbody = _get(url + '/api/workers', token, timeout)
        except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError, OSError):
            wstatus, wbody = 0, {}
        for worker in wbody.get('workers', []) if wstatus == 200 else []:
            host = worker.get('hostname', '?')
            paused = worker.get('paused')
            if paused:
                report['paused'][host] = paused
            gateway_down = isinstance(paused, str) and 'gateway' in paused.lower()
            report['gateways'][host] = paused if gateway_down else 'ok'
            if gateway_down:
                report['down'].append(f'Kernel Gateway of {host}')
    if report['down']:
        report['status'] = 'unavailable'
        details = [report['service']] if 'API service' in report['down'] else []
        details += [f'{k}: {report[k]}' for k in ('mongo', 'redis') if report[k] != 'ok' and 'API service' not in report['down']]
        details += [f'{h}: {r}' for h, r in report['gateways'].items() if r != 'ok']
        report['message'] = 'down: ' + ', '.join(report['down']) + ' (' + '; '.join(details) + ')'
    return report
