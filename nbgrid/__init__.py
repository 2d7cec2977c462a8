"""nbgrid: map a Jupyter notebook over many parameters on Celery-compatible workers.

Example::

    from nbgrid import om
    job = om.runtime.job('main')
    job.map(range(10))
    job.wait()
    job.results()

The kernel-side client (``om``) is standard library only; the JupyterLab server extension
(``nbgrid.server``) is imported by Jupyter Server alone, never by a kernel.
"""

__version__ = "0.1.0"


def __getattr__(name):
    # `om` is imported on first use, so `import nbgrid` in Jupyter Server loads no client code.
    if name == "om":
        from nbgrid.client import om

        return om
    raise AttributeError(f"module 'nbgrid' has no attribute {name!r}")


def load_ipython_extension(ipython):
    """``%load_ext nbgrid`` defines ``om`` in the user namespace."""
    from nbgrid.magics import load_ipython_extension as _load

    _load(ipython)


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-nbgrid"}]


def _jupyter_server_extension_points():
    return [{"module": "nbgrid.server"}]
