"""The Kernel Gateway personality nbgrid starts (``nbgrid.gateway.personality``).

Its one change to the standard jupyter-websocket API: kernel websockets set TCP_NODELAY when they
open. Checked here on a real tornado websocket (the socket option itself, read from the server
side) and on the personality's route table (the kernel channels route gets the handler).
"""
import asyncio
import socket

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler
from tornado.websocket import WebSocketHandler, websocket_connect
from traitlets.config.configurable import Configurable

from nbgrid.gateway.personality import NbgridWebsocketPersonality, NoDelayWebSocket, create_personality, without_nagle


class Probe(WebSocketHandler):
    """Answers any message with TCP_NODELAY as its socket has it."""

    def on_message(self, message):
        sock = self.ws_connection.stream.socket
        self.write_message(str(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))


async def _nodelay_seen_by(handler_class):
    sockets = bind_sockets(0, '127.0.0.1')
    server = HTTPServer(Application([('/ws', handler_class)]))
    server.add_sockets(sockets)
    try:
        ws = await websocket_connect('ws://127.0.0.1:%d/ws' % sockets[0].getsockname()[1])
        await ws.write_message('?')
        answer = await ws.read_message()
        ws.close()
        return int(answer)
    finally:
        server.stop()


def test_a_websocket_opened_by_the_wrapped_handler_has_tcp_nodelay():
    assert asyncio.run(_nodelay_seen_by(without_nagle(Probe))) != 0
    # tornado's own default, which the wrapper changes
    assert asyncio.run(_nodelay_seen_by(Probe)) == 0


def test_only_websocket_handlers_are_wrapped_and_keep_their_name():
    wrapped = without_nagle(Probe)
    assert wrapped.__name__ == 'Probe' and issubclass(wrapped, Probe) and issubclass(wrapped, NoDelayWebSocket)
    assert without_nagle(wrapped) is wrapped
    assert without_nagle(RequestHandler) is RequestHandler


class _Gateway(Configurable):
    base_url = '/'


def test_the_personality_serves_the_kernel_channels_without_nagle_and_every_other_route_unchanged():
    from kernel_gateway.jupyter_websocket import create_personality as standard

    async def routes():  # a personality is made in the gateway's running event loop
        parent = _Gateway()
        ours = create_personality(parent=parent)
        assert isinstance(ours, NbgridWebsocketPersonality)
        return ours.create_request_handlers(), standard(parent=parent).create_request_handlers()

    mine, theirs = asyncio.run(routes())
    assert [h[0] for h in mine] == [h[0] for h in theirs]
    channels = [h for h in mine if h[0].endswith('/channels')]
    assert channels and all(issubclass(h[1], NoDelayWebSocket) for h in channels)
    for (_, cls, *rest), (_, original, *original_rest) in zip(mine, theirs):
        assert rest == original_rest
        assert issubclass(cls, original)
        if not issubclass(original, WebSocketHandler):
            assert cls is original
