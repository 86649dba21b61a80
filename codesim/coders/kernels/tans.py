"""tANS's loops: a stream's states and bits backwards (encoding), and the states forward (decoding).

The decoding table has L = 2^table_log states u, each with its symbol ``symbol[u]``, the bits it reads
``nbits[u]`` and the base of the next state ``base[u]``: after symbol[u], read nbits[u] bits v and go to
state base[u] + v. The encoder runs backwards with states X = u + L in [L, 2L): for symbol s of
frequency f it sends the low nb bits of X, nb = k_s - (X < f << k_s) with k_s = table_log - floor(log2
f), so that y = X >> nb lies in [f, 2f), and goes to L + ``position[start[s] + y - f]``, the state
whose symbol is s and whose rank among s's states is y - f.
"""

from __future__ import annotations

from ... import jit


@jit.kernel
def encode(stream, freqs, shifts, start, position, table_log: int, values, widths) -> int:
    """Each symbol's bits (value, width) into ``values`` and ``widths``, symbol by symbol from the last;
    returns the state the decoder starts in (the last state, less L). The encoder starts in state L,
    which the decoder must end in."""
    size = 1 << table_log
    x = size
    for i in range(len(stream) - 1, -1, -1):
        s = stream[i]
        f = freqs[s]
        k = shifts[s]
        nb = k - (1 if x < (f << k) else 0)
        values[i] = x & ((1 << nb) - 1)
        widths[i] = nb
        x = size + position[start[s] + (x >> nb) - f]
    return x - size


@jit.kernel
def decode(data, end: int, state: int, symbol, nbits, base, out) -> tuple:
    """Decode len(out) symbols from state ``state``, reading bits of ``data`` (big-endian bytes, two
    bytes of zeros after them) from bit 0 up to bit ``end``. Returns (symbols decoded, bits read, final
    state): fewer symbols than asked when the bits run out."""
    pos = 0
    for i in range(len(out)):
        out[i] = symbol[state]
        nb = nbits[state]
        if pos + nb > end:
            return i, pos, state
        at = pos >> 3
        window = (data[at] << 16) | (data[at + 1] << 8) | data[at + 2]
        value = (window >> (24 - (pos & 7) - nb)) & ((1 << nb) - 1)
        pos += nb
        state = base[state] + value
    return len(out), pos, state
