"""What the fork server imports before it forks kernels, and the checks that keep forking safe.

The list is what a fresh batch kernel (:mod:`nbgrid.kernels.batch`; ipykernel 7.x, IPython 9) has
in ``sys.modules`` after it started and ran a cell, reduced to the modules that pull the rest in:
importing them costs ~0.3 CPU s once, instead of in every kernel. Importing is all the template
does: it creates no zmq context, no thread and no event loop, which :func:`check_fork_safe`
verifies before every fork (a thread or an event loop would be copied into every kernel
half-alive; a zmq context would share its sockets).

Modules an operator adds (``nbgrid up --preload numpy,pandas``) go through :func:`preload_modules`,
which refuses one that leaves a thread or an open descriptor behind; the random generators any
loaded module holds at module level (:func:`find_random_states`) are reseeded in every forked
child (:func:`reseed`). bench/README.md lists what a preloaded kernel shares.

Example::

    >>> 'ipykernel.kernelapp' in KERNEL_MODULES
    True
"""
import asyncio
import importlib
import os
import random
import sys
import threading
import time

# Roots of the modules a started batch kernel has loaded (ipykernel.debugger, imported without
# debugpy as the batch kernel does, comes first). numpy and other libraries a notebook may import
# are absent: their import-time state (a random generator seeded once, a thread pool) would be
# shared by every kernel, and a fresh kernel does not load them either. An operator may still
# preload them (`nbgrid up --preload`, :func:`preload_modules`), checked and reseeded per kernel.
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


# Libraries whose own native threads (started at import, invisible to ``threading``) are known to
# survive a fork: they register ``pthread_atfork`` handlers that stop their pool before the fork
# and start a new one in the child on first use. Keyed by the module whose import brings them in.
FORK_AWARE_NATIVE_THREADS = {
    'numpy': "OpenBLAS's thread pool (numpy's BLAS)",
    'scipy': "OpenBLAS's thread pool (scipy's BLAS)",
    'pyarrow': "jemalloc's background thread and Arrow's thread pools (pandas' Arrow backend)",
    'sklearn': "OpenMP's thread pool (scikit-learn's compiled estimators)",
}


class PreloadRefused(RuntimeError):
    """A module of ``--preload`` cannot be imported into the fork server safely."""


def _native_threads():
    try:
        return len(os.listdir('/proc/self/task'))
    except OSError:
        return threading.active_count()


def _open_descriptors():
    """The open descriptors of this process, without the one the listing itself takes."""
    try:
        listing = os.open('/proc/self/fd', os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return set()
    try:
        return set(os.listdir(listing)) - {str(listing)}
    finally:
        os.close(listing)


def preload_modules(names):
    """Imports the operator's ``names`` into the server, one by one, checking what each left behind.

    Refuses (:class:`PreloadRefused`, naming the module and why) a module that fails to import,
    leaves a Python thread running, starts native threads no library of
    :data:`FORK_AWARE_NATIVE_THREADS` accounts for, or leaves a file descriptor open (a file, a
    socket, a pipe): forked kernels would inherit half a thread or share one descriptor.
    Returns ``{name: CPU seconds}``.

    Example::

        preload_modules(['numpy', 'pandas'])
    """
    spent = {}
    for name in names:
        threads, natives, fds = set(threading.enumerate()), _native_threads(), _open_descriptors()
        before = set(sys.modules)
        started = time.process_time()
        try:
            importlib.import_module(name)
        except BaseException as err:  # an import may raise anything, SystemExit included
            raise PreloadRefused('cannot preload %s: importing it failed: %s: %s' % (name, type(err).__name__, err))
        spent[name] = time.process_time() - started
        new_threads = [t.name for t in threading.enumerate() if t not in threads and t.is_alive()]
        if new_threads:
            raise PreloadRefused('cannot preload %s: importing it left threads running in the fork server (%s); '
                                 'a forked kernel would get them half-copied' % (name, ', '.join(new_threads)))
        loaded = {m.split('.')[0] for m in set(sys.modules) - before}
        extra_natives = _native_threads() - natives
        if extra_natives > 0 and not loaded & set(FORK_AWARE_NATIVE_THREADS):
            raise PreloadRefused('cannot preload %s: importing it started %d native thread(s) in the fork server that no '
                                 'known fork-aware library accounts for' % (name, extra_natives))
        new_fds = sorted(_open_descriptors() - fds, key=int)
        if new_fds:
            raise PreloadRefused('cannot preload %s: importing it left file descriptors open in the fork server (%s); '
                                 'every forked kernel would share them' % (name, ', '.join(_describe_fd(fd) for fd in new_fds)))
    return spent  # the server runs check_fork_safe() before every fork, event loops and zmq included


def _describe_fd(fd):
    try:
        return '%s -> %s' % (fd, os.readlink('/proc/self/fd/%s' % fd))
    except OSError:
        return fd


def find_random_states(names=None):
    """Random generators that the modules ``names`` (and their submodules; None: every loaded module) hold at module level.

    A generator seeded at import would draw the same numbers in every forked kernel. Returns
    ``random.Random`` instances and numpy ``RandomState``/``Generator`` objects found as attributes
    of those modules (each once), for :func:`reseed` in every child.

    Example::

        states = find_random_states(['numpy'])   # numpy.random.mtrand._rand among them
    """
    np_random = sys.modules.get('numpy.random')
    kinds = (random.Random,)
    if np_random is not None:
        kinds += (np_random.RandomState, np_random.Generator)
    roots = None if names is None else tuple(names)
    found = {}
    for mod_name, module in list(sys.modules.items()):
        if module is None or (roots is not None and not (mod_name in roots or mod_name.startswith(tuple(r + '.' for r in roots)))):
            continue
        for value in list(getattr(module, '__dict__', {}).values()):
            if isinstance(value, kinds) and id(value) not in found:
                found[id(value)] = value
    return list(found.values())


def reseed(states):
    """Gives each generator of :func:`find_random_states` fresh OS entropy (in a forked child).

    ``random.Random`` and numpy's ``RandomState`` reseed from the OS with ``seed()``; a numpy
    ``Generator`` gets the state of a new bit generator of its kind, seeded from the OS.

    Example::

        reseed(find_random_states(['numpy']))
    """
    for state in states:
        if isinstance(state, random.Random):
            state.seed()
        elif hasattr(state, 'bit_generator'):
            bit_generator = state.bit_generator
            bit_generator.state = type(bit_generator)().state
        else:
            state.seed()
