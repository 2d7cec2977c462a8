"""Where the nbgrid API service is and which token it wants.

The browser never learns the token: the server extension adds it to every proxied request.
Resolution order, re-evaluated on every request so a restarted stack (new port, new token)
is picked up without restarting Jupyter:

1. ``NBGRID_URL`` and ``NBGRID_TOKEN`` in the environment of the Jupyter server;
2. ``$NBGRID_HOME/stack.json`` (written by ``nbgrid up``), keys ``api_url`` and ``token``;
3. ``.nbgrid/stack.json`` in the Jupyter root directory or the nearest parent holding one.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

START_HINT = "start it with `make demo` or `nbgrid up` (or set NBGRID_URL and NBGRID_TOKEN for Jupyter)"


@dataclass(frozen=True)
class Backend:
    """The API service to proxy to. ``api_url`` has no trailing slash."""

    api_url: Optional[str]
    token: Optional[str]
    source: str

    def unreachable_message(self) -> str:
        if not self.api_url:
            return f"nbgrid service is not configured ({self.source}): {START_HINT}"
        return f"nbgrid service is not reachable at {self.api_url}: {START_HINT}"


def _stack_candidates(root_dir: Optional[str]) -> list[Path]:
    home = os.environ.get("NBGRID_HOME")
    if home:
        return [Path(home).expanduser() / "stack.json"]
    starts = [Path(root_dir).expanduser().resolve()] if root_dir else []
    starts.append(Path.cwd().resolve())
    found: list[Path] = []
    for start in starts:
        for directory in (start, *start.parents):
            found.append(directory / ".nbgrid" / "stack.json")
    return found


def resolve_backend(root_dir: Optional[str] = None) -> Backend:
    """Find the service from the environment or the nearest ``stack.json``."""
    url = os.environ.get("NBGRID_URL")
    if url:
        return Backend(url.rstrip("/"), os.environ.get("NBGRID_TOKEN"), "NBGRID_URL")
    candidates = _stack_candidates(root_dir)
    for path in candidates:
        try:
            stack = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        api_url = stack.get("api_url") if isinstance(stack, dict) else None
        if isinstance(api_url, str) and api_url:
            token = stack.get("token")
            return Backend(api_url.rstrip("/"), token if isinstance(token, str) else None, str(path))
    where = str(candidates[0]) if candidates else ".nbgrid/stack.json"
    return Backend(None, None, f"no NBGRID_URL and no {where}")
