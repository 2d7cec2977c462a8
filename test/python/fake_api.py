"""A tiny stdlib HTTP server that answers canned JSON, for the client's unit tests only.

It stands in for nothing real: the integration tests (test_integration.py, test_kernel_session.py)
run against the real API service. Here it lets a test choose an HTTP status and see the request.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CannedApi:
    """Serves ``routes[(method, path)] = (status, json_body)`` on 127.0.0.1 and an ephemeral port."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                api.requests.append({'method': self.command, 'path': self.path,
                                     'headers': dict(self.headers),
                                     'body': json.loads(body) if body else None})
                path = self.path.split('?')[0]
                status, payload = api.routes.get((self.command, path), (404, {
                    'statusCode': 404, 'error': 'Not Found', 'message': f'no route {path}'}))
                data = b'' if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}'
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
