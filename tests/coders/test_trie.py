"""The hash-table trie: every key stored is found again, at any load up to half full, after growing, compiled
and interpreted alike."""

import pytest
from hypothesis import given, settings, strategies as st

from codesim.coders.kernels import trie


def store(keys, values, items, slot_of):
    for key, value in items:
        s = slot_of(keys, key)
        if keys[s] == trie.FREE:
            keys[s], values[s] = key, value


@given(st.lists(st.integers(0, (1 << 47) - 1), unique=True, max_size=64), st.integers(7, 9))
@settings(max_examples=60)
def test_keys_stored_are_found_and_absent_keys_land_on_free_slots(keys_in, log_slots):
    keys, values = trie.table(1 << log_slots)
    items = [(k, i) for i, k in enumerate(keys_in[: trie.capacity(keys)])]
    for slot_of in (trie.slot_of, trie.slot_of.py_func):
        keys, values = trie.table(1 << log_slots)
        store(keys, values, items, slot_of)
        assert all(values[slot_of(keys, k)] == v and keys[slot_of(keys, k)] == k for k, v in items)
        assert keys[slot_of(keys, 1 << 47)] == trie.FREE
    grown_keys, grown_values = trie.table(2 * len(keys))
    trie.rehash(keys, values, grown_keys, grown_values)
    assert sorted(zip(grown_keys[grown_keys != trie.FREE].tolist(), grown_values[grown_keys != trie.FREE].tolist())) \
        == sorted(items)
    assert all(grown_values[trie.slot_of(grown_keys, k)] == v for k, v in items)


def test_a_table_is_a_power_of_two():
    with pytest.raises(ValueError):
        trie.table(12)
    assert trie.capacity(trie.table(16)[0]) == 8
