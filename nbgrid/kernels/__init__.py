"""Fork-launched ipykernels: a new kernel process per task without Python's start-up cost.

A fresh ipykernel spends most of its ~0.5 CPU s importing IPython, ipykernel, zmq, tornado and
debugpy. In the opt-in ``fork`` kernel launch mode of a worker node, a *fork server*
(:mod:`nbgrid.kernels.forkserver`) imports that stack once and forks one child per kernel; the
child applies the requested environment, working directory and standard streams and runs
``IPKernelApp`` with the connection file the Kernel Gateway wrote. Every kernel is still a new
process that never ran anyone else's code.

The Kernel Gateway does not know: its ``python3`` kernelspec is replaced by one whose argv runs the
*launcher* (:mod:`nbgrid.kernels.launcher`), a standard-library-only script that hands its argv,
environment and standard streams to the fork server, forwards signals to the forked kernel and
exits with the kernel's exit status.

Start a fork server by hand (``nbgrid up --kernel-launch fork`` does this next to the gateway)::

    python -m nbgrid.kernels.forkserver --socket /run/me/fork.sock --kernelspec-dir /run/me/spec
    JUPYTER_PATH=/run/me/spec jupyter kernelgateway ...
"""
