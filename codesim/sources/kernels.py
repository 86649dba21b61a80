"""The sources' compiled loops: drawing a Markov chain's symbols one after another (each symbol's row is the
context its predecessors left; see :mod:`codesim.sources.markov`)."""

from __future__ import annotations

from .. import jit

#: XOR with this maps unsigned 64-bit order onto signed order (the kernels hold words as int64).
SIGN = -(1 << 63)


@jit.kernel
def sample(words, out, n: int, row: int, size: int, shift: int, mask: int, bound, alias, nxt) -> int:
    """Draw ``out[:n]`` from 64-bit random ``words`` (as int64) starting in ``row``; returns the row
    after the last symbol.

    Each row has an integer alias table of ``mask + 1`` columns (see
    :class:`~codesim.sources.iid.AliasTable`): a word's top bits pick the column, and the word below
    the column's ``bound`` (compared as unsigned) keeps the column's own symbol, else its alias. A
    symbol of probability zero is never drawn, so ``nxt`` (row * size + symbol: the next row) is only
    read where the chain can go.
    """
    for i in range(n):
        w = words[i]
        column = (w >> shift) & mask
        at = row * (mask + 1) + column
        if (w ^ SIGN) < (bound[at] ^ SIGN):
            x = column
        else:
            x = alias[at]
        out[i] = x
        row = nxt[row * size + x]
    return row
