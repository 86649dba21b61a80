"""Decoding prefix-code streams, one codeword after another, with a lookup table.

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
#: Lanes :func:`decode_lanes` decodes together (a constant, so that the compiled loop over them is
#: unrolled): two ran 1.3 to 1.5 times as fast as one lane at a time on both bench sources, and three,
#: four or eight no faster than two.
GROUP = 2
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
    while n < total:
        if pos == size:  # every codeword has a bit or more (and the window below stays in ``data``)
            return n, pos, PAST_END
        window = _window(data, pos)
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
            out[n], length = _search(window, search_lengths, search_first, search_limit, search_start, order)
            if length == 0:
                return n, pos, NO_CODEWORD
        pos += length
        if pos > size:
            return n, pos, PAST_END
        n += 1
    return n, pos, DONE


@jit.kernel
def decode_lanes(data, pos: int, stops, ends, out, positions, indices, bits: int, symbols, count, used,
                 first_length, search_lengths, search_first, search_limit, search_start, order
                 ) -> tuple[int, int, int, int]:
    """Decode lanes: lane j from where lane j - 1 ends (the first from ``pos``) to bit ``stops[j]`` of
    ``data``, into ``out`` up to index ``ends[j]``; the tables as for :func:`decode`.

    The lanes go in groups of GROUP (``positions`` and ``indices``, GROUP entries each, hold where each
    lane of the group is in ``data`` and ``out``): one codeword or row of each lane of the group in turn,
    while every one of them is a row and a window short of its end, so that the group's lookups overlap
    in the processor where a single stream's wait for one another; then :func:`decode` finishes each
    lane in order. A step far from the end is the step :func:`decode`
    takes there, so the result is that of decoding lane after lane: (lanes decoded, index in ``out``
    reached, bit position, status) at the first lane that :func:`decode` stops early or whose symbols
    do not end exactly at its stop (then with status DONE).
    """
    lanes, n, j = len(stops), 0, 0
    while j + GROUP <= lanes:
        for k in range(GROUP):
            positions[k] = stops[j + k - 1] if k else pos
            indices[k] = ends[j + k - 1] if k else n
        going = True
        while going:
            for k in range(GROUP):
                if indices[k] + ROW > ends[j + k] or positions[k] + WINDOW > stops[j + k]:
                    going = False
            for k in range(GROUP if going else 0):
                at, i = positions[k], indices[k]
                window = _window(data, at)
                entry = window >> (WINDOW - bits)
                many = count[entry]
                if many > 1:
                    row = entry * ROW
                    for r in range(ROW):
                        out[i + r] = symbols[row + r]
                    indices[k] = i + many
                    positions[k] = at + used[entry]
                    continue
                length = first_length[entry]
                if length:
                    out[i] = symbols[entry * ROW]
                else:
                    out[i], length = _search(window, search_lengths, search_first, search_limit, search_start,
                                             order)
                    if length == 0:  # left for :func:`decode` to find
                        going = False
                        break
                indices[k] = i + 1
                positions[k] = at + length
        for k in range(GROUP):
            n, pos, status = decode(data, positions[k], stops[j + k], out, indices[k], ends[j + k], bits, symbols,
                                    count, used, first_length, search_lengths, search_first, search_limit,
                                    search_start, order)
            if status != DONE or pos != stops[j + k]:
                return j + k, n, pos, status
        j += GROUP
    for j in range(j, lanes):  # the lanes left over, one at a time
        n, pos, status = decode(data, pos, stops[j], out, n, ends[j], bits, symbols, count, used, first_length,
                                search_lengths, search_first, search_limit, search_start, order)
        if status != DONE or pos != stops[j]:
            return j, n, pos, status
    return lanes, n, pos, DONE


@jit.kernel
def _window(data, pos: int) -> int:
    """The WINDOW bits of ``data`` from bit ``pos`` on, as an integer."""
    at = pos >> 3
    return (((data[at] << 32) | (data[at + 1] << 24) | (data[at + 2] << 16) | (data[at + 3] << 8) | data[at + 4])
            >> (8 - (pos & 7))) & ((1 << WINDOW) - 1)


@jit.kernel
def _search(window: int, search_lengths, search_first, search_limit, search_start, order) -> tuple[int, int]:
    """(symbol, length) of the codeword longer than the table's bits that starts ``window``, by canonical
    search; length 0 if no codeword starts it."""
    r = 0
    while r < len(search_limit) and window >= search_limit[r]:
        r += 1
    if r == len(search_limit):
        return 0, 0
    length = search_lengths[r]
    return order[search_start[r] + (window >> (WINDOW - length)) - search_first[r]], length
