"""Notebooks as ``nbformat.reads`` gives them: multi-line text joined into strings.

A notebook may be stored with list-valued ``source`` (as ``.ipynb`` files write it); ``om.jobs.get``
returns it as ``nbformat.reads(..., as_version=4)`` does: through nbformat when it is importable,
else by the same rules (``rejoin_lines`` and ``strip_transient`` of ``nbformat.v4.rwbase``) with
the standard library only.

Example::

    >>> nb = {'nbformat': 4, 'nbformat_minor': 5, 'metadata': {},
    ...       'cells': [{'cell_type': 'code', 'source': ['a = 1\\n', 'b = 2'], 'metadata': {},
    ...                  'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': ['x\\n', 'y']}]}]}
    >>> cell = normalized(nb)['cells'][0]
    >>> cell['source'], cell['outputs'][0]['text']
    ('a = 1\\nb = 2', 'x\\ny')
"""
import copy
import json


def _is_json_mime(mime):
    return mime == 'application/json' or (mime.startswith('application/') and mime.endswith('+json'))


def _rejoin_mimebundle(data):
    for key, value in list(data.items()):
        if not _is_json_mime(key) and isinstance(value, list) and all(isinstance(v, str) for v in value):
            data[key] = ''.join(value)


def normalized(content):
    """A copy of the notebook dict ``content`` with multi-line text joined, as nbformat reads it
    (without nbformat).

    Example::

        >>> normalized({'metadata': {'signature': 'x'}, 'cells': [{'source': ['a', 'b'], 'metadata': {'trusted': True}}]})
        {'metadata': {}, 'cells': [{'source': 'ab', 'metadata': {}}]}
    """
    nb = copy.deepcopy(content)
    if not isinstance(nb, dict):
        return nb
    metadata = nb.get('metadata')
    if isinstance(metadata, dict):
        for key in ('orig_nbformat', 'orig_nbformat_minor', 'signature'):
            metadata.pop(key, None)
    for cell in nb.get('cells') or []:
        if not isinstance(cell, dict):
            continue
        if isinstance(cell.get('source'), list):
            cell['source'] = ''.join(cell['source'])
        if isinstance(cell.get('metadata'), dict):
            cell['metadata'].pop('trusted', None)
        for attachment in (cell.get('attachments') or {}).values():
            if isinstance(attachment, dict):
                _rejoin_mimebundle(attachment)
        if cell.get('cell_type') == 'code':
            for output in cell.get('outputs') or []:
                kind = output.get('output_type', '')
                if kind in ('execute_result', 'display_data'):
                    _rejoin_mimebundle(output.get('data') or {})
                elif kind and isinstance(output.get('text', ''), list):
                    output['text'] = ''.join(output['text'])
    return nb


def read_notebook(content):
    """``content`` (a notebook dict from the API) as ``nbformat.reads(json, as_version=4)`` gives
    it: an ``nbformat.NotebookNode`` when nbformat is importable, else a normalized dict.

    Example::

        >>> read_notebook({'nbformat': 4, 'nbformat_minor': 5, 'metadata': {}, 'cells': []})['cells']
        []
    """
    try:
        import nbformat
    except ImportError:
        return normalized(content)
    return nbformat.reads(json.dumps(content), as_version=4)
