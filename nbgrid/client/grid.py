"""Parameter grids, DataFrame rows as parameters, and results as a table.

``job.grid(alpha=[0.1, 0.5], n=[10, 100])`` sends ``{"grid": {...}, "mode": "product"}``; the
service expands it (``itertools.product`` order, or pairwise with ``mode='zip'``) and checks its
size before anything is stored. ``job.map(df)`` maps a pandas DataFrame's rows, one object per row.
``job.results(as_frame=True)`` builds a DataFrame from ``GET .../results?format=table``.

Example::

    >>> grid_body({'alpha': [0.1, 0.5], 'n': range(2)})
    {'grid': {'alpha': [0.1, 0.5], 'n': [0, 1]}, 'mode': 'product'}
    >>> expand_grid({'a': [1, 2], 'b': 'xy'})
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
"""
import itertools
import keyword

from .params import to_json_value

#: How a grid's lists combine.
GRID_MODES = ('product', 'zip')


def _values(name, values):
    # a str is iterable, but grid(s='abc') meaning ['a', 'b', 'c'] is rarely what is meant
    if isinstance(values, (str, bytes, set, frozenset, dict)) or not hasattr(values, '__iter__'):
        raise ValueError(f'grid parameter {name!r} must be a list of values, got {type(values).__name__} '
                         f'{values!r:.40}; e.g. {name}=[1, 2, 3]')
    tolist = getattr(values, 'tolist', None)
    listed = tolist() if callable(tolist) else list(values)
    if not listed:
        raise ValueError(f'grid parameter {name!r} has no values, so the grid has no task: give it at '
                         'least one value (or leave it out)')
    return [to_json_value(v, (name, i)) for i, v in enumerate(listed)]


def grid_body(values, mode='product'):
    """The JSON body of a grid map (without require/cell_timeout); raises ValueError saying what to fix.

    Example::

        >>> grid_body({'a': [1, 2], 'b': [3, 4]}, mode='zip')
        {'grid': {'a': [1, 2], 'b': [3, 4]}, 'mode': 'zip'}
    """
    if mode not in GRID_MODES:
        raise ValueError(f"mode must be 'product' or 'zip', got {mode!r}")
    if not values:
        raise ValueError('grid() needs at least one parameter, e.g. grid(alpha=[0.1, 0.5])')
    grid = {name: _values(name, v) for name, v in values.items()}
    if mode == 'zip':
        lengths = {name: len(v) for name, v in grid.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"mode='zip' pairs values by position, but the lists have different lengths "
                             f"{lengths}: give lists of one length, or use mode='product'")
    return {'grid': grid, 'mode': mode}


def expand_grid(values, mode='product'):
    """What the service makes of a grid, computed locally: one dict per task.

    Example::

        >>> expand_grid({'a': [1, 2], 'b': [3, 4]}, mode='zip')
        [{'a': 1, 'b': 3}, {'a': 2, 'b': 4}]
    """
    grid = grid_body(values, mode)['grid']
    names = list(grid)
    combine = zip if mode == 'zip' else itertools.product
    return [dict(zip(names, point)) for point in combine(*grid.values())]


class GridRequest:
    """A grid body on its way through ``Job.map`` (which sends it instead of ``params``)."""

    def __init__(self, body):
        self.body = body


def is_frame(obj):
    """Whether ``obj`` looks like a pandas DataFrame (duck-typed: pandas is not imported here)."""
    return hasattr(obj, 'to_dict') and hasattr(obj, 'columns') and hasattr(obj, 'iterrows')


def frame_params(df):
    """A DataFrame's rows as parameters: one dict per row, column names as keys (numpy scalars
    become Python values when the body is built).

    Example::

        >>> import pandas as pd                                   # doctest: +SKIP
        >>> frame_params(pd.DataFrame({'alpha': [0.1], 'n': [10]}))  # doctest: +SKIP
        [{'alpha': 0.1, 'n': 10}]
    """
    columns = list(df.columns)
    bad = [c for c in columns if not isinstance(c, str)]
    if bad:
        raise ValueError(f'the DataFrame has column names that are not strings ({bad!r:.60}); '
                         'rename them, e.g. df.columns = [str(c) for c in df.columns]')
    if len(set(columns)) != len(columns):
        raise ValueError('the DataFrame has duplicate column names; each row becomes one dict, so '
                         'name every column once')
    return df.to_dict(orient='records')


def not_variables(names):
    """The names that cannot be Python variables: they reach a notebook only as ``job['param']``."""
    return [n for n in names if not n.isidentifier() or keyword.iskeyword(n)]


def results_frame(table):
    """A ``format=table`` answer as a pandas DataFrame (pandas required).

    Example::

        >>> results_frame({'columns': ['a', 'status'], 'rows': [[1, 'SUCCESS']]})  # doctest: +SKIP
           a   status
        0  1  SUCCESS
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError('results(as_frame=True) needs pandas in this kernel: pip install pandas '
                          '(or call results() for the list of values)') from None
    frame = pd.DataFrame(table.get('rows', []), columns=table.get('columns', []))
    frame.attrs['task_group'] = table.get('task_group')
    frame.attrs['kinds'] = dict(zip(table.get('columns', []), table.get('kinds', [])))
    return frame
