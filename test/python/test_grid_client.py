"""The client's grids, DataFrame maps, parameters() and results(as_frame=True), over HTTP against
canned answers (test/worker/integration/grid runs them against the real service)."""
import io
import itertools

import numpy as np
import pandas as pd
import pytest

from fake_api import CannedApi
from nbgrid.client import Om
from nbgrid.client.grid import expand_grid, frame_params, grid_body, not_variables, results_frame
from nbgrid.client.params import map_body


def map_answer(n, warnings=()):
    return (201, {'task_group': 'c05ecd89', 'job': 'main', 'count': n, 'require': 'default',
                  'tasks': [{'name': f'tasks/main/c05ecd89-{i}', 'task_id': f'id-{i}'} for i in range(n)],
                  'warnings': list(warnings)})


@pytest.fixture
def api():
    with CannedApi() as a:
        yield a


def job(api, out=None):
    om = Om(url=api.url, token='t')
    om.runtime._out = out or io.StringIO()
    return om.runtime.job('main')


def test_expand_grid_is_itertools_product_and_zip():
    values = {'alpha': [0.1, 0.5], 'n': [10, 100, 1000]}
    assert expand_grid(values) == [dict(zip(values, p)) for p in itertools.product(*values.values())]
    assert expand_grid({'a': [1, 2], 'b': [3, 4]}, mode='zip') == [{'a': 1, 'b': 3}, {'a': 2, 'b': 4}]


@pytest.mark.parametrize('values, mode, message', [
    ({}, 'product', 'at least one parameter'),
    ({'a': []}, 'product', 'has no values'),
    ({'a': 'abc'}, 'product', 'must be a list'),
    ({'a': {1, 2}}, 'product', 'must be a list'),
    ({'a': [1, 2], 'b': [1]}, 'zip', 'different lengths'),
    ({'a': [1]}, 'cross', "mode must be 'product' or 'zip'"),
    ({'a': [float('nan')]}, 'product', 'NaN'),
])
def test_bad_grids_say_what_to_fix(values, mode, message):
    with pytest.raises(ValueError, match=message):
        grid_body(values, mode)


def test_grid_sends_the_grid_for_the_service_to_expand(api):
    api.routes[('POST', '/api/jobs/main/map')] = map_answer(4, warnings=['passed unknown parameter(s) "beta"'])
    out = io.StringIO()
    group = job(api, out).grid(alpha=np.array([0.1, 0.5]), beta=range(2), require='gpu')
    assert api.requests[-1]['body'] == {'grid': {'alpha': [0.1, 0.5], 'beta': [0, 1]}, 'mode': 'product', 'require': 'gpu'}
    assert group.count == 4
    assert 'warning: passed unknown parameter(s) "beta"' in out.getvalue()


def test_map_of_a_dataframe_maps_its_rows_with_numpy_scalars_converted(api):
    api.routes[('POST', '/api/jobs/main/map')] = map_answer(2)
    df = pd.DataFrame({'alpha': np.array([0.1, 0.9], dtype=np.float32), 'n': np.array([2, 3], dtype=np.int64), 'name': ['a', 'b']})
    job(api).map(df)
    params = api.requests[-1]['body']['params']
    assert params == [{'alpha': pytest.approx(0.1), 'n': 2, 'name': 'a'}, {'alpha': pytest.approx(0.9), 'n': 3, 'name': 'b'}]
    assert [type(v) for v in params[0].values()] == [float, int, str]
    assert map_body([{'alpha': 1}])['params'] == [{'alpha': 1}]
    with pytest.raises(ValueError, match='NaN'):
        job(api).map(pd.DataFrame({'x': [1.0, float('nan')]}))
    with pytest.raises(ValueError, match='not strings'):
        frame_params(pd.DataFrame({0: [1]}))


def test_parameters_and_results_as_a_frame(api):
    api.routes[('GET', '/api/jobs/main/parameters')] = (200, {'job': 'main', 'has_parameters_cell': True, 'parameters': [
        {'name': 'alpha', 'inferred_type_name': 'float', 'default': '0.5', 'help': 'rate', 'identifier': True}]})
    assert job(api).parameters() == {'alpha': {'name': 'alpha', 'inferred_type_name': 'float', 'default': '0.5', 'help': 'rate', 'identifier': True}}
    api.routes[('GET', '/api/jobs/main/results')] = (200, {
        'task_group': 'c05ecd89', 'columns': ['alpha', 'loss', 'status', 'run_status', 'duration', 'name'],
        'kinds': ['param', 'result', 'status', 'status', 'status', 'status'],
        'rows': [[0.1, 1.5, 'SUCCESS', 'OK', 2.0, 't-0'], [0.5, None, 'FAILURE', 'ERROR', 1.0, 't-1']]})
    df = job(api).results(as_frame=True)
    assert api.requests[-1]['path'].endswith('format=table') and 'format=table' in api.requests[-1]['path']
    assert list(df.columns) == ['alpha', 'loss', 'status', 'run_status', 'duration', 'name']
    assert df['alpha'].tolist() == [0.1, 0.5] and df.attrs['task_group'] == 'c05ecd89'
    assert df.attrs['kinds']['loss'] == 'result'
    assert results_frame({'columns': ['a'], 'rows': []}).shape == (0, 1)


def test_names_that_cannot_be_variables():
    assert not_variables(['alpha', 'class', '1a', 'x-y', 'match']) == ['class', '1a', 'x-y']
