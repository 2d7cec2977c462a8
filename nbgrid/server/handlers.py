"""Tornado handlers of the nbgrid server extension.

``/nbgrid/api/<path>`` forwards to ``<api_url>/api/<path>`` with ``Authorization: token <t>``;
``/nbgrid/api/events`` streams the service's Server-Sent Events through chunk by chunk;
``/nbgrid/config`` says whether the service answers, without revealing the token.
Every handler asks Jupyter's authorizer first (``@authorized``, resource ``nbgrid``).
"""
from __future__ import annotations

import json
from typing import Any, Optional

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse

from .backend import Backend, resolve_backend

#: The resource Jupyter's authorizer is asked about for every nbgrid request: action ``read`` for
#: GET, ``write`` for PUT/POST/DELETE (jupyter_server's mapping), so an ``Authorizer`` subclass can
#: let a user watch jobs but not start them, or keep nbgrid from a user altogether.
AUTH_RESOURCE = "nbgrid"

# Request headers worth forwarding; cookies and Jupyter's own Authorization stay here.
FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept", "Last-Event-ID")
CONNECT_TIMEOUT = 5.0
REQUEST_TIMEOUT = 300.0


class _StreamClosed(Exception):
    """Raised inside the streaming callback to drop the upstream stream once the browser left."""


class _ProxyBase(APIHandler):
    root_dir: Optional[str] = None
    auth_resource = AUTH_RESOURCE

    def initialize(self, root_dir: Optional[str] = None) -> None:
        self.root_dir = root_dir

    def backend(self) -> Backend:
        return resolve_backend(self.root_dir)

    def upstream_path(self) -> str:
        """The part after ``nbgrid/api/``, still percent-encoded (``reports%2Fmonthly`` must stay so)."""
        prefix = url_path_join(self.base_url, "nbgrid", "api") + "/"
        path = self.request.path
        return path[len(prefix):] if path.startswith(prefix) else ""

    def upstream_url(self, backend: Backend) -> str:
        # `token` is Jupyter's own credential (EventSource cannot send headers): never forward it.
        query = "&".join(part for part in self.request.query.split("&") if part and not part.startswith("token="))
        return f"{backend.api_url}/api/{self.upstream_path()}" + (f"?{query}" if query else "")

    def upstream_headers(self, backend: Backend) -> dict[str, str]:
        headers = {name: self.request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in self.request.headers}
        if backend.token:
            headers["Authorization"] = f"token {backend.token}"
        return headers

    def unreachable(self, backend: Backend, reason: str = "") -> None:
        self.set_status(503)
        body: dict[str, Any] = {
            "statusCode": 503,
            "error": "Service Unavailable",
            "message": backend.unreachable_message(),
            "hint": backend.hint(),
        }
        if reason:
            body["reason"] = reason
        self.finish(json.dumps(body))


class ApiProxyHandler(_ProxyBase):
    """Forwards one REST request and its answer."""

    async def _forward(self, method: str) -> None:
        backend = self.backend()
        if not backend.api_url:
            self.unreachable(backend)
            return
        body = self.request.body if method in ("POST", "PUT", "PATCH") else None
        if method in ("POST", "PUT", "PATCH") and not body:
            body = b""
        request = HTTPRequest(
            self.upstream_url(backend),
            method=method,
            headers=self.upstream_headers(backend),
            body=body,
            allow_nonstandard_methods=True,
            connect_timeout=CONNECT_TIMEOUT,
            request_timeout=REQUEST_TIMEOUT,
            follow_redirects=False,
            decompress_response=True,
        )
        try:
            response: HTTPResponse = await AsyncHTTPClient().fetch(request, raise_error=False)
        except (OSError, HTTPClientError) as error:
            self.unreachable(backend, str(error))
            return
        if response.code == 599:  # tornado's code for "no HTTP answer at all"
            self.unreachable(backend, str(response.error))
            return
        self.set_status(response.code, response.reason)
        if response.code in (204, 304):
            self.finish(set_content_type=response.headers.get("Content-Type", "application/json"))
            return
        content_type = response.headers.get("Content-Type", "application/json")
        self.finish(response.body or b"", set_content_type=content_type)

    @tornado.web.authenticated
    @authorized
    async def get(self, _path: str = "") -> None:
        await self._forward("GET")

    @tornado.web.authenticated
    @authorized
    async def post(self, _path: str = "") -> None:
        await self._forward("POST")

    @tornado.web.authenticated
    @authorized
    async def put(self, _path: str = "") -> None:
        await self._forward("PUT")

    @tornado.web.authenticated
    @authorized
    async def delete(self, _path: str = "") -> None:
        await self._forward("DELETE")


class EventsProxyHandler(_ProxyBase):
    """Streams ``/api/events`` (Server-Sent Events) through, flushing every chunk."""

    # A shared client with room for many long-lived streams, so they never queue REST calls.
    _client: Optional[AsyncHTTPClient] = None

    @classmethod
    def client(cls) -> AsyncHTTPClient:
        if cls._client is None:
            cls._client = AsyncHTTPClient(force_instance=True, max_clients=1000)
        return cls._client

    def on_connection_close(self) -> None:
        self._browser_gone = True

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        self._browser_gone = False
        self._started = False
        backend = self.backend()
        if not backend.api_url:
            self.unreachable(backend)
            return

        def on_headers(line: str) -> None:
            # The status line arrives first; when it is not 200 the body is buffered and relayed below.
            if line.startswith("HTTP/"):
                parts = line.split(" ", 2)
                self._upstream_code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 502

        def on_chunk(chunk: bytes) -> None:
            if self._upstream_code != 200:
                self._error_body.append(chunk)
                return
            if self._browser_gone:
                raise _StreamClosed()
            if not self._started:
                self._started = True
                self.set_status(200)
                self.set_header("Content-Type", "text/event-stream; charset=utf-8")
                self.set_header("Cache-Control", "no-cache")
                self.set_header("X-Accel-Buffering", "no")
            self.write(chunk)
            self.flush()

        self._upstream_code = 0
        self._error_body: list[bytes] = []
        headers = self.upstream_headers(backend)
        headers["Accept"] = "text/event-stream"
        request = HTTPRequest(
            self.upstream_url(backend),
            method="GET",
            headers=headers,
            connect_timeout=CONNECT_TIMEOUT,
            request_timeout=0,  # the stream lives as long as the browser listens
            header_callback=on_headers,
            streaming_callback=on_chunk,
            decompress_response=False,
        )
        try:
            response = await self.client().fetch(request, raise_error=False)
        except _StreamClosed:
            return
        except (OSError, HTTPClientError) as error:
            if not self._started:
                self.unreachable(backend, str(error))
            return
        if self._browser_gone:
            return
        if self._started:
            self.finish()
            return
        if response.code == 599:
            if isinstance(response.error, _StreamClosed):
                return
            self.unreachable(backend, str(response.error))
            return
        self.set_status(response.code, response.reason)
        self.finish(b"".join(self._error_body), set_content_type=response.headers.get("Content-Type", "application/json"))


class ConfigHandler(_ProxyBase):
    """``{api_reachable, api_url, message?}``: what the frontend shows before it maps anything."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        backend = self.backend()
        reachable = False
        reason = ""
        if backend.api_url:
            try:
                response = await AsyncHTTPClient().fetch(
                    f"{backend.api_url}/api/health", connect_timeout=2.0, request_timeout=5.0, raise_error=False
                )
                reachable = response.code == 200
                if not reachable:
                    reason = f"health check answered {response.code}"
            except OSError as error:
                reason = str(error)
        body: dict[str, Any] = {"api_reachable": reachable, "api_url": backend.api_url}
        # This JupyterLab's id (nbgrid/server/lab_origin.py): the frontend announces maps carrying it.
        if self.settings.get("nbgrid_lab_origin"):
            body["lab_origin"] = self.settings["nbgrid_lab_origin"]
        if not reachable:
            body["message"] = backend.unreachable_message() + (f" ({reason})" if reason else "")
            body["hint"] = backend.hint()
        self.finish(json.dumps(body))


def setup_handlers(web_app: Any, root_dir: Optional[str] = None) -> None:
    base_url = web_app.settings.get("base_url", "/")
    options = {"root_dir": root_dir}
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url, "nbgrid", "config"), ConfigHandler, options),
            (url_path_join(base_url, "nbgrid", "api", "events"), EventsProxyHandler, options),
            (url_path_join(base_url, "nbgrid", "api", "(.*)"), ApiProxyHandler, options),
        ],
    )
