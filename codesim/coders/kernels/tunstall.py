"""Tunstall's loops: parsing a stream into dictionary words, and writing words back as symbols.

The dictionary is a complete tree: internal node 0 is the root, and every internal node has all K
children, each an internal node or a leaf. ``child[v * K + x]`` is the child of internal node v by
symbol x: its index when it is internal (> 0), or -1 - j when it is leaf j (a word of the dictionary).
``parent[v]`` and ``symbol[v]`` give internal node v's parent and the symbol that leads to it, ``depth[v]``
its depth; leaf j is the child of internal node ``leaf_parent[j]`` by symbol ``leaf_symbol[j]``.
"""

from __future__ import annotations

from ... import jit


@jit.kernel
def parse(stream, child, size: int, out) -> tuple:
    """The leaves the stream parses into, in ``out`` (room for one per symbol); returns (words written,
    the internal node the stream ends in: 0 when it ends on a word's end)."""
    node = 0
    m = 0
    for i in range(len(stream)):
        c = child[node * size + stream[i]]
        if c > 0:
            node = c
        else:
            out[m] = -1 - c
            m += 1
            node = 0
    return m, node


@jit.kernel
def expand(words, n: int, leaf_parent, leaf_symbol, parent, symbol, depth, out) -> int:
    """Write the words' symbols into ``out`` (n entries), the last word cut at n; returns how many
    symbols the words hold in all, or -1 when they end before n. Each word is written from its last
    symbol back through its internal nodes' parents."""
    at = 0
    for i in range(len(words)):
        j = words[i]
        v = leaf_parent[j]
        end = at + depth[v] + 1  # a leaf below internal node v has depth[v] + 1 symbols
        k = end - 1
        if k < n:
            out[k] = leaf_symbol[j]
        while v > 0:
            k -= 1
            if k < n:
                out[k] = symbol[v]
            v = parent[v]
        at = end
    return at if at >= n else -1
