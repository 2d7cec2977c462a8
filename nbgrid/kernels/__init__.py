"""The kernels tasks run on: the batch kernel, spawned per task or forked from a fork server.

Every kernel the Kernel Gateway of a worker node starts is the *batch kernel*
(:mod:`nbgrid.kernels.batch`): ipykernel without debugger support or history database, which a
notebook run with nobody attached never uses; the gateway's ``python3`` kernelspec
(:mod:`nbgrid.kernels.kernelspec`) names it.

A fresh batch kernel still spends most of its ~0.3 CPU s importing IPython, ipykernel, zmq and
tornado. In the ``fork`` kernel launch mode (the default of ``nbgrid up``), a *fork server*
(:mod:`nbgrid.kernels.forkserver`) imports that stack once and forks one child per kernel; the
child applies the requested environment, working directory and standard streams and runs the
batch kernel with the connection file the Kernel Gateway wrote. Every kernel is still a new
process that never ran anyone else's code.

The Kernel Gateway does not know: in fork mode its ``python3`` kernelspec runs the *launcher*
(:mod:`nbgrid.kernels.launcher`), a standard-library-only script that hands its argv,
environment and standard streams to the fork server, forwards signals to the forked kernel and
exits with the kernel's exit status.

Start a fork server by hand (``nbgrid up`` does this next to the gateway; ``--preload MODULES``
imports those modules into it too)::

    python -m nbgrid.kernels.forkserver --socket /run/me/fork.sock --kernelspec-dir /run/me/spec
    JUPYTER_PATH=/run/me/spec jupyter kernelgateway ...
"""
