import pytest

from nbgrid.client.params import map_body, to_json_value


class FakeScalar:
    """Looks like numpy.int64: has .item()."""

    def __init__(self, v):
        self.v = v

    def item(self):
        return self.v


class FakeArray:
    """Looks like numpy.ndarray: has .tolist() (and .item(), which must not be preferred)."""

    def __init__(self, rows):
        self.rows = rows

    def tolist(self):
        return self.rows

    def item(self):
        raise AssertionError('tolist() should be used for arrays')

    def __iter__(self):
        return iter(FakeScalar(r) for r in self.rows)


def test_range_is_sent_compactly():
    assert map_body(range(3)) == {'range': {'start': 0, 'stop': 3, 'step': 1}}
    assert map_body(range(10, 0, -3)) == {'range': {'start': 10, 'stop': 0, 'step': -3}}


def test_empty_inputs_are_rejected():
    with pytest.raises(ValueError, match='nothing to map'):
        map_body(range(0))
    with pytest.raises(ValueError, match='nothing to map'):
        map_body([])


def test_lists_tuples_dicts_and_generators():
    assert map_body([1, 'a', None, True, 2.5]) == {'params': [1, 'a', None, True, 2.5]}
    assert map_body([(1, 2), {'k': (3, [4])}]) == {'params': [[1, 2], {'k': [3, [4]]}]}
    assert map_body((x for x in 'ab')) == {'params': ['a', 'b']}
    assert map_body(zip([1, 2], ['x', 'y'])) == {'params': [[1, 'x'], [2, 'y']]}


def test_numpy_like_values_are_converted_without_numpy():
    assert to_json_value(FakeScalar(7)) == 7
    assert to_json_value({'a': FakeArray([[1, 2], [3, 4]])}) == {'a': [[1, 2], [3, 4]]}
    # an array as the iterable itself
    assert map_body(FakeArray([1.5, 2.5])) == {'params': [1.5, 2.5]}
    assert map_body([FakeScalar(True), FakeScalar(FakeScalar(3))]) == {'params': [True, 3]}


def test_numbers_and_key_order_are_kept_exactly_for_json_text():
    # Issue 14: values reach the kernel through json.loads, so nothing needs to fit a JavaScript number.
    import json
    values = [2 ** 53 + 1, 10 ** 30, -(2 ** 70), 1.0, -0.0, 1, {'2': 'b', '1': 'a', '10': 'c'}]
    body = map_body(values)
    assert json.dumps(body) == (
        '{"params": [9007199254740993, 1000000000000000000000000000000, -1180591620717411303424, '
        '1.0, -0.0, 1, {"2": "b", "1": "a", "10": "c"}]}')


def test_bool_stays_bool_not_int():
    out = to_json_value([True, False])
    assert out == [True, False] and all(type(v) is bool for v in out)


@pytest.mark.parametrize('bad, words', [
    ({1, 2}, 'set, which has no order'),
    (frozenset([1]), 'frozenset, which has no order'),
    (b'raw', 'bytes'),
    (object(), 'object'),
    ({1: 'a'}, "key 1 (int)"),
    (float('nan'), 'no NaN'),
    (float('inf'), 'no NaN or infinity'),
])
def test_non_json_values_are_rejected_with_a_message_naming_the_fix(bad, words):
    with pytest.raises(ValueError) as info:
        map_body([0, {'x': [bad]}])
    msg = str(info.value)
    assert words in msg
    assert "[1]['x'][0]" in msg  # where it is


def test_set_as_the_iterable_is_rejected():
    with pytest.raises(ValueError, match='sorted'):
        map_body({1, 2, 3})


def test_dict_str_and_non_iterables_are_rejected_with_advice():
    with pytest.raises(ValueError, match='items'):
        map_body({'a': 1})
    with pytest.raises(ValueError, match='list of parameters'):
        map_body('abc')
    with pytest.raises(ValueError, match='finite iterable'):
        map_body(42)


def test_cycles_are_rejected_but_shared_values_are_fine():
    shared = [1]
    assert map_body([shared, shared]) == {'params': [[1], [1]]}
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match='cycle'):
        map_body([loop])


def test_floats_are_kept():
    assert to_json_value(0.1) == 0.1
    assert type(to_json_value(3.0)) is float and to_json_value(-0.0) == 0.0


def test_real_numpy_values_when_numpy_is_installed():
    np = pytest.importorskip('numpy', reason='numpy is not installed in this environment')
    body = map_body(np.arange(3))
    assert body == {'params': [0, 1, 2]} and all(type(v) is int for v in body['params'])
    assert map_body([np.float64(1.5), np.bool_(True), np.array([[1, 2]]), np.int32(4)]) == {
        'params': [1.5, True, [[1, 2]], 4]}
    with pytest.raises(ValueError, match='NaN'):
        map_body([np.float64('nan')])
    with pytest.raises(ValueError, match='NaN'):
        map_body([np.array([1.0, np.inf])])
