"""Turn what a user passes to ``map()`` into the API's JSON body.

``range`` travels compactly as ``{"range": {"start", "stop", "step"}}``; any other finite iterable
becomes ``{"params": [...]}`` with each value converted to plain JSON:

* ``None``, ``bool``, ``int``, finite ``float``, ``str`` as they are;
* ``list`` and ``tuple`` → list, ``dict`` with ``str`` keys → dict (recursively);
* numpy-like values: arrays via ``.tolist()``, scalars via ``.item()`` (numpy is never imported).

Values travel as JSON text and reach the notebook through Python's ``json.loads``, so ints of any
size, ``1.0`` (a float), ``-0.0`` and the order of dict keys arrive exactly as given.

Rejected with a ValueError that says what to pass instead: sets (no order), bytes, dicts with
non-``str`` keys (JSON would silently turn ``1`` into ``"1"``), NaN and infinity (the API takes
standard JSON, which cannot carry them), and any other object.

Example::

    >>> map_body(range(0, 10, 2))
    {'range': {'start': 0, 'stop': 10, 'step': 2}}
    >>> map_body([(1, 'a'), {'x': None}])
    {'params': [[1, 'a'], {'x': None}]}
"""
import math


def _where(path):
    return 'parameter ' + ''.join(f'[{p!r}]' for p in path) if path else 'the value'


def to_json_value(value, path=(), _seen=None):
    """Convert one parameter to a plain JSON value or raise ValueError naming where and why.

    Example::

        >>> to_json_value((1, 2.5, [True]))
        [1, 2.5, [True]]
        >>> to_json_value({1, 2})
        Traceback (most recent call last):
        ...
        ValueError: the value is a set, which has no order: pass sorted(...) or list(...) instead
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(
                f'{_where(path)} is {value!r}: the nbgrid API takes standard JSON, which has no NaN '
                'or infinity; pass None or a string such as "nan" and convert it in the notebook'
            )
        return float(value)
    if isinstance(value, (set, frozenset)):
        raise ValueError(f'{_where(path)} is a {type(value).__name__}, which has no order: '
                         'pass sorted(...) or list(...) instead')
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise ValueError(f'{_where(path)} is {type(value).__name__}: JSON has no bytes; '
                         'decode it to str or encode it as base64 first')
    seen = set() if _seen is None else _seen
    if isinstance(value, (list, tuple, dict)):
        if id(value) in seen:
            raise ValueError(f'{_where(path)} contains itself; JSON cannot represent a cycle')
        seen.add(id(value))
        try:
            if isinstance(value, dict):
                out = {}
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise ValueError(
                            f'{_where(path)} has the key {key!r} ({type(key).__name__}): JSON object '
                            'keys are strings; use str keys, e.g. {str(k): v for k, v in d.items()}'
                        )
                    out[key] = to_json_value(item, path + (key,), seen)
                return out
            return [to_json_value(item, path + (i,), seen) for i, item in enumerate(value)]
        finally:
            seen.discard(id(value))
    # numpy and friends, duck-typed so that numpy is never imported
    tolist = getattr(value, 'tolist', None)
    if callable(tolist):
        return to_json_value(tolist(), path, seen)
    item = getattr(value, 'item', None)
    if callable(item):
        return to_json_value(item(), path, seen)
    raise ValueError(
        f'{_where(path)} is a {type(value).__name__} ({value!r:.60}), which is not JSON: pass None, '
        'bool, int, float, str, or lists/tuples/dicts of them (numpy values are converted)'
    )


def map_body(iterable):
    """The JSON body of ``POST /api/jobs/<name>/map`` for ``iterable`` (without require/cell_timeout).

    Example::

        >>> map_body(x * x for x in range(3))
        {'params': [0, 1, 4]}
    """
    if isinstance(iterable, range):
        if len(iterable) == 0:
            raise ValueError(f'nothing to map: {iterable!r} is empty')
        return {'range': {'start': iterable.start, 'stop': iterable.stop, 'step': iterable.step}}
    if isinstance(iterable, (set, frozenset)):
        raise ValueError('map() got a set, which has no order, so results() could not come back '
                         'in parameter order: pass sorted(...) or list(...) instead')
    if isinstance(iterable, (str, bytes, dict)) or not hasattr(iterable, '__iter__'):
        if not isinstance(iterable, (str, bytes, dict)):
            raise ValueError(f'map() needs a finite iterable of parameters, got a '
                             f'{type(iterable).__name__}; e.g. map(range(10)) or map([1, 2, 3])')
        if isinstance(iterable, dict):
            raise ValueError('map() got a dict: pass list(d.items()), list(d.values()) or [d] '
                             'to say which parameters you mean')
        raise ValueError(f'map() got a {type(iterable).__name__}: pass a list of parameters, '
                         f'e.g. [{iterable!r:.40}] for one task')
    tolist = getattr(iterable, 'tolist', None)
    values = tolist() if callable(tolist) else list(iterable)
    if not isinstance(values, list):  # a 0-d numpy array
        values = [values]
    params = [to_json_value(v, (i,)) for i, v in enumerate(values)]
    if not params:
        raise ValueError('nothing to map: the iterable is empty')
    return {'params': params}
