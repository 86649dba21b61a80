"""A trie kept in a hash table: the child of a node by a symbol, found or added in O(1).

The universal coders grow trees whose nodes have up to K children (K the alphabet size, up to 2^16):
Lempel-Ziv's dictionary of phrases, a context tree's contexts. A child pointer per symbol would cost K
entries a node, most of them empty; here a node's child by symbol x is stored under the key
``parent * K + x`` in one open-addressing table (linear probing), ``keys`` and ``values`` of a power of
two entries each, a free slot holding key -1. Keys stay below 2^47 (nodes < 2^31, K <= 2^16).

The caller keeps the table at most half full (:func:`capacity` nodes in ``2 * capacity`` slots), so a
probe always meets a free slot and a lookup takes about 1.5 probes; it grows the table with
:func:`rehash` into one twice as large, or stops adding nodes at a bound of its own. Which slot a key
lands in is a matter of speed only: what the coders compute depends on the keys, never on the slots.
"""

from __future__ import annotations

import numpy as np

from ... import jit

#: A free slot's key.
FREE = -1


def table(slots: int) -> tuple[np.ndarray, np.ndarray]:
    """(keys, values) of an empty table of ``slots`` entries (a power of two)."""
    if slots < 2 or slots & (slots - 1):
        raise ValueError(f"a trie table has a power of two entries, at least 2, not {slots}")
    return np.full(slots, FREE, dtype=np.int64), np.zeros(slots, dtype=np.int64)


def capacity(keys) -> int:
    """How many nodes the table ``keys`` holds while at most half full."""
    return len(keys) >> 1


@jit.kernel
def slot_of(keys, key: int) -> int:
    """The slot where ``key`` is stored in ``keys``, or the free slot where it would go.

    The hash multiplies the key's two halves by odd constants, so that the product stays below 2^63
    (exact, as Python's integers are), and folds the high bits down."""
    mask = len(keys) - 1
    h = (key & 0x7FFFFFFF) * 0x9E3779B1 + (key >> 31) * 0x85EBCA77
    slot = (h ^ (h >> 29)) & mask
    while True:
        stored = keys[slot]
        if stored == key or stored == FREE:
            return slot
        slot = (slot + 1) & mask


@jit.kernel
def rehash(keys, values, new_keys, new_values) -> None:
    """Move every entry of (keys, values) into the empty, larger table (new_keys, new_values)."""
    for slot in range(len(keys)):
        key = keys[slot]
        if key != FREE:
            at = slot_of(new_keys, key)
            new_keys[at] = key
            new_values[at] = values[slot]
