"""LZ78's loops: the parse of a message into phrases (the encoder) and the reading and expanding of the
phrases' fields (the decoder); :mod:`codesim.coders.lz78` specifies the code.

The dictionary is a trie kept in :mod:`.trie`'s hash table: phrase j's node is j, the phrase that
extends node p by symbol x is stored under the key ``p * K + x``. The decoder keeps the phrases as
parent pointers instead: phrase j is phrase ``parent[j]`` followed by symbol ``last[j]``, ``length[j]``
symbols in all, and is written out backwards from its last symbol.
"""

from __future__ import annotations

from ... import jit
from .trie import slot_of

#: parse's state: the next symbol to read, the node of the phrase read so far, phrases coded, nodes.
AT, NODE, PHRASES, NODES = 0, 1, 2, 3
#: decode's outcomes.
DONE, PAST_END, BAD_INDEX, BAD_SYMBOL, PAST_N, KNOWN = 0, 1, 2, 3, 4, 5
#: decode's state: the bit position, the phrases in the dictionary (the empty phrase counted), the
#: symbols written.
POS, ENTRIES, WRITTEN = 0, 1, 2


@jit.kernel
def parse(stream, size: int, keys, values, room: int, state, prefixes, symbols) -> None:
    """Continue the parse of ``stream`` from ``state``: each phrase is the longest phrase in the trie
    (``keys``, ``values``) followed by one more symbol, and is recorded as ``prefixes[i]`` (its
    prefix's node) and ``symbols[i]`` (the new symbol), then added as node ``state[NODES]``. Stops at
    the stream's end, or when the trie holds ``room`` nodes (the caller grows the table and calls
    again). At the end, a phrase already in the trie is recorded with symbol -1."""
    at, node, phrases, nodes = state[AT], state[NODE], state[PHRASES], state[NODES]
    n = len(stream)
    while at < n and nodes < room:
        key = node * size + stream[at]
        at += 1
        slot = slot_of(keys, key)
        if keys[slot] == key:
            node = values[slot]
        else:
            keys[slot] = key
            values[slot] = nodes
            nodes += 1
            prefixes[phrases] = node
            symbols[phrases] = key - node * size
            phrases += 1
            node = 0
    if at == n and node != 0:
        prefixes[phrases] = node
        symbols[phrases] = -1
        phrases += 1
        node = 0
    state[AT], state[NODE], state[PHRASES], state[NODES] = at, node, phrases, nodes


@jit.kernel
def read_field(data, nbits: int, pos: int, width: int) -> int:
    """The ``width``-bit unsigned integer at bit ``pos`` of ``data`` (bytes, first bit most
    significant), or -1 if it would end past the first ``nbits`` bits."""
    end = pos + width
    if end > nbits:
        return -1
    if width == 0:
        return 0
    stop = (end + 7) >> 3
    acc = 0
    for b in range(pos >> 3, stop):
        acc = (acc << 8) | data[b]
    return (acc >> (8 * stop - end)) & ((1 << width) - 1)


@jit.kernel
def decode(data, nbits: int, size: int, symbol_bits: int, out, parent, last, length, keys, state) -> int:
    """Read phrases from bit 0 of ``data`` (``nbits`` bits) until the ``len(out)`` symbols are written;
    an outcome (DONE or the first failure), and in ``state`` where it stopped.

    Phrase j's index takes ceil(log2 j) bits, j the entries in the dictionary, and must be below j;
    its symbol ``symbol_bits`` bits, below ``size``; a phrase that would end exactly at the message's
    end has no symbol. A phrase already in the dictionary (its key in the trie ``keys``) is refused:
    the encoder would have read on, so only the bits it writes decode. ``parent``, ``last`` and
    ``length`` need an entry for the empty phrase and for each phrase the bits can hold (phrase j's
    fields are read before it is added, so no more are ever added), ``keys`` a free slot beyond
    those."""
    n = len(out)
    pos = 0
    written = 0
    entries = 1
    width = 0  # ceil(log2 entries)
    length[0] = 0
    status = DONE
    while written < n:
        index = read_field(data, nbits, pos, width)
        if index < 0 or index >= entries:
            status = PAST_END if index < 0 else BAD_INDEX
            break
        pos += width
        prefix = length[index]
        if written + prefix > n:
            status = PAST_N
            break
        end = written + prefix
        if end < n:
            x = read_field(data, nbits, pos, symbol_bits)
            if x < 0 or x >= size:
                status = PAST_END if x < 0 else BAD_SYMBOL
                break
            key = index * size + x
            slot = slot_of(keys, key)
            if keys[slot] == key:
                status = KNOWN
                break
            keys[slot] = key
            pos += symbol_bits
            out[end] = x
            parent[entries] = index
            last[entries] = x
            length[entries] = prefix + 1
            if entries & (entries - 1) == 0:  # entries a power of two: one more bit from the next phrase
                width += 1
            entries += 1
        node = index
        at = end - 1
        while node != 0:
            out[at] = last[node]
            node = parent[node]
            at -= 1
        written = end + 1 if end < n else end
    state[POS], state[ENTRIES], state[WRITTEN] = pos, entries, written
    return status
