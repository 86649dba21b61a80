"""Decoding a single prefix-code stream, one codeword after another, with a lookup table.

Compiled, this is how every stream is decoded: a single stream whole, a stream in lanes (see
:mod:`codesim.coders.lanes`) lane after lane (:func:`decode_lanes`). A stream can only be decoded
sequentially, and the loop's per-codeword work is a few table lookups, which runs faster than the lanes'
numpy lock-step (each of its steps a dozen numpy calls over all lanes) however many lanes there are. The
code is canonical (see :func:`codesim.coders.prefix_code.canonical_codewords`) with codewords of at most
WINDOW bits. At each position the next WINDOW bits are read (most significant first) as an integer
``window``; its top ``bits`` bits index the tables: ``count``, how many codewords
fit whole in those bits (at most ROW), their symbols in row ``entry`` of ``symbols`` (ROW per row),
the bits they take in ``used``, and the first one's length in ``first_length`` (0 when it has more
than ``bits`` bits, or for bits that start no codeword). A longer codeword is found by canonical
search over the lengths longer than ``bits``, in increasing order: every codeword of at most
``search_lengths[r]`` bits, left-aligned to WINDOW bits, lies below ``search_limit[r]``; the first rank
whose limit is above the window holds the codeword, which is then the
``(window >> (WINDOW - length)) - search_first[r]``-th of its length in canonical order, symbol
``order[search_start[r] + that]``. A window above every limit starts no codeword (an incomplete code).
"""

from __future__ import annotations

from ... import jit

#: Bits read at each position: the longest codeword this decoder takes.
WINDOW = 32
#: The most codewords one row of the tables holds.
ROW = 4
#: What :func:`decode` reports: every symbol decoded, a position that starts no codeword, or a codeword
#: that runs past the stream's end.
DONE, NO_CODEWORD, PAST_END = 0, 1, 2


@jit.kernel
def decode(data, pos: int, size: int, out, n: int, total: int, bits: int, symbols, count, used, first_length,
           search_lengths, search_first, search_limit, search_start, order) -> tuple[int, int, int]:
    """Decode ``out[n:total]`` from the bits of ``data`` from position ``pos`` up to ``size`` (bytes,
    most significant bit first, followed by WINDOW / 8 bytes of anything: a window from a position
    before ``size`` stays inside ``data``).

    Returns (index in ``out`` reached, bit position, status): DONE, or where NO_CODEWORD or PAST_END
    stopped it. A row of several codewords is taken whole only where a whole row of symbols is wanted
    and its codewords end by ``size``, so a stream stops at the same symbol and position as one decoded
    a codeword at a time.
    """
    mask = (1 << WINDOW) - 1
    while n < total:
        if pos == size:  # every codeword has a bit or more (and the window below stays in ``data``)
            return n, pos, PAST_END
        at = pos >> 3
        window = (((data[at] << 32) | (data[at + 1] << 24) | (data[at + 2] << 16) | (data[at + 3] << 8)
                   | data[at + 4]) >> (8 - (pos & 7))) & mask
        entry = window >> (WINDOW - bits)
        many = count[entry]
        if many > 1 and n + ROW <= total and pos + used[entry] <= size:
            row = entry * ROW
            for j in range(ROW):  # the whole row: what is past ``many`` is overwritten next
                out[n + j] = symbols[row + j]
            n += many
            pos += used[entry]
            continue
        length = first_length[entry]
        if length:
            out[n] = symbols[entry * ROW]
        else:
            r = 0
            while r < len(search_limit) and window >= search_limit[r]:
                r += 1
            if r == len(search_limit):
                return n, pos, NO_CODEWORD
            length = search_lengths[r]
            out[n] = order[search_start[r] + (window >> (WINDOW - length)) - search_first[r]]
        pos += length
        if pos > size:
            return n, pos, PAST_END
        n += 1
    return n, pos, DONE


@jit.kernel
def decode_lanes(data, pos: int, stops, ends, out, bits: int, symbols, count, used, first_length, search_lengths,
                 search_first, search_limit, search_start, order) -> tuple[int, int, int, int]:
    """Decode lanes one after another: lane j from where lane j - 1 stopped (the first from ``pos``) to
    bit ``stops[j]`` of ``data``, into ``out`` up to index ``ends[j]``; the tables as for :func:`decode`.

    Returns (lanes decoded, index in ``out`` reached, bit position, status) at the first lane that
    :func:`decode` stops early or whose symbols do not end exactly at its stop (then with status DONE).
    """
    n = 0
    for j in range(len(stops)):
        n, pos, status = decode(data, pos, stops[j], out, n, ends[j], bits, symbols, count, used, first_length,
                                search_lengths, search_first, search_limit, search_start, order)
        if status != DONE or pos != stops[j]:
            return j, n, pos, status
    return len(stops), n, pos, DONE
