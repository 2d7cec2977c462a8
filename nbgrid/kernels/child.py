"""What a freshly forked child does to become the kernel its launcher asked for.

The child starts as a copy of the fork server: its modules, its signal handlers, its environment,
its working directory. Before ``IPKernelApp`` runs, it is made to look like a kernel exec'd by
jupyter_client from the launcher's state:

- its own session and process group (jupyter_client starts kernels with ``start_new_session``),
  so a signal to the group reaches the kernel and its subprocesses and nothing else;
- SIGKILL when the fork server dies (``PR_SET_PDEATHSIG``), so no kernel outlives it;
- the launcher's signal dispositions: what it ignored stays ignored, everything else is back to
  what a new Python process has (SIGINT raises KeyboardInterrupt, SIGPIPE and SIGXFSZ ignored,
  the rest default); the launcher's blocked-signal mask;
- the launcher's stdin, stdout and stderr (received as file descriptors) on 0, 1 and 2, and no
  other file descriptor: not the server's listening socket, not other launchers' connections;
- the launcher's environment (all of it, nothing of the server's, plus what importing the kernel
  stack set, as in a fresh kernel), working directory, umask and argv;
  ``time.tzset()`` and ``tempfile``'s cached directory follow the new environment;
- the server's own modules (``nbgrid.*``) dropped from ``sys.modules``, so a notebook that
  imports nbgrid gets it fresh;
- then it runs the batch kernel (:mod:`nbgrid.kernels.batch`) with the launcher's arguments, as
  ``python -m nbgrid.kernels.batch`` would.

Python reseeds ``random`` in a forked child by itself (``os.register_at_fork``); ``tempfile`` and
``uuid`` draw from the OS. Every other random generator the server's modules hold at module level
(numpy's legacy global ``RandomState`` of a preloaded numpy among them) is reseeded from the OS
here, before the kernel starts. What a fork cannot renew is listed in bench/README.md ("fork mode").

Example::

    run_kernel(request, stdio_fds, server_pid)   # in the child only; returns the exit code
"""
import os
import signal
import sys
import tempfile
import time

PR_SET_PDEATHSIG = 1
# What CPython sets at start-up, whatever it inherited (besides SIGINT, handled separately).
STARTUP_IGNORED = {signal.SIGPIPE, getattr(signal, 'SIGXFSZ', signal.SIGPIPE)}


def run_kernel(request, stdio_fds, server_pid, import_env=None, random_states=()):
    """Turns this forked child into the requested kernel and runs it; returns its exit code (0) only if
    the kernel returns: normally it ends the process itself (:func:`nbgrid.kernels.batch.exit_without_teardown`).

    ``request`` is a :class:`nbgrid.kernels.forkserver.KernelRequest`; ``stdio_fds`` the
    descriptors received for ``request.stdio``; ``import_env`` the variables importing the kernel
    stack set in the server (kept unless the request sets them); ``random_states`` the module-level
    random generators of the server (:func:`nbgrid.kernels.preload.find_random_states`), reseeded here.

    Example::

        sys.exit(run_kernel(request, [7, 8, 9], server_pid, {'PYDEVD_USE_FRAME_EVAL': 'NO'}))
    """
    os.setsid()
    _die_with_parent(server_pid)
    _reset_signals(request.ignored_signals, request.blocked_signals)
    _install_stdio(request.stdio, stdio_fds)
    os.chdir(request.cwd)
    os.umask(request.umask)
    os.environ.clear()
    os.environ.update(request.env)
    for key, value in (import_env or {}).items():
        os.environ.setdefault(key, value)
    time.tzset()
    tempfile.tempdir = None
    from nbgrid.kernels import batch
    from nbgrid.kernels.preload import reseed

    reseed(random_states)
    _matplotlib_backend_from_env()

    batch.forget_nbgrid_modules()
    sys.argv = [batch.__file__] + list(request.kernel_args)
    if hasattr(sys, 'orig_argv'):
        sys.orig_argv = list(request.command)
    # IPKernelApp reads JPY_PARENT_PID when its class is defined, which was in the server's
    # environment: give it the one a fresh kernel would have read.
    batch.launch(request.kernel_args, parent_handle=int(request.env.get('JPY_PARENT_PID') or 0))
    return 0


# What ipykernel puts in MPLBACKEND while it starts when the environment has none (kernelapp.py).
INLINE_BACKEND = 'module://matplotlib_inline.backend_inline'


def _matplotlib_backend_from_env():
    """A preloaded matplotlib read MPLBACKEND in the server: read it again, as a fresh import in the kernel would.

    ipykernel sets MPLBACKEND to the inline backend (unless set) before any notebook code runs, so
    a fresh kernel's ``import matplotlib`` picks that up; the server imported it without.
    """
    matplotlib = sys.modules.get('matplotlib')
    if matplotlib is not None and hasattr(matplotlib, 'rcParams'):
        matplotlib.rcParams['backend'] = os.environ.get('MPLBACKEND') or INLINE_BACKEND


def _die_with_parent(server_pid):
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the kernel's parent poller still notices the server's death
    if os.getppid() != server_pid:
        os._exit(1)  # the server died between fork and prctl


def _reset_signals(ignored, blocked):
    signal.set_wakeup_fd(-1)
    for signum in signal.valid_signals():
        if signum in (signal.SIGKILL, signal.SIGSTOP):
            continue
        if signum in ignored or signum in STARTUP_IGNORED:
            wanted = signal.SIG_IGN
        elif signum == signal.SIGINT:
            wanted = signal.default_int_handler
        else:
            wanted = signal.SIG_DFL
        try:
            if signal.getsignal(signum) != wanted:
                signal.signal(signum, wanted)
        except (OSError, ValueError):
            pass  # signals Python cannot set (e.g. the real-time ones glibc reserves)
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _install_stdio(targets, fds):
    for target in (0, 1, 2):
        if target in targets:
            os.dup2(fds[targets.index(target)], target)
        else:
            os.close(target)  # closed in the launcher: closed in the kernel
    # Everything above 2 is the server's or a received copy: none of it belongs to the kernel.
    os.closerange(3, os.sysconf('SC_OPEN_MAX'))

