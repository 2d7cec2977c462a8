"""IPython extension: ``%load_ext nbgrid`` puts ``om`` into the notebook's namespace.

Example (in a notebook cell)::

    %load_ext nbgrid
    om.runtime.job('main').map(range(3))
"""


def load_ipython_extension(ipython):
    """Define ``om`` (the default :class:`nbgrid.client.Om`) in the user namespace.

    Example::

        >>> from IPython.testing.globalipapp import get_ipython   # doctest: +SKIP
        >>> load_ipython_extension(get_ipython())                 # doctest: +SKIP
    """
    from nbgrid.client import om

    ipython.push({'om': om})


def unload_ipython_extension(ipython):
    """Remove ``om`` again if it is still the one this extension defined.

    Example (in a notebook cell)::

        %unload_ext nbgrid
    """
    from nbgrid.client import om

    if ipython.user_ns.get('om') is om:
        ipython.drop_by_id({'om': om})
