"""The kernel fork server and its launcher, driven by jupyter_client as the Kernel Gateway drives them.

One real fork server per test module (``python -m nbgrid.kernels.forkserver`` with a minimal
environment, as the gateway starts it); kernels are started through its kernelspec by
``jupyter_client.KernelManager``, so the launcher, SCM_RIGHTS, signal forwarding and exit
reporting are all the real ones.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from nbgrid.kernels.kernelspec import write_batch_kernelspec
from nbgrid.kernels.launcher import encode_frame, split_frames

# PYTHONPATH (a worktree run: `PYTHONPATH=$PWD scripts/run-pytest.sh`) goes to the server and its
# kernels alike, as the gateway passes it to both: the code under test is then this tree's.
PYTHON_PATH = {'PYTHONPATH': os.environ['PYTHONPATH']} if os.environ.get('PYTHONPATH') else {}
KERNEL_ENV = {'PATH': os.environ['PATH'], 'KERNEL_GATEWAY': '1', 'NBGRID_FORK_TEST': 'from-the-gateway', **PYTHON_PATH}


def _alive(pid):
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def _until(what, check, timeout=20):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(0.05)


class ForkServerProcess:
    def __init__(self, tmp: Path):
        self.dir = tmp
        self.socket = str(tmp / 'fork.sock')
        self.spec_dir = tmp / 'spec'
        self.log = open(tmp / 'server.log', 'w+')
        env = {'PATH': os.environ['PATH'], 'FORK_SERVER_ONLY': 'server', **PYTHON_PATH}
        self.proc = subprocess.Popen([sys.executable, '-m', 'nbgrid.kernels.forkserver', '--socket', self.socket,
                                      '--kernelspec-dir', str(self.spec_dir)],
                                     cwd=tmp, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        _until('the fork server socket', lambda: os.path.exists(self.socket) or self.proc.poll() is not None, 60)
        assert self.proc.poll() is None, self.output()

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.log.close()


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    s = ForkServerProcess(tmp_path_factory.mktemp('forkserver'))
    yield s
    s.stop()


class Kernel:
    """A kernel started through the fork kernelspec; ``run(code)`` returns (stdout, error name)."""

    def __init__(self, spec_dir, env=None):
        ksm = KernelSpecManager(kernel_dirs=[str(Path(spec_dir) / 'kernels')])
        self.km = KernelManager(kernel_name='python3', kernel_spec_manager=ksm)
        self.km.start_kernel(env=dict(KERNEL_ENV if env is None else env))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.launcher = self.km.provisioner.process

    def run(self, code, timeout=30):
        out, errors = [], []

        def hook(msg):
            if msg['msg_type'] == 'stream':
                out.append(msg['content']['text'])
            elif msg['msg_type'] == 'error':
                errors.append(msg['content']['ename'])

        self.kc.execute_interactive(code, output_hook=hook, timeout=timeout)
        return ''.join(out), (errors[0] if errors else None)

    def value(self, expr):
        out, error = self.run(f'print(repr({expr}))')
        assert error is None, error
        return eval(out)  # noqa: S307 - our own kernel's repr of plain values

    def close(self):
        self.kc.stop_channels()
        if self.km.has_kernel:
            self.km.shutdown_kernel(now=False)


@pytest.fixture
def kernel(server):
    k = Kernel(server.spec_dir)
    yield k
    k.close()


def test_a_kernel_is_a_new_child_of_the_fork_server_with_the_launchers_state(server, kernel):
    pid, ppid = kernel.value('(__import__("os").getpid(), __import__("os").getppid())')
    assert ppid == server.proc.pid
    assert pid not in (server.proc.pid, kernel.launcher.pid)
    env = kernel.value('dict(__import__("os").environ)')
    assert env['NBGRID_FORK_TEST'] == 'from-the-gateway'
    assert env['JPY_PARENT_PID'] == str(os.getpid())  # jupyter_client's, as for a fresh kernel
    assert 'FORK_SERVER_ONLY' not in env
    # its own session and process group, like jupyter_client's start_new_session
    assert kernel.value('(__import__("os").getsid(0), __import__("os").getpgrp())') == (pid, pid)
    assert kernel.value('__import__("os").getcwd()') == os.getcwd()
    assert kernel.value('[m for m in __import__("sys").modules if m.startswith("nbgrid")]') == []
    assert kernel.value('__import__("sys").argv[0]').endswith('nbgrid/kernels/batch.py')
    # the batch kernel: forked without debugger support or history database
    assert kernel.value('("debugpy" in __import__("sys").modules, get_ipython().history_manager.enabled)') == (False, False)


def test_a_kernel_has_the_environment_keys_and_sys_path_of_a_fresh_kernel(server, kernel, tmp_path):
    probe = ('(sorted(__import__("os").environ), __import__("sys").path, __import__("os").umask(0o22), '
             'sorted(m for m in __import__("sys").modules if m.split(".")[0] in ("debugpy", "nbgrid")))')
    forked = kernel.value(probe)
    # the same kernel spawned: python -m nbgrid.kernels.batch
    fresh = KernelManager(kernel_name='python3', kernel_spec_manager=KernelSpecManager(
        kernel_dirs=[str(Path(write_batch_kernelspec(str(tmp_path))).parent)]))
    fresh.start_kernel(env=dict(KERNEL_ENV))
    client = fresh.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        out = []
        client.execute_interactive(f'print(repr({probe}))', timeout=30,
                                   output_hook=lambda m: out.append(m['content'].get('text', '')))
        assert forked == eval(''.join(out))  # noqa: S307 - our own kernel's repr of plain values
    finally:
        client.stop_channels()
        fresh.shutdown_kernel(now=False)


def test_a_kernel_holds_no_descriptor_of_the_server(server, kernel):
    server_sockets = {os.readlink(f'/proc/{server.proc.pid}/fd/{fd}') for fd in os.listdir(f'/proc/{server.proc.pid}/fd')
                      if os.readlink(f'/proc/{server.proc.pid}/fd/{fd}').startswith(('socket:', 'pipe:'))}
    kernel_fds = kernel.value('[__import__("os").readlink(f"/proc/self/fd/{fd}") for fd in __import__("os").listdir("/proc/self/fd") '
                              'if __import__("os").path.exists(f"/proc/self/fd/{fd}")]')
    assert server_sockets and not (server_sockets & set(kernel_fds))
    # stderr is the launcher's (where the gateway expects kernel output), not the server's log
    launcher_stderr = os.readlink(f'/proc/{kernel.launcher.pid}/fd/2')
    assert launcher_stderr in kernel_fds
    assert str(server.dir / 'server.log') not in kernel_fds


def test_two_kernels_share_no_namespace_pid_or_random_state(server):
    a, b = Kernel(server.spec_dir), Kernel(server.spec_dir)
    try:
        a.run('left_by_a = 1')
        assert b.value('"left_by_a" in globals()') is False
        assert a.value('__import__("os").getpid()') != b.value('__import__("os").getpid()')
        assert a.value('__import__("random").random()') != b.value('__import__("random").random()')
        assert a.value('__import__("uuid").uuid4().hex') != b.value('__import__("uuid").uuid4().hex')
    finally:
        a.close()
        b.close()


def test_interrupt_reaches_the_forked_kernel(kernel):
    started = time.monotonic()
    msg_id = kernel.kc.execute('import time; time.sleep(60)')
    time.sleep(1)
    kernel.km.interrupt_kernel()  # SIGINT to the launcher's process group, as the gateway does
    reply = kernel.kc.get_shell_msg(timeout=20)
    while reply['parent_header'].get('msg_id') != msg_id:
        reply = kernel.kc.get_shell_msg(timeout=20)
    assert reply['content']['status'] == 'error'
    assert reply['content']['ename'] == 'KeyboardInterrupt'
    assert time.monotonic() - started < 20
    assert kernel.value('1 + 1') == 2  # the kernel survived the interrupt


def test_sigkill_of_the_launcher_kills_the_kernel(server):
    k = Kernel(server.spec_dir)
    try:
        pid = k.value('__import__("os").getpid()')
        child = k.value('__import__("subprocess").Popen(["sleep", "300"]).pid')
        os.kill(k.launcher.pid, signal.SIGKILL)
        _until('the kernel and its subprocess to die', lambda: not _alive(pid) and not _alive(child))
    finally:
        k.close()


def test_the_launcher_exits_with_the_kernels_status(server):
    k = Kernel(server.spec_dir)
    try:
        k.kc.execute('import os; os._exit(3)')
        assert k.launcher.wait(20) == 3
    finally:
        k.close()
    k = Kernel(server.spec_dir)
    try:
        k.kc.execute('import os, signal; os.kill(os.getpid(), signal.SIGTERM)')
        assert k.launcher.wait(20) == -signal.SIGTERM
    finally:
        k.close()


def test_shutdown_leaves_no_process(server):
    k = Kernel(server.spec_dir)
    pid = k.value('__import__("os").getpid()')
    k.close()
    assert not _alive(pid)
    assert k.launcher.poll() == 0


def test_other_startup_environment_gets_a_fresh_kernel(server):
    k = Kernel(server.spec_dir, env=dict(KERNEL_ENV, PYTHONHASHSEED='7'))
    try:
        # the launcher exec'd the kernel command itself: the kernel is the launcher's process
        assert k.value('__import__("os").getpid()') == k.launcher.pid
        assert k.value('__import__("os").environ["PYTHONHASHSEED"]') == '7'
    finally:
        k.close()
    assert 'fallback to a fresh kernel: start-up environment variables differ' in server.output()


def test_a_missing_server_gets_a_fresh_kernel(server, tmp_path):
    spec = (server.spec_dir / 'kernels' / 'python3' / 'kernel.json').read_text()
    (tmp_path / 'kernels' / 'python3').mkdir(parents=True)
    (tmp_path / 'kernels' / 'python3' / 'kernel.json').write_text(spec.replace(server.socket, str(tmp_path / 'none.sock')))
    k = Kernel(tmp_path)
    try:
        assert k.value('__import__("os").getpid()') == k.launcher.pid
    finally:
        k.close()


def test_malformed_requests_are_refused_and_the_server_keeps_serving(server):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(server.socket)
        s.sendall(encode_frame(['hello']))
        s.settimeout(10)
        frames, _ = split_frames(s.recv(4096))
        assert frames[0][0] == 'error'
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(server.socket)
        s.sendall(b'\xff\xff\xff\xff')
        s.settimeout(10)
        assert split_frames(s.recv(4096))[0][0][0] == 'error'
    assert oct(os.stat(server.socket).st_mode & 0o777) == '0o600'
    k = Kernel(server.spec_dir)
    try:
        assert k.value('1') == 1
    finally:
        k.close()


def test_stopping_the_server_stops_its_kernels(tmp_path):
    s = ForkServerProcess(tmp_path)
    k = Kernel(s.spec_dir)
    pid = k.value('__import__("os").getpid()')
    s.stop()
    assert s.proc.returncode == 0
    assert not _alive(pid)
    assert k.launcher.wait(10) is not None
    assert not os.path.exists(s.socket)
    k.kc.stop_channels()


def test_the_template_refuses_to_fork_with_a_thread_or_an_event_loop():
    script = """
import asyncio, threading
from nbgrid.kernels.preload import ForkSafetyError, check_fork_safe, preload
preload(('json',))
def refused():
    try:
        check_fork_safe()
    except ForkSafetyError as err:
        return 'refused: %s' % err
print(refused())
release = threading.Event()
thread = threading.Thread(target=release.wait)
thread.start()
print(refused())
release.set()
thread.join()
asyncio.set_event_loop(asyncio.new_event_loop())
print(refused())
"""
    done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ['None', "refused: the fork server runs threads: ['MainThread', 'Thread-1 (wait)']",
                                        'refused: the fork server has an asyncio event loop'], done.stdout


@pytest.mark.parametrize('name', ['batch', 'launcher', 'forkserver', 'kernelspec'])
def test_doctests_pass(name):
    import doctest
    import importlib

    module = importlib.import_module(f'nbgrid.kernels.{name}')
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_a_launcher_whose_parent_died_takes_its_kernel_with_it(server, tmp_path):
    # The parent stands in for the gateway: it starts a kernel through the fork spec, reports the
    # kernel's and the launcher's pids, and is then killed with SIGKILL.
    script = f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_kernel_forkserver import Kernel
k = Kernel({str(server.spec_dir)!r})
print(k.value('__import__("os").getpid()'), k.launcher.pid, flush=True)
time.sleep(300)
"""
    parent = subprocess.Popen([sys.executable, '-c', script], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        kernel_pid, launcher_pid = map(int, parent.stdout.readline().split())
        assert _alive(kernel_pid) and _alive(launcher_pid)
        parent.kill()
        _until('the orphaned launcher and its kernel to exit', lambda: not _alive(kernel_pid) and not _alive(launcher_pid))
    finally:
        parent.kill()
        parent.wait(10)


def test_a_dead_fork_server_takes_its_kernels_with_it(tmp_path):
    s = ForkServerProcess(tmp_path)
    k = Kernel(s.spec_dir)
    try:
        pid = k.value('__import__("os").getpid()')
        s.proc.kill()
        s.proc.wait(10)
        _until('the kernel to die with its server', lambda: not _alive(pid))
        assert k.launcher.wait(10) == 1  # "the fork server closed the connection before the kernel exited"
    finally:
        k.kc.stop_channels()
        s.stop()


# --- preloading modules (nbgrid up --preload) -------------------------------------------------------

def _module(tmp_path, name, source):
    (tmp_path / f'{name}.py').write_text(source)
    sys.path.insert(0, str(tmp_path))
    return name


@pytest.fixture
def clean_path():
    saved = list(sys.path)
    yield
    sys.path[:] = saved


def test_preload_refuses_a_module_that_starts_a_thread(tmp_path, clean_path):
    from nbgrid.kernels.preload import PreloadRefused, preload_modules

    name = _module(tmp_path, 'nbgrid_test_thread_at_import',
                   'import threading\nstop = threading.Event()\n'
                   'threading.Thread(target=stop.wait, name="import-time-worker", daemon=True).start()\n')
    try:
        with pytest.raises(PreloadRefused, match=r'cannot preload nbgrid_test_thread_at_import: importing it left threads '
                                                 r'running in the fork server \(import-time-worker\)'):
            preload_modules([name])
    finally:
        sys.modules[name].stop.set()


def test_preload_refuses_a_module_that_leaves_a_file_open(tmp_path, clean_path):
    from nbgrid.kernels.preload import PreloadRefused, preload_modules

    name = _module(tmp_path, 'nbgrid_test_file_at_import', 'kept = open(__file__)\n')
    try:
        with pytest.raises(PreloadRefused, match=r'cannot preload nbgrid_test_file_at_import: importing it left file '
                                                 r'descriptors open in the fork server \(.*\d+ -> [^,]*nbgrid_test_file_at_import\.py'):
            preload_modules([name])
    finally:
        sys.modules[name].kept.close()


def test_preload_accepts_numpy_and_a_plain_module(tmp_path, clean_path):
    from nbgrid.kernels.preload import preload_modules

    name = _module(tmp_path, 'nbgrid_test_plain_module', 'VALUE = 1\n')
    spent = preload_modules(['numpy', name])
    assert set(spent) == {'numpy', name}


def test_a_forked_child_reseeds_every_module_level_generator():
    """What a preloaded numpy seeded at import would repeat in every fork, unless reseeded."""
    import random
    import numpy as np

    from nbgrid.kernels.preload import find_random_states, reseed

    rng = np.random.default_rng(1)
    own = random.Random(1)
    module = type(sys)('nbgrid_test_seeded_module')
    module.rng, module.own = rng, own
    sys.modules[module.__name__] = module
    try:
        states = find_random_states()
        assert any(s is np.random.mtrand._rand for s in states)
        assert any(s is rng for s in states) and any(s is own for s in states)
        np.random.seed(1)
        drawn = []
        for _ in range(3):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # what child.run_kernel does, then one draw of each
                reseed(states)
                os.write(w, repr((np.random.rand(), rng.random(), own.random())).encode())
                os._exit(0)
            os.close(w)
            drawn.append(os.read(r, 1000))
            os.close(r)
            os.waitpid(pid, 0)
        assert len(set(drawn)) == 3, drawn
    finally:
        del sys.modules[module.__name__]


def test_the_fork_server_refuses_a_preload_and_says_why(tmp_path):
    """The server's side of `nbgrid up --preload`: exit status 3, the reason in the refusal file, no socket."""
    (tmp_path / 'mods').mkdir()
    (tmp_path / 'mods' / 'nbgrid_test_socket_at_import.py').write_text('import socket\nkept = socket.socket()\n')
    refusal = tmp_path / 'refused'
    env = {'PATH': os.environ['PATH'], 'PYTHONPATH': os.pathsep.join(filter(None, [str(tmp_path / 'mods'), os.environ.get('PYTHONPATH')]))}
    done = subprocess.run([sys.executable, '-m', 'nbgrid.kernels.forkserver', '--socket', str(tmp_path / 's.sock'),
                           '--preload', 'nbgrid_test_socket_at_import', '--refusal-file', str(refusal)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert refusal.read_text().startswith('cannot preload nbgrid_test_socket_at_import: importing it left file descriptors open')
    assert 'cannot preload nbgrid_test_socket_at_import' in done.stderr
    assert not (tmp_path / 's.sock').exists()


def test_a_forked_kernel_runs_the_notebooks_atexit_handlers_and_exits_with_0(server, tmp_path):
    k = Kernel(server.spec_dir)
    marker = tmp_path / 'forked-atexit.txt'
    try:
        out, error = k.run(f'import atexit; atexit.register(lambda: open({str(marker)!r}, "w").write("ran"))')
        assert error is None, error
        k.kc.stop_channels()
        k.km.shutdown_kernel(now=False)
        assert k.launcher.wait(20) == 0
        assert marker.read_text() == 'ran'
    finally:
        k.close()
