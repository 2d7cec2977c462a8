"""Progress display for ``wait()``: an updating output in a notebook, a ``\\r`` line in a terminal.

Example::

    >>> bar = ProgressBar(stream=None, notebook=False)     # text only, prints nothing
    >>> bar.text({'SUCCESS': 2, 'PENDING': 1}, done=2, total=3)
    '[####################----------]  2/3 done  PENDING 1 · SUCCESS 2'
"""
import html
import sys

WIDTH = 30


def _in_notebook():
    """True inside a Jupyter kernel (an IPython shell with a kernel), without importing IPython."""
    ipython_mod = sys.modules.get('IPython')
    if ipython_mod is None:
        return False
    try:
        shell = ipython_mod.get_ipython()
    except Exception:  # noqa: BLE001 - any failure means "not in a notebook"
        return False
    return shell is not None and getattr(shell, 'kernel', None) is not None


class ProgressBar:
    """Shows ``done/total`` and the counts by state; ``update()`` as often as you like, ``close()`` once.

    ``notebook=None`` detects a Jupyter kernel; there an IPython display is updated in place
    (``display_id``), in a terminal a single line is rewritten with ``\\r``, and when the stream is
    not a terminal (logs, CI) a line is printed only when the counts change.

    Example::

        >>> import io
        >>> out = io.StringIO()
        >>> bar = ProgressBar(stream=out, notebook=False)
        >>> bar.update({'SUCCESS': 1}, 1, 1); bar.close()
        >>> print(out.getvalue(), end='')
        [##############################]  1/1 done  SUCCESS 1
    """

    def __init__(self, stream=sys.stdout, notebook=None, label=''):
        self.stream = stream
        self.notebook = _in_notebook() if notebook is None else notebook
        self.label = label
        self._handle = None
        self._last = None
        self._wrote_cr = False

    @staticmethod
    def text(counts, done, total):
        filled = int(WIDTH * done / total) if total else WIDTH
        states = ' · '.join(f'{k} {v}' for k, v in sorted(counts.items()))
        return f"[{'#' * filled}{'-' * (WIDTH - filled)}] {done:>{len(str(total))+1}}/{total} done  {states}"

    def _html(self, counts, done, total):
        states = ', '.join(f'{html.escape(str(k))}: {v}' for k, v in sorted(counts.items()))
        return (f'<div class="nbgrid-progress">{html.escape(self.label)} '
                f'<progress value="{done}" max="{total or 1}" style="width:20em"></progress> '
                f'{done}/{total} done &nbsp; <span>{states}</span></div>')

    def update(self, counts, done, total, cells=''):
        """Show ``done`` of ``total`` and ``counts`` by state (and ``cells``, e.g. ``cells_text(rows)``,
        the running tasks' cells); unchanged text is not redrawn."""
        suffix = f'  · {cells}' if cells else ''
        line = (self.label + ' ' if self.label else '') + self.text(counts, done, total) + suffix
        if line == self._last:
            return
        self._last = line
        if self.notebook:
            from IPython.display import display  # optional; only reached inside a kernel
            page = self._html(counts, done, total)
            if cells:
                page = page.replace('</span></div>', f' &nbsp; {html.escape(cells)}</span></div>')
            bundle = {'text/plain': line, 'text/html': page}
            if self._handle is None:
                self._handle = display(bundle, raw=True, display_id=True)
            else:
                self._handle.update(bundle, raw=True)
            return
        if self.stream is None:
            return
        if getattr(self.stream, 'isatty', lambda: False)():
            self.stream.write('\r' + line)
            self._wrote_cr = True
        else:
            self.stream.write(line + '\n')
        self.stream.flush()

    def close(self):
        """End the terminal line (the notebook display stays as it is)."""
        if self._wrote_cr and self.stream is not None:
            self.stream.write('\n')
            self.stream.flush()
            self._wrote_cr = False


def cells_text(rows):
    """``'cells 7/15 in 3 running'`` over status rows whose ``progress`` is set; ``''`` when none is.

    Example::

        >>> cells_text([{'progress': {'done': 2, 'total': 5, 'cell': None}}, {'progress': None}])
        'cells 2/5 in 1 running'
        >>> cells_text([{'status': 'SUCCESS'}])
        ''
    """
    running = [r['progress'] for r in rows if r.get('progress')]
    if not running:
        return ''
    done = sum(p.get('done', 0) for p in running)
    total = sum(p.get('total', 0) for p in running)
    return f'cells {done}/{total} in {len(running)} running'
