import io

import IPython.display

from nbgrid.client.progress import ProgressBar


class Handle:
    def __init__(self, calls):
        self.calls = calls

    def update(self, obj, raw=False):
        self.calls.append(('update', obj, raw))


def test_notebook_progress_updates_one_display_in_place(monkeypatch):
    calls = []

    def display(obj, raw=False, display_id=None):
        calls.append(('display', obj, raw, display_id))
        return Handle(calls)

    monkeypatch.setattr(IPython.display, 'display', display)
    bar = ProgressBar(notebook=True, label='main')
    bar.update({'PENDING': 3}, 0, 3)
    bar.update({'PENDING': 3}, 0, 3)  # unchanged: nothing sent
    bar.update({'SUCCESS': 3}, 3, 3)
    bar.close()
    assert [c[0] for c in calls] == ['display', 'update']
    first, last = calls[0][1], calls[1][1]
    assert calls[0][3] is True and calls[0][2] is True
    assert '<progress value="0" max="3"' in first['text/html']
    assert last['text/plain'].startswith('main [##############################]')
    assert '3/3 done' in last['text/plain']


def test_progress_outside_a_kernel_is_text():
    out = io.StringIO()
    bar = ProgressBar(stream=out)
    assert bar.notebook is False  # pytest is not a Jupyter kernel
    bar.update({'STARTED': 1, 'SUCCESS': 1}, 1, 2)
    assert out.getvalue() == '[###############---------------]  1/2 done  STARTED 1 · SUCCESS 1\n'


def test_load_ext_defines_om_in_the_user_namespace():
    from nbgrid.client import om
    from nbgrid.magics import load_ipython_extension, unload_ipython_extension

    class Shell:
        def __init__(self):
            self.user_ns = {}

        def push(self, variables):
            self.user_ns.update(variables)

        def drop_by_id(self, variables):
            for k, v in variables.items():
                if self.user_ns.get(k) is v:
                    del self.user_ns[k]

    shell = Shell()
    load_ipython_extension(shell)
    assert shell.user_ns['om'] is om
    unload_ipython_extension(shell)
    assert 'om' not in shell.user_ns
