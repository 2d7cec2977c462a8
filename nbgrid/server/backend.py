"""Where the nbgrid API service is and which token it wants.

The browser never learns the token: the server extension adds it to every proxied request.
The service is found by the same rule as the kernel-side client (:mod:`nbgrid.client.config`):
``NBGRID_URL``/``NBGRID_TOKEN`` of the Jupyter server, else ``$NBGRID_HOME/stack.json``, else the
nearest ``.nbgrid/stack.json`` from the Jupyter root directory upwards, else ``~/.nbgrid/stack.json``
(where ``nbgrid up`` writes by default). It is re-evaluated on every request, so a restarted stack
(new port, new token) is picked up without restarting Jupyter.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from nbgrid.client.config import discover
from nbgrid.client.errors import NbgridNotConfigured

START_HINT = "start it with `make demo` or `nbgrid up` (or set NBGRID_URL and NBGRID_TOKEN for Jupyter)"

# `code` values of the `hint` in this extension's own 503 answers (the API service adds others).
NOT_CONFIGURED = "service_not_configured"
UNREACHABLE = "service_unreachable"


@dataclass(frozen=True)
class Backend:
    """The API service to proxy to. ``api_url`` has no trailing slash; when it is None, ``source``
    says why none was found."""

    api_url: Optional[str]
    token: Optional[str]
    source: str
    #: What to do when no service is configured (the clients' own fix); START_HINT otherwise.
    fix: str = START_HINT

    def unreachable_message(self) -> str:
        if not self.api_url:
            # `source` is the clients' own message: it already says how to start a stack.
            return f"nbgrid service is not configured for this Jupyter server: {self.source}"
        return f"nbgrid service is not reachable at {self.api_url}: {START_HINT}"

    def hint(self) -> dict[str, str]:
        """The ``hint`` of a 503 answer about this backend: ``{code, part, fix}``."""
        return {"code": UNREACHABLE if self.api_url else NOT_CONFIGURED, "part": "service", "fix": self.fix}


def resolve_backend(root_dir: Optional[str] = None) -> Backend:
    """Find the service by the clients' rule, searching upwards from ``root_dir`` (default: cwd)."""
    try:
        config = discover(cwd=root_dir)
    except NbgridNotConfigured as error:
        fix = error.hint["fix"] if error.hint else START_HINT
        return Backend(None, None, str(error), fix)
    return Backend(config.url, config.token, config.source)
