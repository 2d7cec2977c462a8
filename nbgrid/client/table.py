"""The rows of ``job.status()``: a pandas DataFrame when pandas is importable, else a StatusTable.

Example::

    >>> t = StatusTable([{'name': 'tasks/main/ab12cd34-0.ipynb', 'task_id': 'f00', 'status': 'SUCCESS',
    ...                   'run_status': 'OK'}])
    >>> print(t)
                              name  task_id   status  run_status
    0  tasks/main/ab12cd34-0.ipynb      f00  SUCCESS          OK
    >>> t[0]['status']
    'SUCCESS'
"""
import html

#: The columns of a status row, in display order (docs/api.md, IStatusRow).
STATUS_COLUMNS = ('name', 'task_id', 'status', 'run_status', 'task_group', 'job_id',
                  'duration', 'worker', 'message', 'results', 'progress', 'reduce_round', 'cached_from',
                  'gpus')
#: Columns shown by the text/HTML rendering (all columns stay in the rows).
DISPLAY_COLUMNS = ('name', 'task_id', 'status', 'run_status')


def _cell(value, width=60):
    text = '' if value is None else str(value)
    text = text.replace('\n', ' ')
    return text if len(text) <= width else text[:width - 1] + '…'


class StatusTable:
    """Status rows without pandas: iterable of row dicts, aligned text in a terminal, HTML in Jupyter.

    ``columns`` selects what the text and HTML renderings show (default: name, task_id, status,
    run_status, like omega|ml); every row keeps all its fields.

    Example::

        >>> t = StatusTable([{'name': 'a', 'task_id': '1', 'status': 'PENDING', 'run_status': 'unknown'}])
        >>> [row['name'] for row in t], len(t)
        (['a'], 1)
        >>> '<table' in t._repr_html_()
        True
    """

    def __init__(self, rows, columns=DISPLAY_COLUMNS):
        self.rows = [dict(r) for r in rows]
        self.columns = tuple(columns)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    def __eq__(self, other):
        if isinstance(other, StatusTable):
            return self.rows == other.rows
        return NotImplemented

    def column(self, name):
        """All values of one column, e.g. ``t.column('status')``."""
        return [r.get(name) for r in self.rows]

    def counts(self, name='status'):
        """``{value: count}`` of one column, e.g. ``{'SUCCESS': 9, 'FAILURE': 1}``."""
        out = {}
        for value in self.column(name):
            out[value] = out.get(value, 0) + 1
        return out

    def __str__(self):
        if not self.rows:
            return 'no tasks (' + ', '.join(self.columns) + ')'
        index = [str(i) for i in range(len(self.rows))]
        cells = [[_cell(r.get(c)) for c in self.columns] for r in self.rows]
        iw = max(len(i) for i in index)
        widths = [max(len(c), *(len(row[j]) for row in cells)) for j, c in enumerate(self.columns)]
        lines = [' ' * iw + '  ' + '  '.join(c.rjust(w) for c, w in zip(self.columns, widths))]
        for i, row in zip(index, cells):
            lines.append(i.ljust(iw) + '  ' + '  '.join(v.rjust(w) for v, w in zip(row, widths)))
        return '\n'.join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        head = ''.join(f'<th>{html.escape(c)}</th>' for c in self.columns)
        body = []
        for i, r in enumerate(self.rows):
            tds = ''.join(f'<td>{html.escape(_cell(r.get(c), 200))}</td>' for c in self.columns)
            body.append(f'<tr><th>{i}</th>{tds}</tr>')
        return ('<table class="nbgrid-status"><thead><tr><th></th>' + head + '</tr></thead><tbody>'
                + ''.join(body) + '</tbody></table>')


def status_frame(rows, as_frame=None):
    """Rows as a pandas DataFrame (columns in STATUS_COLUMNS order) or, without pandas, a StatusTable.

    ``as_frame=False`` forces a StatusTable; ``True`` requires pandas.

    Example::

        >>> status_frame([], as_frame=False)
        no tasks (name, task_id, status, run_status)
    """
    if as_frame is not False:
        try:
            import pandas as pd
        except ImportError:
            if as_frame:
                raise
        else:
            extra = [c for r in rows for c in r if c not in STATUS_COLUMNS]
            columns = list(STATUS_COLUMNS) + list(dict.fromkeys(extra))
            return pd.DataFrame([dict(r) for r in rows], columns=columns)
    return StatusTable(rows)
