"""Jupyter server extension of nbgrid: proxies ``<base_url>/nbgrid/api/...`` to the nbgrid API
service with the service token added server-side, so JupyterLab only needs Jupyter's own auth."""
from __future__ import annotations

from typing import Any

from .handlers import setup_handlers
from .lab_origin import install_lab_origin


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nbgrid.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    # Before any kernel starts: kernels inherit it and send it with their maps.
    serverapp.web_app.settings["nbgrid_lab_origin"] = install_lab_origin()
    setup_handlers(serverapp.web_app, getattr(serverapp, "root_dir", None))
    serverapp.log.info("nbgrid server extension loaded: proxying /nbgrid/api to the nbgrid service")


# jupyter_server < 2 looked for this name.
load_jupyter_server_extension = _load_jupyter_server_extension
