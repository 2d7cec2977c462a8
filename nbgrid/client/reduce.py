"""The reduce step and the cache as the client sends and reads them (stdlib only)."""

WHEN = ('all_ok', 'always')


def then_body(then, when=None):
    """The ``then`` of a map body from ``then='summary'`` or ``then={'notebook': ..., 'when': ...}``.

    Example::

        >>> then_body('summary')
        {'notebook': 'summary'}
        >>> then_body('summary', when='always')
        {'notebook': 'summary', 'when': 'always'}
    """
    if isinstance(then, str):
        body = {'notebook': then}
    elif isinstance(then, dict) and isinstance(then.get('notebook'), str):
        body = dict(then)
    else:
        raise ValueError("then must be the name of a stored notebook, or {'notebook': name, 'when': 'all_ok'|'always'}")
    if when is not None:
        body['when'] = when
    if body.get('when', 'all_ok') not in WHEN:
        raise ValueError(f"then when must be one of {WHEN}, got {body.get('when')!r}")
    return body


class Results(list):
    """The tasks' returned values in parameter order (a ``list``), plus ``reduced``: the value
    the group's reduce notebook returned (``None`` until it has an OK run, or without ``then``).
    ``results['reduced']`` is the same value.

    Example::

        >>> r = Results([1, 4], reduced=5)
        >>> r, r.reduced, r['reduced']
        ([1, 4], 5, 5)
    """

    def __init__(self, values, reduced=None):
        super().__init__(values)
        self.reduced = reduced

    def __getitem__(self, key):
        if key == 'reduced':
            return self.reduced
        return super().__getitem__(key)
