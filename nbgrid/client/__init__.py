"""The kernel-side nbgrid client (standard library only).

Example::

    >>> from nbgrid.client import om
    >>> job = om.runtime.job('main')          # doctest: +SKIP
    >>> job.map(range(10))                    # doctest: +SKIP
    >>> job.wait(); job.results()             # doctest: +SKIP
"""
from .errors import (
    NbgridAuthError,
    NbgridBadRequest,
    NbgridError,
    NbgridNotConfigured,
    NbgridNotFound,
    NbgridTimeout,
    NbgridUnavailable,
)
from .jobs import JobMetadata, Jobs
from .entry import Om
from .runtime import Job, Runtime, TaskGroup
from .table import StatusTable

#: The default client, configured from the environment on first use.
om = Om()

__all__ = [
    'om', 'Om', 'Job', 'Jobs', 'JobMetadata', 'Runtime', 'TaskGroup', 'StatusTable',
    'NbgridError', 'NbgridUnavailable', 'NbgridNotConfigured', 'NbgridAuthError',
    'NbgridNotFound', 'NbgridBadRequest', 'NbgridTimeout',
]
