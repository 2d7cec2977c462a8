"""The nbgrid server extension in a real `jupyter server`, proxying to a small stub of the API service.

The stub stands in for the nbgrid service only here, where the subject is the proxy itself (paths,
token injection, streaming, errors); the UI tests run the extension against the real stack.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from nbgrid.server.backend import START_HINT

REPO = Path(__file__).resolve().parents[2]
SERVICE_TOKEN = "service-secret-token"
JUPYTER_TOKEN = "jupyter-test-token"


class StubService(BaseHTTPRequestHandler):
    """Answers like the nbgrid API service and records what it received."""

    received: list[dict] = []
    endless_stream_closed = threading.Event()

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _record(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        entry = {
            "method": self.command,
            "path": self.path,
            "authorization": self.headers.get("Authorization"),
            "cookie": self.headers.get("Cookie"),
            "body": self.rfile.read(length).decode() if length else "",
        }
        StubService.received.append(entry)
        return entry

    def _json(self, code: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        entry = self._record()
        if self.path == "/api/health":
            self._json(200, {"status": "ok"})
        elif self.path.startswith("/api/events?job=endless"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            try:
                for _ in range(200):  # 60 s at most
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                StubService.endless_stream_closed.set()
        elif self.path.startswith("/api/events"):
            if entry["authorization"] != f"token {SERVICE_TOKEN}":
                self._json(401, {"statusCode": 401, "message": "bad token"})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for i in range(2):
                self.wfile.write(f'event: task\ndata: {{"job_id": {i}, "status": "SUCCESS"}}\n\n'.encode())
                self.wfile.flush()
                time.sleep(1.5)
        elif self.path.startswith("/api/missing"):
            self._json(404, {"statusCode": 404, "error": "Not Found", "message": "no notebook named missing"})
        else:
            self._json(200, {"echo": entry})

    def do_PUT(self) -> None:
        self._json(200, {"echo": self._record()})

    def do_POST(self) -> None:
        self._json(201, {"echo": self._record()})

    def do_DELETE(self) -> None:
        self._record()
        self.send_response(204)
        self.end_headers()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubService)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def home():
    with tempfile.TemporaryDirectory(prefix="nbgrid-home-") as directory:
        yield Path(directory)


def write_stack(home: Path, api_url: str) -> None:
    (home / "stack.json").write_text(json.dumps({"api_url": api_url, "token": SERVICE_TOKEN}))


@contextlib.contextmanager
def running_jupyter(home: Path, *extra: str):
    """A ``jupyter server`` with the nbgrid extension, reading its stack file from ``home``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRID_URL", "NBGRID_TOKEN")}
    env["NBGRID_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(Path(__file__).parent), env.get("PYTHONPATH", "")])
    with tempfile.TemporaryDirectory(prefix="nbgrid-jupyter-") as root, tempfile.TemporaryDirectory() as runtime:
        env["JUPYTER_RUNTIME_DIR"] = runtime
        cmd = [
            sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={JUPYTER_TOKEN}", f"--ServerApp.root_dir={root}",
            "--ServerApp.jpserver_extensions={'nbgrid.server': True}", "--ServerApp.port_retries=0", "--allow-root",
            *extra,
        ]
        log = open(Path(runtime) / "server.log", "w+")
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={JUPYTER_TOKEN}", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None or time.time() > deadline:
                        log.seek(0)
                        raise RuntimeError("jupyter server did not start:\n" + log.read())
                    time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


@pytest.fixture(scope="module")
def jupyter(home, stub):
    write_stack(home, stub)
    with running_jupyter(home) as base:
        yield base


def call(base: str, method: str, path: str, body: object = None, token: str | None = JUPYTER_TOKEN):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if token:
        request.add_header("Authorization", f"token {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            raw = response.read()
            return response.status, response.headers, raw
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_get_keeps_percent_encoded_names_and_adds_the_service_token(jupyter):
    code, headers, raw = call(jupyter, "GET", "/nbgrid/api/jobs/reports%2Fmonthly/status?task_group=%2A")
    assert code == 200, raw
    echo = json.loads(raw)["echo"]
    assert echo["path"] == "/api/jobs/reports%2Fmonthly/status?task_group=%2A"
    assert echo["authorization"] == f"token {SERVICE_TOKEN}"
    assert headers["Content-Type"].startswith("application/json")


def test_put_post_and_delete_forward_bodies_and_status_codes(jupyter):
    code, _, raw = call(jupyter, "PUT", "/nbgrid/api/notebooks/reports/monthly", {"content": {"cells": []}})
    assert code == 200
    assert json.loads(json.loads(raw)["echo"]["body"]) == {"content": {"cells": []}}
    code, _, raw = call(jupyter, "POST", "/nbgrid/api/jobs/main/map", {"range": {"start": 0, "stop": 4, "step": 1}})
    assert code == 201
    assert json.loads(raw)["echo"]["path"] == "/api/jobs/main/map"
    code, _, raw = call(jupyter, "DELETE", "/nbgrid/api/notebooks/main")
    assert code == 204 and raw == b""


def test_service_errors_pass_through_unchanged(jupyter):
    code, _, raw = call(jupyter, "GET", "/nbgrid/api/missing")
    assert code == 404
    assert json.loads(raw)["message"] == "no notebook named missing"


def test_requests_without_jupyter_auth_are_refused_and_never_forwarded(jupyter):
    before = len(StubService.received)
    code, _, _ = call(jupyter, "GET", "/nbgrid/api/workers", token=None)
    assert code == 403
    assert len(StubService.received) == before


def test_config_reports_the_service_without_its_token(jupyter, stub):
    code, _, raw = call(jupyter, "GET", "/nbgrid/config")
    assert code == 200
    config = json.loads(raw)
    origin = config.pop("lab_origin")
    assert config == {"api_reachable": True, "api_url": stub}
    assert len(origin) == 32 and int(origin, 16) >= 0
    assert SERVICE_TOKEN not in raw.decode()


def _children_environ(pid: int) -> list[dict[str, str]]:
    """The environments of the direct child processes of ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            if ppid != pid:
                continue
            raw = (entry / "environ").read_bytes()
        except (OSError, ValueError):
            continue
        found.append(dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item))
    return found


def test_kernels_of_this_server_inherit_its_lab_origin_and_another_server_has_another(jupyter, home):
    origin = json.loads(call(jupyter, "GET", "/nbgrid/config")[2])["lab_origin"]
    code, _, raw = call(jupyter, "POST", "/api/kernels", {"name": "python3"})
    assert code == 201, raw
    kernel = json.loads(raw)["id"]
    try:
        server_pid = next(
            int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and f"--port={jupyter.rsplit(':', 1)[1]}".encode() in _safe_read(p / "cmdline").split(b"\0")
        )
        deadline = time.time() + 30
        while True:
            kernels = [e for e in _children_environ(server_pid) if "NBGRID_LAB_ORIGIN" in e]
            if kernels or time.time() > deadline:
                break
            time.sleep(0.2)
        # started by jupyter_client's local provisioner with the server's environment
        assert kernels and {e["NBGRID_LAB_ORIGIN"] for e in kernels} == {origin}
    finally:
        call(jupyter, "DELETE", f"/api/kernels/{kernel}")
    with running_jupyter(home) as other:
        assert json.loads(call(other, "GET", "/nbgrid/config")[2])["lab_origin"] != origin


def _safe_read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_events_are_streamed_chunk_by_chunk(jupyter):
    # EventSource cannot send headers: the browser passes Jupyter's token in the URL.
    request = urllib.request.Request(jupyter + f"/nbgrid/api/events?job=main&token={JUPYTER_TOKEN}")
    started = time.time()
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        first = b""
        while b"\n\n" not in first:
            first += response.read1(4096)
        # The stub waits 1.5 s before the second event: the first must not wait for it.
        assert time.time() - started < 1.4
        assert b'"job_id": 0' in first
        rest = response.read()
    assert b'"job_id": 1' in rest
    assert StubService.received[-1]["path"] == "/api/events?job=main"  # Jupyter's token stays here
    assert StubService.received[-1]["cookie"] is None


def test_a_browser_leaving_the_event_stream_closes_the_upstream_stream(jupyter):
    request = urllib.request.Request(jupyter + "/nbgrid/api/events?job=endless")
    request.add_header("Authorization", f"token {JUPYTER_TOKEN}")
    response = urllib.request.urlopen(request, timeout=15)
    assert b"keep-alive" in response.read1(4096)
    response.close()
    assert StubService.endless_stream_closed.wait(10), "the proxy kept reading a stream nobody listens to"


def test_unreachable_service_is_a_503_that_says_how_to_start_it_and_a_moved_service_is_found(jupyter, home, stub):
    dead = f"http://127.0.0.1:{free_port()}"
    write_stack(home, dead)
    try:
        code, _, raw = call(jupyter, "GET", "/nbgrid/api/workers")
        assert code == 503
        message = json.loads(raw)["message"]
        assert f"not reachable at {dead}" in message and "nbgrid up" in message
        assert json.loads(raw)["hint"] == {"code": "service_unreachable", "part": "service", "fix": START_HINT}
        code, _, raw = call(jupyter, "GET", "/nbgrid/api/events?job=main")
        assert code == 503 and "not reachable" in json.loads(raw)["message"]
        assert json.loads(raw)["hint"]["code"] == "service_unreachable"
        code, _, raw = call(jupyter, "GET", "/nbgrid/config")
        assert json.loads(raw)["api_reachable"] is False
        assert json.loads(raw)["hint"]["code"] == "service_unreachable"
    finally:
        write_stack(home, stub)
    code, _, _ = call(jupyter, "GET", "/nbgrid/api/workers")
    assert code == 200


def test_no_stack_file_is_a_503_with_the_not_configured_hint_and_the_clients_message(jupyter, home, stub):
    (home / "stack.json").unlink()
    try:
        code, _, raw = call(jupyter, "GET", "/nbgrid/api/workers")
        body = json.loads(raw)
        assert code == 503
        fix = f"start the stack with `NBGRID_HOME={home} nbgrid up`, or unset NBGRID_HOME, or set NBGRID_URL"
        assert body["hint"] == {"code": "service_not_configured", "part": "service", "fix": fix}
        assert f"NBGRID_HOME is {home}" in body["message"] and body["message"].endswith(fix)
    finally:
        write_stack(home, stub)
    code, _, _ = call(jupyter, "GET", "/nbgrid/api/workers")
    assert code == 200


def test_the_extension_asks_jupyters_authorizer_and_forwards_nothing_it_denies(stub):
    """``deny_nbgrid_authorizer.DenyNbgridWrites`` lets a user read nbgrid but not write, and not
    open the event stream or the config: each denial is a 403 that never reaches the service."""
    with tempfile.TemporaryDirectory(prefix="nbgrid-home-") as directory:
        home = Path(directory)
        write_stack(home, stub)
        with running_jupyter(home, "--ServerApp.authorizer_class=deny_nbgrid_authorizer.DenyNbgridWrites") as base:
            before = len(StubService.received)
            code, _, raw = call(base, "GET", "/nbgrid/api/workers")
            assert code == 200, raw
            assert len(StubService.received) == before + 1
            for method, path, body in [
                ("POST", "/nbgrid/api/jobs/main/map", {"params": [1]}),
                ("PUT", "/nbgrid/api/notebooks/main", {"content": {"cells": []}}),
                ("DELETE", "/nbgrid/api/notebooks/main", None),
                ("GET", "/nbgrid/api/events?job=main", None),
                ("GET", "/nbgrid/config", None),
            ]:
                code, _, raw = call(base, method, path, body)
                assert (method, path, code) == (method, path, 403), raw
            assert len(StubService.received) == before + 1
            # Jupyter's own API is not nbgrid's resource: the authorizer lets it through.
            code, _, _ = call(base, "GET", "/api/status")
            assert code == 200
