"""The id of this JupyterLab (this Jupyter server) for nbgrid's done notifications.

Made once when the server extension loads and put into ``os.environ`` as ``NBGRID_LAB_ORIGIN``:
kernels this server starts inherit the server's environment (jupyter_client's local provisioner
launches them with a copy of it), so nbgrid's Python client in any of them sends it as the map's
``origin``. The frontend reads it from ``/nbgrid/config`` and shows a notification for the
``group-done`` events that carry it. It is a routing label, not a secret and not a credential.
"""
from __future__ import annotations

import os
import secrets
from typing import MutableMapping, Optional

#: The environment variable kernels find the id in (read by ``nbgrid.client.origin``).
LAB_ORIGIN_ENV = "NBGRID_LAB_ORIGIN"


def install_lab_origin(environ: Optional[MutableMapping[str, str]] = None) -> str:
    """Make a fresh id and set it in ``environ`` (``os.environ`` by default); return it.

    Always fresh: a Jupyter server started from a terminal or kernel of another JupyterLab
    inherits that one's id, and must not receive its notifications.

    Example::

        >>> env = {}
        >>> origin = install_lab_origin(env)
        >>> env['NBGRID_LAB_ORIGIN'] == origin and len(origin)
        32
    """
    env = os.environ if environ is None else environ
    origin = secrets.token_hex(16)
    env[LAB_ORIGIN_ENV] = origin
    return origin
