"""The process a fork-mode kernelspec starts: it stands in for the kernel the fork server forks.

The Kernel Gateway (through jupyter_client) starts this script as "the kernel process"::

    python -I -S launcher.py --socket /run/gw/kernel-fork/fork.sock -- python -m ipykernel_launcher -f {connection_file}

and treats it as the kernel: it polls it, signals its process group to interrupt (SIGINT),
terminate (SIGTERM) or kill (SIGKILL) the kernel, and reads its exit status. So the launcher

- sends the command after ``--``, its environment, working directory, umask, ignored and blocked
  signals and its standard streams (the file descriptors themselves, as SCM_RIGHTS) to the fork server,
  which forks a kernel with exactly those;
- forwards SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 and SIGUSR2 to the kernel's process group
  through the server (which never signals a pid it has reaped, so a recycled pid is never hit);
- exits with the kernel's exit code, or dies of the kernel's signal, once the server reports it;
- if it is killed, the server notices the closed connection and SIGKILLs the kernel's process
  group; if its parent (the gateway) dies, it exits and so takes the kernel with it, as a spawned
  ipykernel's parent poller would.

When the server cannot fork this command (another interpreter, interpreter options, different
start-up environment variables) or cannot be reached, the launcher ``exec``\\ s the command
itself: a fresh kernel, the same as without fork mode.

Start-up cost matters (it is paid per kernel), so this file imports only built-in modules
(``_socket``, ``_signal``, ``os``, ``sys``): about 10 ms of CPU with ``python -I -S``. It is also
the one definition of the wire format both sides speak: length-prefixed frames of NUL-separated
strings (POSIX argv, environment entries and paths cannot contain NUL).

Example::

    >>> frame = encode_frame(['signal', '2'])
    >>> split_frames(frame + b'\\0\\0')
    ([['signal', '2']], b'\\x00\\x00')
"""
import _signal
import _socket
import os
import sys

PROTOCOL = 'nbgrid-fork-1'
FORWARDED_SIGNALS = (_signal.SIGHUP, _signal.SIGINT, _signal.SIGQUIT, _signal.SIGTERM, _signal.SIGUSR1, _signal.SIGUSR2)
# jupyter_client runs a kernelspec argv[0] of 'python' with its own interpreter; so does the launcher.
PYTHON_NAMES = ('python', 'python%d' % sys.version_info[0], 'python%d.%d' % sys.version_info[:2])
PARENT_POLL_SECONDS = 1.0
MAX_FRAME = 16 * 1024 * 1024


def encode_frame(fields):
    """One frame: 4-byte big-endian length, then the fields joined by NUL, UTF-8 (surrogateescape).

    Example::

        >>> encode_frame(['pid', '42'])
        b'\\x00\\x00\\x00\\x06pid\\x0042'
    """
    body = '\0'.join(fields).encode('utf-8', 'surrogateescape')
    return len(body).to_bytes(4, 'big') + body


def split_frames(buffer):
    """The complete frames at the start of ``buffer`` (lists of strings), and the bytes left over.

    Example::

        >>> split_frames(encode_frame(['exit', '0'])[:5])
        ([], b'\\x00\\x00\\x00\\x06e')
    """
    frames = []
    while len(buffer) >= 4:
        size = int.from_bytes(buffer[:4], 'big')
        if size > MAX_FRAME:
            raise ValueError('frame of %d bytes is larger than %d' % (size, MAX_FRAME))
        if len(buffer) < 4 + size:
            break
        frames.append(buffer[4:4 + size].decode('utf-8', 'surrogateescape').split('\0'))
        buffer = buffer[4 + size:]
    return frames, buffer


def launch_request(command, env, cwd, ignored, blocked, stdio, umask):
    """The first frame a launcher sends: what the forked kernel must look like.

    ``stdio`` lists which of 0, 1, 2 were open (and are passed, in that order, as SCM_RIGHTS).

    Example::

        >>> launch_request(['python', '-m', 'ipykernel_launcher'], {'A': '1'}, '/tmp', [1], [], [0, 1, 2], 0o22)[:8]
        ['launch', 'nbgrid-fork-1', '/tmp', '1', '', '0,1,2', '18', '3']
    """
    return (['launch', PROTOCOL, cwd, _csv(ignored), _csv(blocked), _csv(stdio), str(umask), str(len(command))]
            + list(command) + ['%s=%s' % item for item in env.items()])


def _csv(numbers):
    return ','.join(str(int(n)) for n in sorted(numbers))


def resolve_command(command):
    """The command with a bare ``python`` replaced by this interpreter, as jupyter_client does.

    Example::

        >>> resolve_command(['python', '-m', 'x'])[1:]
        ['-m', 'x']
    """
    if command and command[0] in PYTHON_NAMES:
        return [sys.executable] + list(command[1:])
    return list(command)


class Launcher:
    """One launch: connect, hand over, forward signals, wait for the kernel's exit status.

    Example::

        Launcher('/run/gw/kernel-fork/fork.sock', ['python', '-m', 'ipykernel_launcher', '-f', 'k.json']).run()
    """

    def __init__(self, socket_path, command):
        self.socket_path = socket_path
        self.command = resolve_command(command)
        self.parent = os.getppid()
        self.sock = None
        self.request_sent = False
        self.pending = []
        self.kernel_pid = None

    def run(self):
        """Returns the kernel's exit code; execs the command itself when the server cannot fork it."""
        ignored = [n for n in range(1, _signal.NSIG) if _ignored(n)]
        blocked = _signal.pthread_sigmask(_signal.SIG_BLOCK, [])
        for signum in FORWARDED_SIGNALS:
            if signum not in ignored:
                _signal.signal(signum, self._forward)
        try:
            self.sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            self.sock.connect(self.socket_path)
            stdio = [fd for fd in (0, 1, 2) if _is_open(fd)]
            umask = os.umask(0)
            os.umask(umask)
            request = encode_frame(launch_request(self.command, dict(os.environ), os.getcwd(), ignored, blocked, stdio, umask))
            fds = b''.join(fd.to_bytes(4, sys.byteorder) for fd in stdio)
            sent = self.sock.sendmsg([request], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)] if fds else [])
            if sent < len(request):
                self.sock.sendall(request[sent:])
        except OSError as err:
            return self._exec_fresh('fork server at %s unreachable (%s)' % (self.socket_path, err))
        self.request_sent = True
        for signum in self.pending:
            self._send(['signal', str(signum)])
        return self._wait()

    def _wait(self):
        self.sock.settimeout(PARENT_POLL_SECONDS)
        buffer = b''
        while True:
            try:
                data = self.sock.recv(65536)
            except _socket.timeout:
                if os.getppid() != self.parent:
                    # The gateway died: leave, and the server kills the kernel (closed connection).
                    return 1
                continue
            if not data:
                sys.stderr.write('nbgrid kernel launcher: the fork server closed the connection before the kernel exited\n')
                return 1
            frames, buffer = split_frames(buffer + data)
            for frame in frames:
                kind, value = frame[0], frame[1] if len(frame) > 1 else ''
                if kind == 'pid':
                    self.kernel_pid = int(value)
                elif kind == 'exit':
                    return int(value)
                elif kind == 'killed':
                    _die_of(int(value))
                elif kind == 'fallback':
                    return self._exec_fresh(value)
                elif kind == 'error':
                    sys.stderr.write('nbgrid kernel launcher: the fork server refused the kernel: %s\n' % value)
                    return 1

    def _forward(self, signum, frame):
        if self.request_sent:
            self._send(['signal', str(signum)])
        else:
            self.pending.append(signum)

    def _send(self, fields):
        try:
            self.sock.sendall(encode_frame(fields))
        except OSError:
            pass  # the server is gone; _wait() reports it

    def _exec_fresh(self, reason):
        sys.stderr.write('nbgrid kernel launcher: %s; starting a fresh kernel process\n' % reason)
        sys.stderr.flush()
        if self.sock is not None:
            self.sock.close()
        for signum in FORWARDED_SIGNALS:
            if _signal.getsignal(signum) == self._forward:
                _signal.signal(signum, _signal.SIG_DFL)
        for signum in self.pending:
            os.kill(os.getpid(), signum)
        os.execvp(self.command[0], self.command)


def _ignored(signum):
    try:
        return _signal.getsignal(signum) == _signal.SIG_IGN
    except (OSError, ValueError):
        return False


def _is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _die_of(signum):
    """Ends this process by ``signum``, so the gateway sees the same status as the kernel's."""
    sys.stdout.flush()
    sys.stderr.flush()
    _signal.signal(signum, _signal.SIG_DFL)
    _signal.pthread_sigmask(_signal.SIG_UNBLOCK, [signum])
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)


def main(argv=None):
    """``launcher.py --socket PATH -- COMMAND...``; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 4 or argv[0] != '--socket' or argv[2] != '--':
        sys.stderr.write('usage: launcher.py --socket PATH -- COMMAND...\n')
        return 2
    return Launcher(argv[1], argv[3:]).run()


if __name__ == '__main__':
    sys.exit(main())
