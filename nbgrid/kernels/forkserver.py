"""The kernel fork server: imports the ipykernel stack once, then forks one new process per kernel.

    python -m nbgrid.kernels.forkserver --socket PATH [--kernelspec-dir DIR]

It listens on a Unix socket (mode 0600; the socket file appears only once the server accepts
connections, so its existence means "ready") for launchers (:mod:`nbgrid.kernels.launcher`). For
each launch request it forks a child that becomes the kernel (:mod:`nbgrid.kernels.child`) and

- answers ``pid <n>``, then ``exit <code>`` or ``killed <signal>`` when it reaped the kernel;
- delivers the launcher's forwarded signals to the kernel's process group, only while the kernel
  is not reaped (so a pid the system gave to another process is never signalled);
- SIGKILLs the kernel's process group when the launcher's connection closes before the kernel
  exited (a launcher killed with SIGKILL leaves no orphan kernel);
- answers ``fallback <reason>`` when the request is not a kernel this template can become
  (another interpreter, interpreter options, other start-up environment variables): the
  launcher then execs a fresh kernel itself.

The server is one thread with one ``selectors`` loop; SIGCHLD, SIGTERM and SIGINT wake it
through ``signal.set_wakeup_fd``. SIGTERM or SIGINT stops it: kernels still running get SIGTERM,
then SIGKILL after two seconds, their launchers get the exit status, and the socket is removed.

With ``--kernelspec-dir DIR`` it first writes ``DIR/kernels/python3``, the kernelspec that runs
the launcher: put DIR first on the gateway's ``JUPYTER_PATH``.

With ``--preload numpy,pandas`` it also imports those modules (after the kernel stack), refusing
one that leaves a thread or an open descriptor behind (:func:`nbgrid.kernels.preload.preload_modules`):
it then writes the reason to ``--refusal-file`` and exits with status 3 without listening. Every
forked child reseeds the random generators found at module level (:func:`nbgrid.kernels.preload.reseed`).

Example::

    server = ForkServer('/run/gw/kernel-fork/fork.sock')
    server.listen()
    launch = server.serve_forever()      # returns only in a forked child, or None when stopped
"""
import argparse
import gc
import os
import selectors
import signal
import socket
import sys
import time

from nbgrid.kernels.batch import MODULE as KERNEL_MODULE
from nbgrid.kernels.child import run_kernel
from nbgrid.kernels.kernelspec import write_fork_kernelspec
from nbgrid.kernels.launcher import PROTOCOL, encode_frame, split_frames
from nbgrid.kernels.preload import PreloadRefused, find_random_states, preload, preload_modules

# Environment variables read while CPython starts (sys.path, hash seed, I/O encoding, locale
# coercion, UTF-8 mode, warnings...) or while the kernel stack is imported (debugpy/pydevd, psutil,
# tornado, IPython and traitlets read some into module constants): a kernel whose values differ
# from the server's cannot be a fork of it and is started fresh instead.
IMPORT_TIME_PREFIXES = ('PYTHON', 'PYDEVD_', 'DEBUGPY_', 'PSUTIL_', 'TORNADO_', 'IPYTHON', 'TRAITLETS_')
IMPORT_TIME_VARIABLES = ('LANG', 'LC_ALL', 'LC_CTYPE', 'PROGRAMDATA')
STOP_GRACE_SECONDS = 2.0


def startup_environment(env):
    """The part of ``env`` that shapes an interpreter at start-up or the kernel stack at import.

    Example::

        >>> startup_environment({'PYTHONPATH': '/x', 'HOME': '/root', 'LANG': 'C.UTF-8'})
        {'LANG': 'C.UTF-8', 'PYTHONPATH': '/x'}
    """
    return {k: v for k, v in sorted(env.items()) if k.startswith(IMPORT_TIME_PREFIXES) or k in IMPORT_TIME_VARIABLES}


class KernelRequest:
    """A launcher's launch frame: the command, environment, working directory and signal state.

    Example::

        >>> from nbgrid.kernels.launcher import launch_request
        >>> r = KernelRequest.from_frame(launch_request([sys.executable, '-m', KERNEL_MODULE, '-f', 'k.json'],
        ...                                             {'A': '1'}, '/tmp', [1], [], [0, 1, 2], 0o22))
        >>> r.kernel_args, r.env, r.ignored_signals, oct(r.umask)
        (['-f', 'k.json'], {'A': '1'}, [1], '0o22')
    """

    def __init__(self, command, env, cwd, ignored_signals, blocked_signals, stdio, umask=0o022):
        self.command = command
        self.env = env
        self.cwd = cwd
        self.ignored_signals = ignored_signals
        self.blocked_signals = blocked_signals
        self.stdio = stdio
        self.umask = umask

    @classmethod
    def from_frame(cls, fields):
        """Parses a ``launch`` frame; raises ValueError when it is not one."""
        if len(fields) < 8 or fields[0] != 'launch' or fields[1] != PROTOCOL:
            raise ValueError('not a %s launch request' % PROTOCOL)
        argc = int(fields[7])
        command = fields[8:8 + argc]
        env = dict(entry.split('=', 1) for entry in fields[8 + argc:] if '=' in entry)
        return cls(command, env, fields[2], _numbers(fields[3]), _numbers(fields[4]), _numbers(fields[5]), int(fields[6]))

    @property
    def kernel_args(self):
        """The arguments after ``python -m nbgrid.kernels.batch``."""
        return self.command[3:]

    def refusal(self, server_env):
        """Why this server cannot fork this kernel (None when it can).

        Example::

            >>> KernelRequest(['/usr/bin/python2', '-m', 'ipykernel_launcher'], {}, '/', [], [], []).refusal({})
            'the kernel command is not this interpreter running nbgrid.kernels.batch: /usr/bin/python2 -m ipykernel_launcher'
        """
        if len(self.command) < 3 or self.command[0] != sys.executable or self.command[1:3] != ['-m', KERNEL_MODULE]:
            return 'the kernel command is not this interpreter running %s: %s' % (KERNEL_MODULE, ' '.join(self.command))
        mine, theirs = startup_environment(server_env), startup_environment(self.env)
        if mine != theirs:
            differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            return 'start-up environment variables differ from the fork server\'s: %s' % ', '.join(differ)
        return None


def _numbers(csv):
    return [int(n) for n in csv.split(',') if n]


class _Launcher:
    """One launcher's connection: its bytes and descriptors so far, its request, its kernel."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b''
        self.fds = []
        self.request = None
        self.pid = None

    def send(self, fields):
        try:
            self.sock.sendall(encode_frame(fields))
        except OSError:
            pass  # it went away; its EOF is handled by the loop

    def close_fds(self):
        for fd in self.fds:
            os.close(fd)
        self.fds = []


class ChildLaunch:
    """What a forked child returns from :meth:`ForkServer.serve_forever`: the kernel to become."""

    def __init__(self, request, stdio_fds, server_pid, import_env, random_states=()):
        self.request = request
        self.stdio_fds = stdio_fds
        self.server_pid = server_pid
        self.import_env = import_env
        self.random_states = random_states


class ForkServer:
    """Accepts launchers on ``socket_path`` and forks their kernels. See the module docstring.

    Example::

        server = ForkServer('/run/gw/kernel-fork/fork.sock')
        server.listen()
        launch = server.serve_forever()
    """

    def __init__(self, socket_path, startup_env=None, log=None, random_states=()):
        self.socket_path = socket_path
        self.log = log or (lambda line: print('nbgrid fork server: %s' % line, file=sys.stderr, flush=True))
        self.pid = os.getpid()
        # The environment the server was started with, and what importing the kernel stack added
        # to it (debugpy sets PYDEVD_USE_FRAME_EVAL): a fresh kernel's imports would add it too.
        self.env = dict(os.environ if startup_env is None else startup_env)
        self.import_env = {k: v for k, v in os.environ.items() if self.env.get(k) != v}
        self.listener = None
        self.selector = None
        self.wake_r = self.wake_w = None
        self.launchers = []
        self.kernels = {}  # pid -> _Launcher (closed or not), until reaped
        self.stopping = False
        self.forked = 0
        # Module-level random generators of the template, reseeded in every child.
        self.random_states = list(random_states)

    def listen(self):
        """Binds the socket (0600) under a temporary name, then renames it into place."""
        staging = '%s.%d.tmp' % (self.socket_path, self.pid)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_mask = os.umask(0o177)
        try:
            self.listener.bind(staging)
        finally:
            os.umask(old_mask)
        os.chmod(staging, 0o600)
        self.listener.listen(64)
        self.listener.setblocking(False)
        os.replace(staging, self.socket_path)

    def serve_forever(self):
        """Serves until SIGTERM/SIGINT (returns None) or, in a forked child, returns its ChildLaunch."""
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, 'listener')
        self.selector.register(self.wake_r, selectors.EVENT_READ, 'wake')
        try:
            while not self.stopping:
                for key, _ in self.selector.select():
                    if key.data == 'wake':
                        self._drain_wakeup()
                        self._reap()
                    elif key.data == 'listener':
                        self._accept()
                    else:
                        launch = self._on_readable(key.data)
                        if launch is not None:
                            return launch
        finally:
            if os.getpid() == self.pid:
                self._shutdown()
        return None

    def _request_stop(self, *_):
        self.stopping = True

    def _drain_wakeup(self):
        try:
            while os.read(self.wake_r, 512):
                pass
        except BlockingIOError:
            pass

    def _accept(self):
        try:
            sock, _ = self.listener.accept()
        except BlockingIOError:
            return
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        if int.from_bytes(creds[4:8], sys.byteorder) != os.getuid():
            sock.close()  # the socket is 0600 in a private directory; this is belt and braces
            return
        sock.setblocking(False)
        launcher = _Launcher(sock)
        self.launchers.append(launcher)
        self.selector.register(sock, selectors.EVENT_READ, launcher)

    def _on_readable(self, launcher):
        try:
            data, fds, flags, _ = socket.recv_fds(launcher.sock, 65536, 3)
        except BlockingIOError:
            return None
        except OSError:
            data, fds, flags = b'', [], 0
        launcher.fds.extend(fds)
        if not data and not fds:
            self._drop(launcher)
            return None
        if flags & socket.MSG_CTRUNC:
            launcher.send(['error', 'too many file descriptors'])
            self._drop(launcher)
            return None
        try:
            frames, launcher.buffer = split_frames(launcher.buffer + data)
        except ValueError as err:
            launcher.send(['error', str(err)])
            self._drop(launcher)
            return None
        for fields in frames:
            if launcher.request is None:
                launch = self._launch(launcher, fields)
                if launch is not None or launcher not in self.launchers:
                    return launch
            elif fields[0] == 'signal' and launcher.pid in self.kernels:
                try:
                    os.killpg(launcher.pid, int(fields[1]))
                except (ProcessLookupError, PermissionError, ValueError, IndexError):
                    pass
        return None

    def _launch(self, launcher, fields):
        try:
            request = KernelRequest.from_frame(fields)
        except (ValueError, IndexError) as err:
            launcher.send(['error', str(err)])
            self._drop(launcher)
            return None
        launcher.request = request
        reason = request.refusal(self.env)
        if reason is None and len(launcher.fds) != len(request.stdio):
            reason = 'expected %d standard stream descriptors, received %d' % (len(request.stdio), len(launcher.fds))
        if reason is not None:
            self.log('fallback to a fresh kernel: %s' % reason)
            launcher.send(['fallback', reason])
            self._drop(launcher)
            return None
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # template objects stay out of the children's collections: fewer copied pages
        try:
            pid = os.fork()
        except OSError as err:
            launcher.send(['error', 'fork failed: %s' % err])
            self._drop(launcher)
            return None
        if pid == 0:
            stdio_fds = launcher.fds
            launcher.fds = []
            self._close_in_child()
            return ChildLaunch(request, stdio_fds, self.pid, self.import_env, self.random_states)
        self.forked += 1
        launcher.pid = pid
        self.kernels[pid] = launcher
        launcher.close_fds()
        launcher.send(['pid', str(pid)])
        return None

    def _close_in_child(self):
        """In a new child: let go of every descriptor the server holds, through its owner."""
        signal.set_wakeup_fd(-1)
        self.selector.close()
        self.listener.close()
        os.close(self.wake_r)
        os.close(self.wake_w)
        for launcher in self.launchers:
            launcher.close_fds()
            launcher.sock.close()
        self.launchers = []
        self.kernels = {}

    def _drop(self, launcher):
        """The launcher is gone (or refused): forget it; SIGKILL its kernel if that still runs."""
        if launcher.pid in self.kernels:
            try:
                os.killpg(launcher.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        launcher.close_fds()
        if launcher in self.launchers:
            self.launchers.remove(launcher)
            self.selector.unregister(launcher.sock)
            launcher.sock.close()

    def _reap(self, block=False):
        while self.kernels:
            try:
                pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            launcher = self.kernels.pop(pid, None)
            if launcher is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            if launcher in self.launchers:
                launcher.send(['killed', str(-code)] if code < 0 else ['exit', str(code)])
                self._drop(launcher)

    def _shutdown(self):
        for pid in list(self.kernels):
            _killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while self.kernels and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.02)
        for pid in list(self.kernels):
            _killpg(pid, signal.SIGKILL)
        self._reap(block=True)
        for launcher in list(self.launchers):
            self._drop(launcher)
        self.selector.close()
        self.listener.close()
        signal.set_wakeup_fd(-1)
        os.close(self.wake_r)
        os.close(self.wake_w)
        try:
            os.unlink(self.socket_path)
        except FileNotFoundError:
            pass
        self.log('stopped after forking %d kernels' % self.forked)


def _killpg(pid, signum):
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def main(argv=None):
    """Runs the server; in a forked child, runs the kernel. Returns the process's exit code."""
    parser = argparse.ArgumentParser(prog='python -m nbgrid.kernels.forkserver', description=__doc__.split('\n\n')[0])
    parser.add_argument('--socket', required=True, help='path of the Unix socket to listen on (mode 0600)')
    parser.add_argument('--kernelspec-dir', help='write DIR/kernels/python3, the kernelspec that runs the launcher')
    parser.add_argument('--preload', default='', help='comma-separated modules to import after the kernel stack')
    parser.add_argument('--refusal-file', help='where to write why a --preload module was refused')
    args = parser.parse_args(argv)
    # Like ipykernel_launcher: `python -m` put the working directory first on sys.path; a kernel
    # must not import from the server's directory.
    if sys.path and (sys.path[0] == '' or os.path.abspath(sys.path[0]) == os.getcwd()):
        del sys.path[0]
    startup_env = dict(os.environ)
    cpu = preload()
    extra = [name.strip() for name in args.preload.split(',') if name.strip()]
    try:
        spent = preload_modules(extra)
    except PreloadRefused as err:
        print('nbgrid fork server: %s' % err, file=sys.stderr, flush=True)
        if args.refusal_file:
            with open(args.refusal_file, 'w') as f:
                f.write('%s\n' % err)
        return 3
    if args.kernelspec_dir:
        write_fork_kernelspec(args.kernelspec_dir, args.socket)
    server = ForkServer(args.socket, startup_env, random_states=find_random_states())
    server.listen()
    preloaded = ''.join(', %s in %.2f' % item for item in spent.items())
    server.log('ready on %s (pid %d, kernel stack imported in %.2f CPU s%s; %d random generators reseeded per kernel)'
               % (args.socket, server.pid, cpu, preloaded, len(server.random_states)))
    launch = server.serve_forever()
    if launch is None:
        return 0
    return run_kernel(launch.request, launch.stdio_fds, launch.server_pid, launch.import_env, launch.random_states)


if __name__ == '__main__':
    sys.exit(main())
