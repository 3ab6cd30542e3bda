import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headway.backlog import ranking
from headway.backlog.ranking import INITIAL, key_between, spread


def test_keys_at_the_ends_step_the_head():
    assert INITIAL == "i0000i"
    assert key_between(None, None) == "i0000i"
    assert key_between("i0000i", None) == "i0001i"
    assert key_between(None, "i0000i") == "hzzzzi"
    assert key_between("hzzzzi", "i0000i") == "i"
    assert key_between("i0000i", "i0001i") == "i0001"
    assert key_between("i0000i", "i0001") == "i0000r"


def test_keys_are_valid_and_refuse_bad_input():
    assert ranking.is_valid("i0000i")
    assert not ranking.is_valid("i0000")  # ends in 0: no room below a longer key
    assert not ranking.is_valid("I0000i")  # capitals sort differently in some collations
    for low, high in (("b", "a"), ("a", "a"), ("a0", None), ("", None), ("A", None)):
        with pytest.raises(ValueError):
            key_between(low, high)


@given(st.lists(st.tuples(st.integers(0, 10_000), st.booleans()), min_size=1, max_size=60))
def test_any_sequence_of_insertions_keeps_a_strict_order(steps):
    keys: list[str] = []
    for where, _ in steps:
        index = where % (len(keys) + 1)
        low = keys[index - 1] if index > 0 else None
        high = keys[index] if index < len(keys) else None
        key = key_between(low, high)
        assert (low is None or low < key) and (high is None or key < high)
        assert ranking.is_valid(key)
        keys.insert(index, key)
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_inserting_at_the_same_spot_grows_keys_slowly():
    low, high = "i0000i", "i0001i"
    for _ in range(100):
        high = key_between(low, high)
    assert len(high) <= 30  # about one character per five moves into one gap
    assert low < high


def test_appending_thousands_keeps_six_characters():
    key = None
    for _ in range(5000):
        key = key_between(key, None)
    assert key == ranking._head_key(ranking.HEAD_LIMIT // 2 + 4999)
    assert len(key) == 6


def test_spread_gives_sorted_evenly_spaced_keys():
    keys = spread(5)
    assert keys == sorted(keys) and len(set(keys)) == 5
    assert all(len(k) == 6 and ranking.is_valid(k) for k in keys)
    assert spread(0) == []
    many = spread(100_000)
    assert many == sorted(many)
    random.seed(3)
    sample = random.sample(many, 50)
    assert all(ranking.is_valid(k) for k in sample)
