"""Exceptions raised by the nbgrid client. Each message says what to do about it.

Example::

    from nbgrid.client.errors import NbgridError, NbgridNotFound
    try:
        om.runtime.job('no-such-notebook').status()
    except NbgridNotFound as exc:
        print(exc)          # the server's message, e.g. "notebook 'no-such-notebook' does not exist"
"""


class NbgridError(Exception):
    """Base class of every error the nbgrid client raises.

    ``status_code`` is the HTTP status when the error came from the API, else None. ``hint`` is the
    answer's ``{code, part, fix}`` when it gave one (503s do: ``code`` is e.g. ``mongo_unavailable``,
    ``part`` ``mongodb``), else None; programs branch on ``hint['code']``, not on the message text.
    """

    def __init__(self, message, status_code=None, hint=None):
        super().__init__(message)
        self.status_code = status_code
        self.hint = hint


class NbgridUnavailable(NbgridError):
    """The nbgrid service cannot be reached (not started, wrong URL) or answered 503."""


class NbgridNotConfigured(NbgridUnavailable):
    """No service URL was found in NBGRID_URL, NBGRID_HOME/stack.json, .nbgrid/stack.json upwards
    from the working directory or ~/.nbgrid/stack.json (see :mod:`nbgrid.client.config`)."""


class NbgridAuthError(NbgridError):
    """The token is missing or wrong (HTTP 401/403)."""


class NbgridNotFound(NbgridError):
    """The notebook, job or task group does not exist (HTTP 404); the message is the server's."""


class NbgridBadRequest(NbgridError, ValueError):
    """The API rejected the input (HTTP 4xx other than 401/403/404); the message says what to fix."""


class NbgridTimeout(NbgridError, TimeoutError):
    """``wait(timeout=...)`` ran out before every task finished; the tasks keep running."""
