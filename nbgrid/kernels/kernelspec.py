"""The ``python3`` kernelspec of fork mode: ipykernel's own, with the launcher in front of its argv.

Written into a directory the gateway puts first on ``JUPYTER_PATH``, it overrides the installed
``python3`` spec, so workers and notebooks name the same kernel as without fork mode. The argv::

    [python, -I, -S, .../nbgrid/kernels/launcher.py, --socket, SOCKET, --,
     python, -m, ipykernel_launcher, -f, {connection_file}]

``-I -S`` keep the launcher's start-up to the built-in modules it needs (no site-packages, no
environment variables read); after ``--`` stands the command of the kernel it stands in for,
which the launcher runs itself when the fork server cannot fork it.

Example::

    write_fork_kernelspec('/run/gw/kernel-fork/spec', '/run/gw/kernel-fork/fork.sock')
    # -> '/run/gw/kernel-fork/spec/kernels/python3'
"""
import json
import os
import shutil
import sys

from nbgrid.kernels import launcher

KERNEL_NAME = 'python3'


def fork_kernel_argv(socket_path, kernel_argv):
    """The launcher's argv in front of ``kernel_argv``.

    Example::

        >>> fork_kernel_argv('/s.sock', ['python', '-m', 'ipykernel_launcher'])[1:3]
        ['-I', '-S']
    """
    return [sys.executable, '-I', '-S', os.path.abspath(launcher.__file__), '--socket', socket_path, '--'] + list(kernel_argv)


def write_fork_kernelspec(data_dir, socket_path):
    """Writes ``<data_dir>/kernels/python3`` (replacing it); returns its path."""
    from ipykernel.kernelspec import write_kernel_spec, get_kernel_dict

    path = os.path.join(data_dir, 'kernels', KERNEL_NAME)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    spec = get_kernel_dict()
    metadata = dict(spec.get('metadata', {}), nbgrid={'kernel_launch': 'fork'})
    written = write_kernel_spec(path, overrides={
        'argv': fork_kernel_argv(socket_path, spec['argv']),
        'interrupt_mode': 'signal',
        'metadata': metadata,
    })
    with open(os.path.join(written, 'kernel.json')) as f:
        json.load(f)  # fail here, not in the gateway, if it is not valid
    return written
