"""Where the client finds the nbgrid service: URL and token.

Order, first match wins:

1. ``NBGRID_URL`` (and ``NBGRID_TOKEN``) in the environment;
2. ``$NBGRID_HOME/stack.json`` (written by ``nbgrid up``);
3. ``.nbgrid/stack.json`` in the current directory or any parent.

``stack.json`` holds at least ``{"api_url": "http://127.0.0.1:PORT", "token": "..."}``.

Example::

    >>> from nbgrid.client.config import discover
    >>> cfg = discover()                       # doctest: +SKIP
    >>> cfg.url, cfg.source                    # doctest: +SKIP
    ('http://127.0.0.1:41234', '/home/me/project/.nbgrid/stack.json')
"""
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import NbgridNotConfigured

STACK_FILE = 'stack.json'
LOCAL_DIR = '.nbgrid'


@dataclass(frozen=True)
class ServiceConfig:
    """The service URL (no trailing slash), its token (may be None) and where both came from.

    Example::

        >>> ServiceConfig('http://127.0.0.1:8000', 't', 'NBGRID_URL').url
        'http://127.0.0.1:8000'
    """

    url: str
    token: str
    source: str


def _read_stack(path):
    try:
        with open(path, encoding='utf-8') as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise NbgridNotConfigured(
            f'cannot read {path}: {exc}; run `nbgrid up` again to rewrite it, '
            'or set NBGRID_URL and NBGRID_TOKEN'
        ) from exc
    url = data.get('api_url') if isinstance(data, dict) else None
    if not url:
        raise NbgridNotConfigured(
            f'{path} has no "api_url"; run `nbgrid up` again to rewrite it, '
            'or set NBGRID_URL and NBGRID_TOKEN'
        )
    return ServiceConfig(url=str(url).rstrip('/'), token=data.get('token'), source=str(path))


def find_stack_file(start=None):
    """Return the first ``.nbgrid/stack.json`` from ``start`` (default: cwd) upwards, or None.

    Example::

        >>> find_stack_file('/tmp/nowhere')   # doctest: +SKIP
    """
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / LOCAL_DIR / STACK_FILE
        if candidate.is_file():
            return candidate
    return None


def discover(environ=None, cwd=None):
    """Resolve the service configuration (see the module docstring for the order).

    Raises :class:`NbgridNotConfigured` naming the ways to fix it when nothing is found.

    Example::

        >>> discover({'NBGRID_URL': 'http://127.0.0.1:8000/', 'NBGRID_TOKEN': 't'})
        ServiceConfig(url='http://127.0.0.1:8000', token='t', source='NBGRID_URL')
    """
    env = os.environ if environ is None else environ
    url = env.get('NBGRID_URL')
    token = env.get('NBGRID_TOKEN') or None
    if url:
        return ServiceConfig(url=url.rstrip('/'), token=token, source='NBGRID_URL')
    home = env.get('NBGRID_HOME')
    if home:
        path = Path(home) / STACK_FILE
        if not path.is_file():
            raise NbgridNotConfigured(
                f'NBGRID_HOME is {home} but {path} does not exist: start the stack with '
                f'`NBGRID_HOME={home} nbgrid up`, or unset NBGRID_HOME, or set NBGRID_URL'
            )
        cfg = _read_stack(path)
    else:
        path = find_stack_file(cwd)
        if path is None:
            raise NbgridNotConfigured(
                'no nbgrid service configured: start one with `make demo` or `nbgrid up` '
                '(it writes .nbgrid/stack.json), or set NBGRID_URL and NBGRID_TOKEN'
            )
        cfg = _read_stack(path)
    if token:
        cfg = ServiceConfig(url=cfg.url, token=token, source=cfg.source + ' (token from NBGRID_TOKEN)')
    return cfg
