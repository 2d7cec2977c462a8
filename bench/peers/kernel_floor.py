"""Benchmark 5, the floor: CPU and wall seconds for one fresh ipykernel to start and answer
kernel_info, then shut down, started the way the Kernel Gateway starts it (jupyter_client).

    python kernel_floor.py N                          # the installed python3 kernelspec (papermill's kernel)
    python kernel_floor.py N --batch SPEC_DIR         # nbgrid's batch kernel, spawned (spawn mode)
    python kernel_floor.py N --fork-server SOCKET_DIR # nbgrid's batch kernel, forked (fork mode)

With ``--batch`` the kernel is nbgrid's batch kernel (``python -m nbgrid.kernels.batch``: ipykernel
without debugger support or history database), spawned through the kernelspec the gateway gets.
With ``--fork-server`` the same is measured for a kernel of the fork launch mode (nbgrid's default): a fork
server (``python -m nbgrid.kernels.forkserver``, started here with the environment the gateway
gives it) runs first, and each kernel is started through its kernelspec. The CPU then counts the
launcher (this script's child), the forked kernel (the server's reaped child) and what the server
itself spent forking; the server's one-time import of the kernel stack is reported apart.
"""
import json
import os
import resource
import subprocess
import sys
import time

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

TICK = os.sysconf('SC_CLK_TCK')


def process_cpu(pid):
    """(own CPU s, reaped children's CPU s) of a process, from /proc/<pid>/stat."""
    fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK, (int(fields[13]) + int(fields[14])) / TICK


def measure(n, ksm=None, server_pid=None):
    walls = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = process_cpu(server_pid) if server_pid else (0, 0)
    for _ in range(n):
        t = time.time()
        km = KernelManager(kernel_name="python3", **({'kernel_spec_manager': ksm} if ksm else {}))
        km.start_kernel(env={'PATH': os.environ['PATH']})  # what the gateway passes, besides its own variables
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        walls.append(time.time() - t)
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    time.sleep(0.5)  # the server reaps its last kernel
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = process_cpu(server_pid) if server_pid else (0, 0)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    server_self = server_after[0] - server_before[0]
    forked = server_after[1] - server_before[1]
    return {"n": n, "cpu_per_kernel": (cpu + server_self + forked) / n, "wall_to_ready": sorted(walls)[n // 2],
            "launcher_per_kernel": cpu / n if server_pid else None}


def main():
    n = int(sys.argv[1])
    if '--batch' in sys.argv:
        from nbgrid.kernels.kernelspec import write_batch_kernelspec

        spec = write_batch_kernelspec(sys.argv[sys.argv.index('--batch') + 1])
        print(json.dumps(measure(n, KernelSpecManager(kernel_dirs=[os.path.dirname(spec)]))))
        return
    if '--fork-server' not in sys.argv:
        print(json.dumps(measure(n)))
        return
    work = sys.argv[sys.argv.index('--fork-server') + 1]
    socket_path = os.path.join(work, 'fork.sock')
    log = open(os.path.join(work, 'forkserver.log'), 'w')
    server = subprocess.Popen([sys.executable, '-m', 'nbgrid.kernels.forkserver', '--socket', socket_path,
                               '--kernelspec-dir', work], env={'PATH': os.environ['PATH']}, cwd=work,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while not os.path.exists(socket_path):
            if server.poll() is not None or time.time() > deadline:
                raise SystemExit('the fork server did not start: see %s' % log.name)
            time.sleep(0.05)
        template_cpu = sum(process_cpu(server.pid))
        result = measure(n, KernelSpecManager(kernel_dirs=[os.path.join(work, 'kernels')]), server.pid)
        result["server_start_cpu"] = template_cpu
        if 'fallback' in open(log.name).read():
            raise SystemExit('the fork server started fresh kernels instead of forking: see %s' % log.name)
        print(json.dumps(result))
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
