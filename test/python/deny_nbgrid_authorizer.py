"""A Jupyter authorizer for the server extension's tests: nbgrid may be read, not written.

It denies every ``write`` on the resource ``nbgrid`` and, to show that the event stream and the
config are asked about too, ``read`` of those two; everything else is allowed.
"""
from jupyter_server.auth.authorizer import Authorizer


class DenyNbgridWrites(Authorizer):
    """Allows everything but writes to nbgrid and reads of its events and config."""

    def is_authorized(self, handler, user, action, resource):
        if resource != "nbgrid":
            return True
        path = handler.request.path
        if action == "read" and (path.endswith("/nbgrid/config") or "/nbgrid/api/events" in path):
            return False
        return action == "read"
