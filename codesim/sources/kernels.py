"""The sources' compiled loops: drawing a Markov chain's symbols one after another (each symbol's row is the
context its predecessors left; see :mod:`codesim.sources.markov`)."""

from __future__ import annotations

from .. import jit

#: XOR with this maps unsigned 64-bit order onto signed order (the kernels hold words as int64).
SIGN = -(1 << 63)


@jit.kernel
def sample(words, out, n: int, row: int, size: int, shift: int, mask: int, bound, alias, nxt) -> int:
    """Draw ``out[:n]`` from 64-bit random ``words`` (as int64) in context ``row``; returns the context
    after the last symbol.

    ``nxt[row * size + x]`` is the row after symbol x (a table: a division per symbol costs more than
    the lookup). Each row has an integer alias table of ``mask + 1``
    columns (see :class:`~codesim.sources.iid.AliasTable`): a word's top bits pick the column, and a word
    below the column's bound (compared as unsigned: both sides XORed with SIGN, the bounds beforehand)
    keeps the column's own symbol, else takes its alias. A symbol of probability zero is never drawn.
    """
    for i in range(n):
        w = words[i]
        column = (w >> shift) & mask
        at = row * (mask + 1) + column
        if (w ^ SIGN) < bound[at]:
            x = column
        else:
            x = alias[at]
        out[i] = x
        row = nxt[row * size + x]
    return row
