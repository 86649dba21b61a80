"""Interleaved range asymmetric numeral systems (rANS): about -log2(f(x) / 2^precision) bits per symbol.

rANS (Duda 2013, "Asymmetric numeral systems") keeps the message in one integer state x. Coding symbol s
with frequency f and cumulative start c maps x to C(s, x) = (x // f) * M + x % f + c, M = 2^precision,
which grows x by a factor of about M / f; decoding reads s back from the slot x % M and undoes the step.
The encoder runs backwards over the stream, so that the decoder, reading forwards, gets symbols in order.

Version 2 (configs with ``"version": 2``; every coder built now): 64-bit states and 32-bit words, as in
Giesen's rans64 (ryg_rans). A lane's state stays in [2^31, 2^63), so it fits int64 (see
:mod:`codesim.jit`): before coding s the encoder moves the state's low 32 bits out when
x >= (2^31 / M) * f * 2^32, and the decoder moves a word in when the state falls below 2^31. As
M <= 2^16 <= 2^32, at most one word moves per symbol. Symbol i goes to lane i mod L (Giesen 2014,
"Interleaved entropy coders"); the lanes are independent chains in one compiled loop
(:mod:`.kernels.rans`), so the processor overlaps their work.

With a model with memory, scheme ``rans`` builds a :class:`ContextRansCoder`: each context's row
quantised as q is (:mod:`.context_frequencies`), each symbol coded with its context's frequency and
start, in the version-2 bitstream below, whose length bound holds with I summed over those.

Bitstream, version 2 (big-endian throughout; no header, no length)::

    state of lane 0, 1, ..., L-1      64 bits each (the encoder's final states, the decoder's first)
    word, word, ...                   32 bits each, in the order the decoder reads them: symbol by
                                      symbol, each symbol's word after it is decoded, when its lane's
                                      state fell below 2^31

Every lane starts encoding at 2^31 and the decoder must end there; a first state outside
[2^31, 2^63), another final state, too few or too many bits raise :class:`~codesim.errors.DecodeError`.

Lanes: ``L = min(lanes, ceil(n / 8192))`` (:data:`SYMBOLS_PER_LANE`), derived by the decoder from n and
the ``lanes`` parameter (default 4). A lane's final state costs 64 bits, less the 0 to 32 bits of the
message it holds (about 48 on average), so one lane per 8192 symbols keeps that under 0.008 bits per
symbol on the shortest streams and four lanes cost 2.4e-4 at 2^20 symbols. Four because more add little
speed: measured here at 10^7 symbols and precision 14, 1, 2, 4 and 8 lanes encode 140, 270, 340 and 370
million symbols/s and decode 110, 175, 275 and 300.

Length bound. Let I = sum over the stream of log2(M / f(x)) (the ideal length under the quantised model).
Before coding s a lane's state x is in [(2^31 / M) f, (2^31 / M) f 2^32) (renormalised), and
C(s, x) <= (M / f) x + c < (M / f)(x + f), so a step grows log2 x by less than
log2(M / f) + eps with eps = log2(1 + f / x) <= log2(1 + 2^(precision - 31)); a word moved out lowers it by
at least 32. A lane starts at 2^31 and ends at least there, so its words hold at most its share of
I + n eps, and the stream is shorter than ``I + n * log2(1 + 2^(precision-31)) + 64 * L`` bits. At
precision 16 eps is below 4.5e-5 bits (a worst case; the rounding averages far less), so the final
states are nearly all the overhead: with the default four lanes, under 0.001 bits per symbol from 2^19
symbols on (measured at 2^20: 1.7e-4 to 2.4e-4 on the NASA and Zipf-256 sources).

Precision (version 2): 1 to 16, as in version 1. The state interval would allow 31, but the decoder
looks a slot's symbol, frequency and offset up in a table of 2^precision entries (640 KB at 16, within
this machine's 1 MB of L2 per core), and at 16 the quantisation of a Zipf-256 model costs under 3e-6
bits per symbol, far below the final states.

Version 1 (configs without ``version``, written before version 2): 32-bit states, 16-bit words, one lane
per 4096 symbols up to ``lanes``, run in lock-step by numpy; :mod:`.rans_v1` keeps its format and
code, so such files decode and re-encode to the same bytes.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray

from .. import jit
from ..sources.iid import index_dtype
from ..errors import CodesimError, DecodeError
from .base import running_totals, trace_columns_with
from .config import versioned
from . import rans_v1
from .context_frequencies import ContextFrequencyCoder
from .frequencies import FrequencyCoder, check_slots, quantise
from .kernels import rans as kernel
from .kernels.rans import STATE_LOW, WORD_BITS
from .registry import Param, Scheme, register

STATE_BITS = 64
MAX_PRECISION = 16
DEFAULT_PRECISION = 14
DEFAULT_LANES = 4
MAX_LANES = 1 << 16
#: A version-2 stream gets one lane per this many symbols (at most ``lanes``). Part of the format.
SYMBOLS_PER_LANE = 1 << 13
#: The most symbols one version-2 message may hold. The limit must hold for a plain install, where the
#: decoder's loop runs as Python: 0.65 microseconds a symbol here alone, so the worst 2^22 symbols
#: found take 2.6 to 2.8 s, 4.4 to 6.1 s on the shared machine (compiled: 0.03 to 0.12 s).
MAX_MESSAGE_SYMBOLS = 1 << 22
#: The config versions (bitstream formats) rans reads; it writes the last. A config without ``version``
#: is version 1.
VERSIONS = (1, 2)


class RansCoder(FrequencyCoder):
    """Interleaved rANS over quantised frequencies ``freqs`` (summing to 2^precision); ``version`` is the
    bitstream's (2 for every coder built now, 1 for a config read without one).

    >>> coder = RansCoder(quantise(np.array([0.5, 0.3, 0.2]), 8), 8)
    >>> coder.decode(coder.encode(np.array([0, 2, 1, 0])), 4).tolist()
    [0, 2, 1, 0]
    """

    versions: ClassVar[tuple[int, ...]] = VERSIONS

    def __init__(self, freqs, precision: int, scheme: str = "rans", params: dict[str, Any] | None = None,
                 version: int = VERSIONS[-1]):
        if isinstance(precision, bool) or not isinstance(precision, (int, np.integer)) or not (
            1 <= precision <= MAX_PRECISION
        ):
            raise CodesimError(f"rans precision is {precision!r}: it must be an integer from 1 to {MAX_PRECISION}")
        if version not in VERSIONS:
            raise CodesimError(f"rans version is {version!r}: it must be one of {', '.join(map(str, VERSIONS))}")
        precision = int(precision)
        params = lanes_params(params, precision)
        super().__init__(freqs, precision, scheme, params)
        self.lanes = params["lanes"]
        self.version = version
        self.symbol_dtype = index_dtype(self.size)
        #: How many symbols earn a lane (see :data:`SYMBOLS_PER_LANE`); both sides must agree on it.
        self.symbols_per_lane = SYMBOLS_PER_LANE if version == 2 else rans_v1.SYMBOLS_PER_LANE
        if version == 1:
            self._legacy = rans_v1.LegacyLanes(self.freqs, self.starts, precision, self.symbol_dtype)
            return
        f = self.freqs
        self._encode_tables = encode_tables(f, self.starts, precision)
        # By slot: the symbol, its frequency, and the slot's offset within the symbol's range.
        symbol = np.repeat(np.arange(self.size), f)
        self._decode_tables = (jit.plain(symbol.astype(self.symbol_dtype)), jit.plain(f[symbol].astype(np.int32)),
                               jit.plain((np.arange(1 << precision) - self.starts[symbol]).astype(np.int32)))

    def get_config(self) -> dict[str, Any]:
        return versioned(super().get_config(), self.version)

    def symbol_limit(self) -> int:
        if self.version == 1:
            return min(self.max_symbols, self.lanes * rans_v1.MAX_ROWS)
        return min(self.max_symbols, MAX_MESSAGE_SYMBOLS)

    def _limit_reason(self) -> str:
        if self.version == 1:
            return f" with lanes={self.lanes} ({rans_v1.MAX_ROWS} decoding steps of one symbol per lane)"
        return ""

    def lanes_for(self, n: int) -> int:
        """Lanes used for a stream of n symbols: one per ``symbols_per_lane``, at least 1, at most ``lanes``."""
        return max(1, min(self.lanes, -(-n // self.symbols_per_lane)))

    # -- looking inside ---------------------------------------------------------------------------
    trace_note: ClassVar[str] = ("each symbol's lane and the exact information -log2(f/2^P) it adds to that "
                                 "lane's state; rANS interleaves its lanes' words, so a symbol has no bits of its own")
    trace_columns = trace_columns_with(("lane", "lane"), ("cost_bits", "cost"))
    bench_peers: ClassVar[tuple[str, ...]] = ("constriction ans",)

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """Each symbol's lane and its exact cost -log2(f / 2^P)."""
        costs = self.ideal_costs(model)
        label = alphabet.__getitem__
        lanes = self.lanes_for(stream.size)
        steps = []
        for i, s in enumerate(stream[:limit].tolist()):
            cost = self.precision - math.log2(int(self.freqs[s]))
            steps.append(({"index": i, "symbol": label(s), "lane": i % lanes, "cost_bits": cost}, cost,
                          float(costs[s])))
        return running_totals(steps, "total_cost")

    # -- encoding and decoding ----------------------------------------------------------------------
    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        n = int(stream.size)
        if n == 0:
            return bitarray(endian="big")
        lanes = self.lanes_for(n)
        if self.version == 1:
            return self._legacy.encode(stream, lanes)
        # The kernel takes the stream in its own integer type (converting 10^7 symbols would cost a
        # quarter of the encoding), except uint64, which numba would mix with int64 into floats.
        symbols = stream.astype(np.int64) if stream.dtype == np.uint64 else stream
        return encode_lanes(symbols, lanes, self.precision, self._encode_tables)

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        n = message_count(bits, n)
        if n == 0:
            return np.empty(0, dtype=self.symbol_dtype)
        lanes = self.lanes_for(n)
        if self.version == 1:
            return self._legacy.decode(bits, n, lanes)
        words, count, states, out = read_lanes(bits, n, lanes, self.symbol_dtype)
        read = kernel.decode(words, count, states, out, self.precision, *self._decode_tables)
        if read < 0:
            too_short(n, len(bits), -1 - read)
        return lanes_ended(bits, n, lanes, read, count, states, out)


class ContextRansCoder(ContextFrequencyCoder):
    """Interleaved rANS over per-context frequencies (:mod:`.context_frequencies`): symbol x in context
    c is coded with its row's f(x | c) and start, in the version-2 bitstream (lanes, words, final
    states and the length bound as the i.i.d. coder's, with I = sum of log2(2^P / f(x | c))).

    >>> from codesim.sources.markov import MarkovChain
    >>> chain = MarkovChain.from_transitions([[0.9, 0.1], [0.2, 0.8]])
    >>> coder = ContextRansCoder.from_model(chain, 8, "rans", {"lanes": 4})
    >>> coder.decode(coder.encode(np.array([0, 0, 1, 1, 0])), 5).tolist()
    [0, 0, 1, 1, 0]

    It lives here, not in a module of its own, because the scheme registered below names it.
    """

    versions: ClassVar[tuple[int, ...]] = (2,)
    max_precision: ClassVar[int] = MAX_PRECISION
    symbols_per_lane = SYMBOLS_PER_LANE
    lanes_for = RansCoder.lanes_for

    def __init__(self, contexts, freqs, precision: int, scheme: str = "rans", params: dict[str, Any] | None = None,
                 version: int = VERSIONS[-1]):
        if version not in self.versions:
            raise CodesimError(f"a rans context code has version {self.versions[-1]}, not {version!r}")
        super().__init__(contexts, freqs, precision, scheme, lanes_params(params, precision))
        self.lanes = self.params["lanes"]
        self.version = version
        self.symbol_dtype = index_dtype(self.size)

    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        if stream.size == 0:
            return bitarray(endian="big")
        return encode_lanes(self.flat_symbols(stream), self.lanes_for(stream.size), self.precision,
                            self._encode_tables)

    @cached_property
    def _encode_tables(self) -> tuple:
        return encode_tables(self.flat_freqs, self.flat_starts, self.precision)

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        n = message_count(bits, n)
        if n == 0:
            return np.empty(0, dtype=self.symbol_dtype)
        lanes = self.lanes_for(n)
        words, count, states, out = read_lanes(bits, n, lanes, self.symbol_dtype)
        done, read = kernel.decode_context(words, count, states, out, self.precision, *self.decode_args())
        if done < n:
            if read > count:
                too_short(n, len(bits), done)
            raise DecodeError(f"corrupt rans stream: it decodes to a symbol the model rules out before "
                              f"position {done}")
        return lanes_ended(bits, n, lanes, read, count, states, out)

    def __repr__(self) -> str:
        return (f"ContextRansCoder(size={self.size}, order={self.contexts.order}, rows={self.contexts.rows}, "
                f"precision={self.precision}, lanes={self.lanes})")


def message_count(bits: bitarray, n) -> int:
    """n as an int >= 0; DecodeError for a negative count, or for bits given for 0 symbols."""
    n = int(n)
    if n < 0:
        raise DecodeError(f"cannot decode {n} symbols")
    if n == 0 and len(bits):
        raise DecodeError(f"0 symbols use 0 bits, but the stream has {len(bits)} (trailing bits)")
    return n


def lanes_params(params: dict[str, Any] | None, precision: int) -> dict[str, Any]:
    """A rans coder's params, ``lanes`` checked (default :data:`DEFAULT_LANES`) and ``precision`` set."""
    if params is not None and not isinstance(params, dict):
        raise CodesimError(f"a coder's params are a table of name = value, got {params!r}")
    params = dict(params or {})
    lanes = params.get("lanes", DEFAULT_LANES)
    if isinstance(lanes, bool) or not isinstance(lanes, (int, np.integer)) or not 1 <= lanes <= MAX_LANES:
        raise CodesimError(f"rans lanes is {lanes!r}: it must be an integer from 1 to {MAX_LANES}")
    params.update(lanes=int(lanes), precision=precision)
    return params


def encode_tables(freqs: np.ndarray, starts: np.ndarray, precision: int) -> tuple:
    """The encoding kernel's tables by entry (:func:`.kernels.rans.encode`): f, start, bound, 1 / f, as
    arrays (:func:`encode_lanes` hands them to the kernel)."""
    # A state at or above the bound moves a word out first; one symbol alone (f = 2^precision) would
    # have 2^63, and 2^63 - 1 does as well: its state never leaves 2^31.
    bound = np.minimum(freqs.astype(np.uint64) * np.uint64(STATE_LOW >> precision << WORD_BITS),
                       np.uint64((1 << 63) - 1)).astype(np.int64)
    return freqs, starts, bound, 1.0 / freqs


def encode_lanes(symbols: np.ndarray, lanes: int, precision: int, tables: tuple) -> bitarray:
    """The version-2 bitstream of ``symbols``, entries of the encoding ``tables``, in ``lanes`` lanes."""
    states, words = jit.scratch(lanes), jit.scratch(symbols.size + 1, np.uint32)
    first = kernel.encode(jit.plain(symbols), lanes, precision, *map(jit.plain, tables), states, words)
    out = bitarray(endian="big")
    out.frombytes(np.asarray(states, dtype=np.int64).astype(">u8").tobytes())
    out.frombytes(np.asarray(words[first:], dtype=np.uint32).astype(">u4").tobytes())
    return out


def read_lanes(bits: bitarray, n: int, lanes: int, dtype) -> tuple:
    """(words, count, states, out) for a decoding kernel: the stream's words with a 0 after them, their
    count, the lanes' first states, and room for n symbols; DecodeError for a stream that cannot hold
    n symbols in ``lanes`` lanes, before any work.
    """
    have = len(bits)
    head = lanes * STATE_BITS
    if have < head:
        raise DecodeError(f"truncated rans stream: {n} symbols in {lanes} lane(s) need at least {head} bits "
                          f"for the final states, has {have}")
    if have % WORD_BITS:
        raise DecodeError(f"the rans stream has {have} bits, not a whole number of {WORD_BITS}-bit words "
                          "(trailing bits)")
    raw = bitarray(bits, endian="big").tobytes() if bits.endian != "big" else bits.tobytes()
    first = np.frombuffer(raw, dtype=">u8", count=lanes)
    wrong = np.flatnonzero((first < STATE_LOW) | (first >= 1 << 63))
    if wrong.size:
        raise DecodeError(f"lane {wrong[0]} starts in state {first[wrong[0]]}, outside [2^31, 2^63): not a "
                          "rans stream of this code")
    count = (have - head) // WORD_BITS
    if count > n:  # refused before any work: a symbol moves at most one word
        raise DecodeError(f"{n} symbols use at most {head + n * WORD_BITS} bits, but the rans stream has "
                          f"{have} (trailing bits, or corrupt)")
    words = np.zeros(count + 1, dtype=np.uint32)  # the kernel's last slot, a 0 (see .kernels.rans)
    words[:count] = np.frombuffer(raw, dtype=">u4", offset=head // 8)
    states = jit.plain(first.astype(np.int64))
    try:
        out = jit.scratch(n, dtype)
    except (MemoryError, ValueError, OverflowError):  # an absurd size, refused by numpy or by Python
        raise DecodeError(f"cannot hold {n} decoded symbols in memory") from None
    return jit.plain(words), count, states, out


def too_short(n: int, have: int, at: int) -> None:
    """The DecodeError of a decoding kernel that ran out of words at symbol ``at``."""
    raise DecodeError(f"rans stream too short (truncated or corrupt): decoding {n} symbols needs at least "
                      f"{have + WORD_BITS} bits, has {have} (ran out at symbol {at})")


def lanes_ended(bits: bitarray, n: int, lanes: int, read: int, count: int, states, out) -> np.ndarray:
    """The decoded symbols, if the kernel read every word and left every lane in its initial state."""
    if read != count:
        raise DecodeError(f"{n} symbols use {lanes * STATE_BITS + read * WORD_BITS} bits, but the rans stream "
                          f"has {len(bits)} (trailing bits, or corrupt)")
    ended = np.asarray(states, dtype=np.int64)
    wrong = np.flatnonzero(ended != STATE_LOW)
    if wrong.size:
        raise DecodeError(f"corrupt rans stream: lane {wrong[0]} ends in state {ended[wrong[0]]}, not the "
                          f"initial state {STATE_LOW} ({wrong.size} of {lanes} lanes wrong)")
    return np.asarray(out)


def rans_coder(q: np.ndarray, lanes: int = DEFAULT_LANES, precision: int = DEFAULT_PRECISION) -> RansCoder:
    """The rans coder for model q: frequencies quantised to 2^precision, up to ``lanes`` lanes."""
    check_slots("rans", np.asarray(q).size, precision, MAX_PRECISION)
    return RansCoder(quantise(q, precision), precision, "rans", {"lanes": lanes, "precision": precision})


RANS = register(
    Scheme(
        name="rans",
        summary="interleaved rANS over quantised q: -log2 q(x) a symbol, plus 64 bits a lane per message",
        build=rans_coder,
        restore=RansCoder.from_config,
        context=lambda model, lanes, precision: ContextRansCoder.from_model(
            model, precision, "rans", {"lanes": lanes, "precision": precision}),
        context_coder=ContextRansCoder,
        serves=lambda size, lanes, precision: check_slots("rans", size, precision, MAX_PRECISION),
        groups=("stream", "default"),
        params=(
            Param("lanes", int, DEFAULT_LANES,
                  f"most interleaved lanes; a stream uses one per {SYMBOLS_PER_LANE} symbols",
                  minimum=1, maximum=MAX_LANES),
            Param("precision", int, DEFAULT_PRECISION,
                  "frequency bits: q is quantised to counts summing to 2^precision",
                  minimum=1, maximum=MAX_PRECISION),
        ),
    )
)
