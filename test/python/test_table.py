import pandas as pd

from nbgrid.client.table import STATUS_COLUMNS, StatusTable, status_frame

ROWS = [
    {'name': 'tasks/main/cc1a3388-0.ipynb', 'task_id': '5ed266bd', 'status': 'SUCCESS',
     'run_status': 'OK', 'task_group': 'cc1a3388', 'job_id': 0, 'duration': 1.5,
     'worker': 'nbgrid@h', 'message': '', 'results': 'results/tasks/main/cc1a3388-0.ipynb_t.ipynb'},
    {'name': 'tasks/main/cc1a3388-10.ipynb', 'task_id': 'e72af904-long', 'status': 'FAILURE',
     'run_status': 'ERROR', 'task_group': 'cc1a3388', 'job_id': 10, 'duration': None,
     'worker': None, 'message': 'ValueError: <bad> & "worse"\nTraceback...', 'results': None},
]


def test_text_rendering_is_aligned_like_a_dataframe():
    text = str(StatusTable(ROWS))
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0].split() == ['name', 'task_id', 'status', 'run_status']
    assert lines[1].split() == ['0', 'tasks/main/cc1a3388-0.ipynb', '5ed266bd', 'SUCCESS', 'OK']
    assert lines[2].split() == ['1', 'tasks/main/cc1a3388-10.ipynb', 'e72af904-long', 'FAILURE', 'ERROR']
    # right-aligned columns: every line ends at the same column
    assert len({len(line) for line in lines}) == 1
    assert repr(StatusTable(ROWS)) == text


def test_html_rendering_escapes_and_has_one_row_per_task():
    t = StatusTable(ROWS, columns=('name', 'status', 'message'))
    out = t._repr_html_()
    assert out.count('<tr>') == 3
    assert '&lt;bad&gt; &amp; &quot;worse&quot;' in out
    assert '<bad>' not in out


def test_rows_are_iterable_dicts_with_all_fields():
    t = StatusTable(ROWS)
    assert [r['job_id'] for r in t] == [0, 10]
    assert t[1]['message'].startswith('ValueError')
    assert t.column('status') == ['SUCCESS', 'FAILURE']
    assert t.counts('run_status') == {'OK': 1, 'ERROR': 1}


def test_empty_table_says_so():
    assert 'no tasks' in str(StatusTable([]))
    assert '<tbody></tbody>' in StatusTable([])._repr_html_()


def test_status_frame_is_a_dataframe_with_the_documented_columns_in_order():
    df = status_frame(ROWS)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == list(STATUS_COLUMNS)
    assert list(df['status']) == ['SUCCESS', 'FAILURE']
    empty = status_frame([])
    assert list(empty.columns) == list(STATUS_COLUMNS) and len(empty) == 0


def test_status_frame_without_pandas_is_a_status_table(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == 'pandas':
            raise ImportError('no pandas here')
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_pandas)
    t = status_frame(ROWS)
    assert isinstance(t, StatusTable) and len(t) == 2
    assert isinstance(status_frame(ROWS, as_frame=False), StatusTable)
