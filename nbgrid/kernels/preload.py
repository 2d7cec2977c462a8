"""What the fork server imports before it forks kernels, and the checks that keep forking safe.

The list is what a fresh batch kernel (:mod:`nbgrid.kernels.batch`; ipykernel 7.x, IPython 9) has
in ``sys.modules`` after it started and ran a cell, reduced to the modules that pull the rest in:
importing them costs ~0.3 CPU s once, instead of in every kernel. Importing is all the template
does: it creates no zmq context, no thread and no event loop, which :func:`check_fork_safe`
verifies before every fork (a thread or an event loop would be copied into every kernel
half-alive; a zmq context would share its sockets).

Example::

    >>> 'ipykernel.kernelapp' in KERNEL_MODULES
    True
"""
import asyncio
import importlib
import sys
import threading
import time

# Roots of the modules a started batch kernel has loaded (ipykernel.debugger, imported without
# debugpy as the batch kernel does, comes first). numpy and other libraries a notebook may import
# are deliberately absent: their import-time state (a random generator seeded once, a thread pool)
# would be shared by every kernel, and a fresh kernel does not load them either.
KERNEL_MODULES = (
    'ipykernel.kernelapp',
    'ipykernel.ipkernel',
    'ipykernel.zmqshell',
    'IPython.core.completerlib',
    'IPython.core.debugger',
    'IPython.core.logger',
    'IPython.core.oinspect',
    'IPython.extensions.storemagic',
    'IPython.utils.wildcard',
    'tornado.queues',
    'tornado.platform.asyncio',
    'sqlite3',
    'psutil',
    'faulthandler',
    'runpy',
)


class ForkSafetyError(RuntimeError):
    """The template process holds something a forked kernel must not inherit."""


def preload(modules=KERNEL_MODULES):
    """Imports ``modules``; returns the CPU seconds it took. Raises if the template became unsafe.

    Example (in the fork server, before it serves; not in a process that ran an event loop)::

        cpu_seconds = preload()
    """
    from nbgrid.kernels.batch import prepare_imports

    started = time.process_time()
    prepare_imports()
    for name in modules:
        importlib.import_module(name)
    check_fork_safe()
    return time.process_time() - started


def check_fork_safe():
    """Raises :class:`ForkSafetyError` when this process runs a thread, an event loop or a zmq context.

    Example::

        check_fork_safe()   # before every os.fork() of the server
    """
    if threading.active_count() != 1:
        raise ForkSafetyError('the fork server runs threads: %s' % [t.name for t in threading.enumerate()])
    policy = asyncio.events._event_loop_policy
    if asyncio.events._get_running_loop() is not None or getattr(getattr(policy, '_local', None), '_loop', None):
        raise ForkSafetyError('the fork server has an asyncio event loop')
    zmq = sys.modules.get('zmq')
    if zmq is not None and getattr(zmq.Context, '_instance', None) is not None:
        raise ForkSafetyError('the fork server created a zmq context')
