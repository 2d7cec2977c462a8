"""The ``origin`` a map is sent with: the id of the JupyterLab whose kernel runs this client.

The nbgrid server extension sets ``NBGRID_LAB_ORIGIN`` for the kernels of its Jupyter server;
a map started from one of them carries it, and that JupyterLab shows a notification when the map
finishes, even with the status panel closed. Outside such a kernel there is no origin.
"""
from __future__ import annotations

import os
import re
from typing import Mapping, Optional

_VALID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def lab_origin(environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """``NBGRID_LAB_ORIGIN`` when it is a valid origin, else None (never an error: it only routes a notification).

    Example::

        >>> lab_origin({'NBGRID_LAB_ORIGIN': '3f2a9c'}), lab_origin({}), lab_origin({'NBGRID_LAB_ORIGIN': 'a b'})
        ('3f2a9c', None, None)
    """
    value = (os.environ if environ is None else environ).get("NBGRID_LAB_ORIGIN", "")
    return value if _VALID.match(value) else None
