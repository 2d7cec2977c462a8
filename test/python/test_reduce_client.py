"""The client's reduce and cache options over HTTP against canned answers (the real stack is in
test/worker/integration/reduce and cache)."""
import io

import pytest

from fake_api import CannedApi
from nbgrid.client import Om
from nbgrid.client.reduce import Results, then_body


def map_answer(n, group='c05ecd89', **extra):
    return (201, {'task_group': group, 'job': 'main', 'count': n, 'require': 'default',
                  'tasks': [{'name': f'tasks/main/{group}-{i}', 'task_id': f'id-{i}'} for i in range(n)],
                  'warnings': [], **extra})


@pytest.fixture
def api():
    with CannedApi() as a:
        yield a


def job(api):
    o = Om(url=api.url, token='t')
    o.runtime._out = io.StringIO()
    return o.runtime.job('main')


def test_map_sends_then_cache_and_force(api):
    api.routes[('POST', '/api/jobs/main/map')] = map_answer(2, cached=1)
    job(api).map([1, 2], then='summary')
    assert api.requests[-1]['body'] == {'params': [1, 2], 'then': {'notebook': 'summary'}}
    job(api).map([1, 2], then='summary', when='always', cache=True)
    assert api.requests[-1]['body'] == {'params': [1, 2], 'then': {'notebook': 'summary', 'when': 'always'}, 'cache': True}
    job(api).map([1], then={'notebook': 'summary', 'require': 'gpu'}, cache=True, force=True)
    assert api.requests[-1]['body'] == {'params': [1], 'then': {'notebook': 'summary', 'require': 'gpu'}, 'cache': True, 'force': True}
    job(api).map([1])
    assert api.requests[-1]['body'] == {'params': [1]}


def test_then_is_checked_before_sending(api):
    with pytest.raises(ValueError, match='then must be the name of a stored notebook'):
        job(api).map([1], then=3)
    with pytest.raises(ValueError, match='when must be one of'):
        job(api).map([1], then='summary', when='sometimes')
    assert api.requests == []


def test_results_carry_the_reduced_value(api):
    api.routes[('POST', '/api/jobs/main/map')] = map_answer(2)
    api.routes[('GET', '/api/jobs/main/results')] = (200, {'task_group': 'c05ecd89', 'results': [1, 4], 'missing': [], 'reduced': 5})
    j = job(api)
    results = j.results()
    assert results == [1, 4] and isinstance(results, list)
    assert results.reduced == 5 and results['reduced'] == 5 and results[1] == 4
    assert j.map([1, 2], then='summary').reduced() == 5


def test_results_without_a_reduce_step():
    r = Results([0, None])
    assert r.reduced is None and r['reduced'] is None and r[0] == 0
    assert then_body({'notebook': 'x', 'when': 'always'}) == {'notebook': 'x', 'when': 'always'}
