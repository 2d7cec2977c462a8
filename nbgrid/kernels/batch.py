"""The kernel tasks run on: ipykernel as installed, minus what only a person at the kernel uses.

The Kernel Gateway that nbgrid starts names this module in its ``python3`` kernelspec::

    python -m nbgrid.kernels.batch -f {connection_file}

A task runs one notebook with nobody attached, so the kernel starts

- without debugger support: ipykernel imports debugpy at start-up to offer the JupyterLab
  debugger, about a quarter of a fresh kernel's CPU; the kernel answers ``kernel_info`` with
  ``debugger: false``. A notebook can still ``import debugpy`` itself;
- without the history database: ``In``, ``Out`` and ``%history`` of the run work from memory, and
  nothing is written to the user's ``~/.ipython/.../history.sqlite`` (nbclient, so papermill,
  keeps it in an in-memory SQLite database instead; here there is none at all).

Everything else is ipykernel's own: the kernel and shell classes, the protocol, the start-up of
``ipykernel_launcher``, which this module follows. In the fork launch mode the fork server forks
this same kernel (:mod:`nbgrid.kernels.forkserver`).

Example::

    >>> '--HistoryManager.enabled=False' in kernel_argv(['-f', 'kernel.json'])
    True
"""
import sys
from pathlib import Path

MODULE = 'nbgrid.kernels.batch'
BATCH_ARGS = ('--HistoryManager.enabled=False',)
CONTROL_JOIN_SECONDS = 10


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


def forget_nbgrid_modules():
    """Drops ``nbgrid`` and its submodules from ``sys.modules``: a notebook that imports nbgrid gets it fresh."""
    for name in [m for m in sys.modules if m == 'nbgrid' or m.startswith('nbgrid.')]:
        del sys.modules[name]


def launch(args, **kwargs):
    """Runs the batch kernel with the kernelspec's ``args`` (``-f CONNECTION_FILE`` …) until it shuts down."""
    import_without_debugger()
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance(**kwargs)  # what IPKernelApp.launch_instance does, then one more step
    app.initialize(kernel_argv(args))
    app.start()
    finish_control_thread(app)


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
