"""The kernel tasks run on: ipykernel as installed, minus what only a person at the kernel uses.

The Kernel Gateway that nbgrid starts names this module in its ``python3`` kernelspec::

    python -m nbgrid.kernels.batch -f {connection_file}

A task runs one notebook with nobody attached, so the kernel starts

- without debugger support: ipykernel imports debugpy at start-up to offer the JupyterLab
  debugger, about a quarter of a fresh kernel's CPU; the kernel answers ``kernel_info`` with
  ``debugger: false``. A notebook can still ``import debugpy`` itself;
- without the history database: ``In``, ``Out`` and ``%history`` of the run work from memory, and
  nothing is written to the user's ``~/.ipython/.../history.sqlite`` (nbclient, so papermill,
  keeps it in an in-memory SQLite database instead; here there is none at all);
- without importing all of jupyter_client: ipykernel needs its session and connection modules,
  but ``import jupyter_client`` also loads the kernel clients, managers and provisioners (with an
  entry-point scan), ~0.03 CPU s, a tenth of a fresh kernel's CPU. The package's ``__init__`` runs when a notebook
  first uses a name from it (:func:`defer_package_init`), so ``jupyter_client`` works as usual.

- without the interpreter's teardown at exit: once the kernel has shut down, the process does
  what Python's exit does for a program (waits for non-daemon threads, runs every ``atexit``
  handler, the notebook's and then ipykernel's close of its sockets, flushes stdio) and then
  ends (:func:`exit_without_teardown`), skipping the module-by-module garbage collection of
  everything the notebook imported (~0.1 CPU s after numpy, pandas and matplotlib).

Everything else is ipykernel's own: the kernel and shell classes, the protocol, the start-up of
``ipykernel_launcher``, which this module follows. In the fork launch mode the fork server forks
this same kernel (:mod:`nbgrid.kernels.forkserver`).

Example::

    >>> '--HistoryManager.enabled=False' in kernel_argv(['-f', 'kernel.json'])
    True
"""
import atexit
import importlib
import importlib.util
import os
import sys
import threading
from pathlib import Path

MODULE = 'nbgrid.kernels.batch'
BATCH_ARGS = ('--HistoryManager.enabled=False',)
CONTROL_JOIN_SECONDS = 10
# Packages whose __init__ the kernel's start-up skips: name -> {attribute: submodule that defines it}
# for the attributes ipykernel takes from the package itself while it starts (ipykernel.connect).
DEFERRED_PACKAGES = {
    'jupyter_client': {
        'write_connection_file': 'jupyter_client.connect',
        'find_connection_file': 'jupyter_client.connect',
        # the default of ConnectionFileMixin.blocking_class, which IPKernelApp resolves when it starts
        'BlockingKernelClient': 'jupyter_client.blocking',
    }
}


def kernel_argv(args):
    """``IPKernelApp``'s argv: the kernelspec's arguments, then the batch settings."""
    return list(args) + list(BATCH_ARGS)


def import_without_debugger():
    """Imports ``ipykernel.debugger`` while debugpy cannot be imported, then lets it be imported again.

    ipykernel decides once, in that module, whether it has a debugger; a kernel started after this
    has none. Returns True when this call made that decision (False: it was imported already).

    Example (before ``IPKernelApp`` starts)::

        import_without_debugger()
    """
    if 'ipykernel.debugger' in sys.modules:
        return False
    previous = sys.modules.get('debugpy')
    sys.modules['debugpy'] = None  # `import debugpy` raises ImportError while this is set
    try:
        import ipykernel.debugger  # noqa: F401
    finally:
        if previous is None:
            del sys.modules['debugpy']
        else:
            sys.modules['debugpy'] = previous
    return True


def defer_package_init(name, known=None):
    """Puts package ``name`` in ``sys.modules`` without running its ``__init__`` yet.

    Its submodules import as usual. An attribute in ``known`` (``{attribute: submodule}``) comes
    from that submodule; any other attribute runs the package's ``__init__`` first, once, in the
    same module object, which is then the package as a plain ``import`` would have made it.
    Returns False when the package is imported already or is not a package.

    Example (before ipykernel is imported)::

        defer_package_init('jupyter_client', {'write_connection_file': 'jupyter_client.connect'})
    """
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None or spec.loader is None:
        return False
    module = importlib.util.module_from_spec(spec)
    known = dict(known or {})
    lock = threading.RLock()

    def ensure_init():
        with lock:
            if module.__dict__.get('__getattr__') is __getattr__:
                del module.__dict__['__getattr__']
                spec.loader.exec_module(module)

    def __getattr__(attribute):
        if attribute in known:
            return getattr(importlib.import_module(known[attribute]), attribute)
        ensure_init()
        return getattr(module, attribute)

    module.__getattr__ = __getattr__
    sys.modules[name] = module
    sys.meta_path.insert(0, _InitBeforeSubmodule(name, ensure_init, lambda: '__getattr__' not in module.__dict__))
    return True


def arm_deferred_packages():
    """From now on (the kernel has started), an import of a deferred package's submodule from
    outside it runs the package's ``__init__`` first. Before, the kernel's own start-up imports the
    submodules it needs without it."""
    # Found by a marker, not a class: a fork server's child may hold this module imported anew.
    for finder in sys.meta_path:
        if getattr(finder, 'nbgrid_deferred_package', False):
            finder.armed = True


def _initializing(module):
    return getattr(getattr(module, '__spec__', None), '_initializing', False)


class _ExistingModule:
    """A loader that hands out a module already in ``sys.modules`` instead of running it again."""

    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        pass


class _InitBeforeSubmodule:
    """Meta path finder of a deferred package: a submodule import that starts outside the package
    (a notebook's ``import papermill`` reaching ``jupyter_client.manager``) first runs the package's
    ``__init__``, as a plain import would have. Without it the ``__init__`` ran in the middle of that
    submodule's own import (at its first ``from jupyter_client import X``) and met it half-made: an
    ImportError. Imports from inside the package, and ``known`` submodules, are left as they are.
    """

    def __init__(self, name, ensure_init, done):
        self.prefix = name + '.'
        self.ensure_init = ensure_init
        self.done = done
        self.running = False
        self.armed = False
        self.nbgrid_deferred_package = True

    def find_spec(self, fullname, path=None, target=None):
        if not self.armed or self.running or self.done() or not fullname.startswith(self.prefix):
            return None
        # Inside an import of the package's own modules: the package's imports stay as they are.
        if any(_initializing(m) for n, m in list(sys.modules.items()) if n.startswith(self.prefix)):
            return None
        self.running = True
        try:
            self.ensure_init()
        finally:
            self.running = False
        module = sys.modules.get(fullname)
        if module is None:
            return None  # not imported by the __init__: found and loaded as usual
        return importlib.util.spec_from_loader(fullname, _ExistingModule(module), origin=getattr(module.__spec__, 'origin', None),
                                               is_package=hasattr(module, '__path__'))


def prepare_imports():
    """What the batch kernel settles before ipykernel is imported: no debugger, deferred packages.

    Example (in a process about to start or preload the batch kernel)::

        prepare_imports()
    """
    for name, known in DEFERRED_PACKAGES.items():
        defer_package_init(name, known)
    import_without_debugger()


def forget_nbgrid_modules():
    """Drops ``nbgrid`` and its submodules from ``sys.modules``: a notebook that imports nbgrid gets it fresh."""
    for name in [m for m in sys.modules if m == 'nbgrid' or m.startswith('nbgrid.')]:
        del sys.modules[name]


def launch(args, **kwargs):
    """Runs the batch kernel with the kernelspec's ``args`` (``-f CONNECTION_FILE`` …) until it shuts down."""
    prepare_imports()
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance(**kwargs)  # what IPKernelApp.launch_instance does, then one more step
    app.initialize(kernel_argv(args))
    arm_deferred_packages()
    app.start()
    finish_control_thread(app)
    exit_without_teardown(0)


# What Python's exit returns when flushing stdout fails (Py_FinalizeEx).
FLUSH_FAILED_EXIT_CODE = 120


def exit_without_teardown(code=0):
    """Ends the process as Python's exit would, minus the teardown of its modules and objects.

    Python's exit (``Py_FinalizeEx``) first waits for non-daemon threads (and tells
    ``concurrent.futures`` workers to stop), then runs the ``atexit`` handlers (last registered
    first: the notebook's, then IPython's and ipykernel's, whose close sends what IOPub still
    holds and terminates the zmq context within the sockets' linger), flushes stdout and stderr;
    only then does it clear every module and collect what they held: for a kernel that imported
    pandas and matplotlib that is ~0.1 CPU s spent on memory the OS frees anyway. This does the
    first three, then ``os._exit(code)``; a failed stdio flush gives 120, as Python's exit would.

    Example (the last thing the kernel process does)::

        exit_without_teardown(0)
    """
    shutdown_threads = getattr(threading, '_shutdown', None)  # what Python's exit calls first
    if shutdown_threads is not None:
        shutdown_threads()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # noqa: BLE001 - as Python's exit: a failed flush is an exit status, not a traceback
            if code == 0:
                code = FLUSH_FAILED_EXIT_CODE
    os._exit(code)


def finish_control_thread(app, timeout=CONTROL_JOIN_SECONDS):
    """Lets the control thread finish while the IOPub thread still runs.

    After answering ``shutdown_request`` the control thread flushes stdout and stderr through the
    IOPub thread and waits for it. ipykernel closes its threads at interpreter exit (atexit), where
    the IOPub thread is stopped before the control thread is joined: the flush then waits out its
    timeout (10 s) and the kernel manager SIGTERMs the kernel after 2.5 s, before the notebook's own
    atexit handlers ran. Joined here, after the main loop stopped, the flush completes.
    """
    control = getattr(app, 'control_thread', None)
    if control is not None and control.is_alive():
        control.stop()  # already asked by shutdown_request; not when the loop stopped otherwise
        control.join(timeout)


if __name__ == '__main__':
    # As ipykernel_launcher: `python -m` put the working directory first on sys.path; imports of the
    # kernel stack must not come from there (the shell puts it back for the notebook).
    if sys.path[0] == '' or Path(sys.path[0]) == Path.cwd():
        del sys.path[0]
    forget_nbgrid_modules()  # this function and `launch` keep working: they hold their globals
    launch(sys.argv[1:])
