"""The ``python3`` kernelspecs of the Kernel Gateway nbgrid starts: the batch kernel, fork-launched or not.

Written into a directory the gateway puts first on ``JUPYTER_PATH``, a spec overrides the installed
``python3`` one, so workers and notebooks name the same kernel with or without nbgrid's. The argv::

    spawn: [python, -m, nbgrid.kernels.batch, -f, {connection_file}]
    fork:  [python, -I, -S, .../nbgrid/kernels/launcher.py, --socket, SOCKET, --,
            python, -m, nbgrid.kernels.batch, -f, {connection_file}]

In the fork spec, ``-I -S`` keep the launcher's start-up to the built-in modules it needs (no
site-packages, no environment variables read); after ``--`` stands the command of the kernel it
stands in for, which the launcher runs itself when the fork server cannot fork it.

Example::

    python -m nbgrid.kernels.kernelspec /run/gw/kernel-batch   # the spawn mode's spec
    write_fork_kernelspec('/run/gw/kernel-fork/spec', '/run/gw/kernel-fork/fork.sock')
    # -> '/run/gw/kernel-fork/spec/kernels/python3'
"""
import argparse
import json
import os
import shutil
import sys

from nbgrid.kernels import batch, launcher

KERNEL_NAME = 'python3'


def batch_kernel_argv():
    """The batch kernel's argv, with the ``{connection_file}`` placeholder jupyter_client fills in.

    Example::

        >>> batch_kernel_argv()[1:]
        ['-m', 'nbgrid.kernels.batch', '-f', '{connection_file}']
    """
    return [sys.executable, '-m', batch.MODULE, '-f', '{connection_file}']


def fork_kernel_argv(socket_path, kernel_argv):
    """The launcher's argv in front of ``kernel_argv``.

    Example::

        >>> fork_kernel_argv('/s.sock', batch_kernel_argv())[1:3]
        ['-I', '-S']
    """
    return [sys.executable, '-I', '-S', os.path.abspath(launcher.__file__), '--socket', socket_path, '--'] + list(kernel_argv)


def write_batch_kernelspec(data_dir):
    """Writes ``<data_dir>/kernels/python3`` for the batch kernel (replacing it); returns its path."""
    return _write(data_dir, batch_kernel_argv(), {'kernel': 'batch'})


def write_fork_kernelspec(data_dir, socket_path):
    """Writes ``<data_dir>/kernels/python3`` for the batch kernel through the fork launcher; returns its path."""
    return _write(data_dir, fork_kernel_argv(socket_path, batch_kernel_argv()), {'kernel': 'batch', 'kernel_launch': 'fork'})


def _write(data_dir, argv, nbgrid_metadata):
    from ipykernel.kernelspec import get_kernel_dict, write_kernel_spec

    path = os.path.join(data_dir, 'kernels', KERNEL_NAME)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    spec = get_kernel_dict()
    # the batch kernel has no debugger (JupyterLab reads this flag from the spec)
    metadata = dict(spec.get('metadata', {}), debugger=False, nbgrid=nbgrid_metadata)
    written = write_kernel_spec(path, overrides={'argv': argv, 'interrupt_mode': 'signal', 'metadata': metadata})
    with open(os.path.join(written, 'kernel.json')) as f:
        json.load(f)  # fail here, not in the gateway, if it is not valid
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m nbgrid.kernels.kernelspec',
                                     description='Write the batch kernel\'s python3 kernelspec into DATA_DIR/kernels/python3.')
    parser.add_argument('data_dir', help='a directory to put first on the Kernel Gateway\'s JUPYTER_PATH')
    print(write_batch_kernelspec(parser.parse_args(argv).data_dir))
    return 0


if __name__ == '__main__':
    sys.exit(main())
