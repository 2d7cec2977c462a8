"""Where the client finds the nbgrid service: URL and token.

One rule for every client (this module serves the kernel-side client and the Jupyter server
extension; the CLI implements the same in ``worker/src/stack/service-discovery.ts``, and both are
tested against ``test/fixtures/stack-discovery-cases.json``). First match wins:

1. ``NBGRID_URL`` (and ``NBGRID_TOKEN``) in the environment: a service started elsewhere;
2. ``$NBGRID_HOME/stack.json`` when ``NBGRID_HOME`` is set (and only that file);
3. the nearest ``.nbgrid/stack.json`` in the working directory or one of its parents;
4. ``~/.nbgrid/stack.json``, where ``nbgrid up`` writes when ``NBGRID_HOME`` is not set, so a
   kernel running in any directory finds the stack ``nbgrid up`` started.

``NBGRID_TOKEN``, when set, also overrides a stack file's token. ``stack.json`` holds at least
``{"api_url": "http://127.0.0.1:PORT", "token": "..."}``; one that cannot be read or has no
``api_url`` is an error naming it (a farther file would be another stack).

Example::

    >>> from nbgrid.client.config import discover
    >>> cfg = discover()                       # doctest: +SKIP
    >>> cfg.url, cfg.source                    # doctest: +SKIP
    ('http://127.0.0.1:41234', '/home/me/.nbgrid/stack.json')
"""
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import NbgridNotConfigured

STACK_FILE = 'stack.json'
LOCAL_DIR = '.nbgrid'
REWRITE_FIX = 'run `nbgrid up` again to rewrite it, or set NBGRID_URL and NBGRID_TOKEN'


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


def _not_configured(problem, separator, fix):
    """NbgridNotConfigured whose message is ``problem + separator + fix`` and whose hint carries ``fix``."""
    return NbgridNotConfigured(f'{problem}{separator}{fix}',
                               hint={'code': 'service_not_configured', 'part': 'service', 'fix': fix})


def _user_home(env):
    return env.get('HOME') or str(Path.home())


def user_stack_file(environ=None):
    """``~/.nbgrid/stack.json`` (``HOME`` taken from ``environ``): where ``nbgrid up`` writes by default.

    Example::

        >>> str(user_stack_file({'HOME': '/home/ada'}))
        '/home/ada/.nbgrid/stack.json'
    """
    env = os.environ if environ is None else environ
    return Path(_user_home(env)) / LOCAL_DIR / STACK_FILE


def _explicit_home(env):
    home = env.get('NBGRID_HOME')
    if not home:
        return None
    if home == '~' or home.startswith('~/'):
        home = _user_home(env) + home[1:]
    return Path(os.path.abspath(home))


def stack_home(environ=None):
    """The folder ``nbgrid up`` writes ``stack.json`` into: ``NBGRID_HOME``, else ``~/.nbgrid``.

    Example::

        >>> str(stack_home({'HOME': '/home/ada'})), str(stack_home({'NBGRID_HOME': '/srv/nb'}))
        ('/home/ada/.nbgrid', '/srv/nb')
    """
    env = os.environ if environ is None else environ
    return _explicit_home(env) or user_stack_file(env).parent


def _read_stack(path):
    try:
        with open(path, encoding='utf-8') as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise _not_configured(f'cannot read {path}: {exc}', '; ', REWRITE_FIX) from exc
    url = data.get('api_url') if isinstance(data, dict) else None
    if not isinstance(url, str) or not url:
        raise _not_configured(f'{path} has no "api_url"', '; ', REWRITE_FIX)
    token = data.get('token')
    return ServiceConfig(url=url.rstrip('/'), token=token if isinstance(token, str) and token else None,
                         source=str(path))


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


def choose_stack_file(environ=None, cwd=None):
    """The stack file steps 2-4 of the rule choose, or None when there is none.

    Raises :class:`NbgridNotConfigured` when ``NBGRID_HOME`` is set but holds no ``stack.json``.

    Example::

        >>> choose_stack_file({'HOME': '/nonexistent'}, cwd='/nonexistent')   # doctest: +SKIP
    """
    env = os.environ if environ is None else environ
    home = _explicit_home(env)
    if home is not None:
        path = home / STACK_FILE
        if not path.is_file():
            raw = env['NBGRID_HOME']
            raise _not_configured(
                f'NBGRID_HOME is {raw} but {path} does not exist', ': ',
                f'start the stack with `NBGRID_HOME={raw} nbgrid up`, or unset NBGRID_HOME, or set NBGRID_URL'
            )
        return path
    nearest = find_stack_file(cwd)
    if nearest is not None:
        return nearest
    user = user_stack_file(env)
    return user if user.is_file() else None


def discover(environ=None, cwd=None):
    """Resolve the service configuration (see the module docstring for the rule).

    ``cwd`` is where the upward search starts (default: the working directory). Raises
    :class:`NbgridNotConfigured` naming the ways to fix it when nothing is found.

    Example::

        >>> discover({'NBGRID_URL': 'http://127.0.0.1:8000/', 'NBGRID_TOKEN': 't'})
        ServiceConfig(url='http://127.0.0.1:8000', token='t', source='NBGRID_URL')
    """
    env = os.environ if environ is None else environ
    url = env.get('NBGRID_URL')
    token = env.get('NBGRID_TOKEN') or None
    if url:
        return ServiceConfig(url=url.rstrip('/'), token=token, source='NBGRID_URL')
    path = choose_stack_file(env, cwd)
    if path is None:
        raise _not_configured(
            'no nbgrid service configured', ': ',
            f'start one with `make demo` or `nbgrid up` (it writes {user_stack_file(env)}), '
            'or set NBGRID_URL and NBGRID_TOKEN'
        )
    cfg = _read_stack(path)
    if token:
        cfg = ServiceConfig(url=cfg.url, token=token, source=cfg.source + ' (token from NBGRID_TOKEN)')
    return cfg
