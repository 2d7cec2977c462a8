"""The Kernel Gateway API nbgrid starts: jupyter-websocket, with kernel websockets that never wait.

Tornado leaves Nagle's algorithm on for a websocket unless the handler calls ``set_nodelay(True)``
(neither jupyter_server nor the Kernel Gateway does). A kernel answers an execute request with a
burst of small messages (status busy, execute_input, stream, execute_reply, status idle); with
Nagle on, each small write after the first waits for the client's ACK, which the client delays up
to 40 ms (Linux's delayed ACK). So every cell a worker runs took at least ~45 ms through the
gateway, against ~5 ms over ZMQ. The handlers here set TCP_NODELAY when a websocket opens;
everything else is the ``kernel_gateway.jupyter_websocket`` personality, configured as before
(``--JupyterWebsocketPersonality.list_kernels`` still applies).

Start a gateway with it::

    jupyter kernelgateway --KernelGatewayApp.api=nbgrid.gateway.personality ...
"""
from kernel_gateway.jupyter_websocket import JupyterWebsocketPersonality
from tornado.websocket import WebSocketHandler


class NoDelayWebSocket:
    """Mixin for a tornado ``WebSocketHandler``: TCP_NODELAY on, before the handler's own ``open``."""

    def open(self, *args, **kwargs):
        self.set_nodelay(True)
        return super().open(*args, **kwargs)


def without_nagle(handler_class):
    """``handler_class`` with :class:`NoDelayWebSocket` in front (same name), or itself when it is no websocket.

    Example::

        >>> from tornado.web import RequestHandler
        >>> without_nagle(RequestHandler) is RequestHandler
        True
        >>> issubclass(without_nagle(WebSocketHandler), NoDelayWebSocket)
        True
    """
    if not (isinstance(handler_class, type) and issubclass(handler_class, WebSocketHandler)):
        return handler_class
    if issubclass(handler_class, NoDelayWebSocket):
        return handler_class
    return type(handler_class.__name__, (NoDelayWebSocket, handler_class), {'__module__': __name__})


class NbgridWebsocketPersonality(JupyterWebsocketPersonality):
    """The jupyter-websocket personality; its websocket routes use :func:`without_nagle` handlers."""

    def create_request_handlers(self):
        return [(spec[0], without_nagle(spec[1]), *spec[2:]) for spec in super().create_request_handlers()]


def create_personality(*args, **kwargs):
    """What the Kernel Gateway calls to load an ``api`` module."""
    return NbgridWebsocketPersonality(*args, **kwargs)
