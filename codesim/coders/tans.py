"""Tabled asymmetric numeral systems: scheme ``tans`` (parameter ``table_log``, default 11).

tANS (Duda 2013; Collet's FSE, the entropy coder of zstd) codes with a table of L = 2^table_log states.
q is quantised to frequencies f summing to L (:func:`.frequencies.quantise`, as for ``arithmetic``), and
the L states are shared out among the symbols, f(s) each, by zstd's spread: from position 0, every
symbol's states in turn at steps of L/2 + L/8 + 3 modulo L (an odd step, so every position is met once;
``FSE_buildCTable`` in zstd's lib/compress/fse_compress.c uses the same step). A state's symbol, and
the bits the decoder reads there, make the decoding table (:mod:`.kernels.tans`); the encoder runs the
stream backwards and emits, per symbol, the few low bits of its state that the decoder will read.

The stream: the decoder's first state in table_log bits, then each symbol's bits in order. The encoder
starts in state 0 (as the decoder sees it), which the decoder must end in: with the bits' exact
count, any other ending is refused, so a bit string decodes to one stream at most.

What it costs: a tANS code spends about -log2 of q quantised to the table per symbol, H(p, q_hat), and
a little more or less, as the states a symbol is coded from are not spread exactly in proportion to
their probabilities. So its loss over H(p, q) splits into the **quantisation** of q to the table,
H(p, q_hat) - H(p, q), and the **spread's** own loss, E_p[bits] - H(p, q_hat)
(:meth:`TansCode.loss_split`). E_p[bits] is exact: the encoder's state is a Markov chain on the L
states when the symbols are i.i.d. from p (each symbol moves the state deterministically, with the
number of bits it emits), so E_p[bits] = sum over states of pi(X) sum_s p(s) bits(X, s), pi the
chain's stationary distribution, found by power iteration of the lazy chain (:meth:`expected_length`;
None where K x L passes 2^22 entries).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray

from .. import jit
from ..errors import ConfigError, DecodeError, SchemeError
from ..measures import cross_entropy, entropy
from ..sources.iid import index_dtype
from .frequencies import FrequencyCoder, quantise
from .kernels import tans as kernel
from .registry import Param, Scheme, register

DEFAULT_TABLE_LOG = 11
#: zstd's spread needs L >= 32 (below, its step L/2 + L/8 + 3 can wrap onto itself); the decoder reads
#: at most table_log bits a symbol from a 24-bit window.
MIN_TABLE_LOG, MAX_TABLE_LOG = 5, 16
#: The most symbols one message may hold (README, "Decode time"): both loops take a Python step per
#: symbol without the ``fast`` extra: 2^22 symbols encode in 1.1 to 2.0 s and decode in 1.2 to 2.7 s
#: here (256 symbols at table_log 16 the slowest); compiled, decoding takes 0.02 to 0.08 s.
MAX_SYMBOLS = 1 << 22
#: The most (symbol, state) pairs the exact expected length iterates over.
MAX_CHAIN_ENTRIES = 1 << 22


def check_states(size: int, table_log: int) -> None:
    """Refuse an alphabet with more symbols than the table has states (each symbol needs one)."""
    if size > 1 << table_log:
        needed = (size - 1).bit_length()
        advice = (f"use table_log >= {needed}" if needed <= MAX_TABLE_LOG
                  else f"tans codes at most 2^{MAX_TABLE_LOG} = {1 << MAX_TABLE_LOG} symbols")
        raise SchemeError(f"scheme 'tans': table_log={table_log} gives {1 << table_log} states, fewer than the "
                          f"{size} symbols; {advice}")


def spread(freqs: np.ndarray, table_log: int) -> np.ndarray:
    """zstd's spread: each symbol's states, symbol after symbol, at steps of L/2 + L/8 + 3 modulo L."""
    size = 1 << table_log
    step = (size >> 1) + (size >> 3) + 3
    positions = (np.arange(size, dtype=np.int64) * step) & (size - 1)
    table = np.empty(size, dtype=np.int64)
    table[positions] = np.repeat(np.arange(freqs.size), freqs)
    return table


class TansCode(FrequencyCoder):
    """tANS over a table of 2^table_log states (see the module notes).

    >>> code = TansCode.build(np.array([0.7, 0.2, 0.1]), 5)
    >>> code.freqs.tolist(), code.table[:8].tolist()
    ([23, 6, 3], [0, 0, 0, 0, 1, 0, 0, 0])
    >>> code.decode(code.encode(np.array([0, 0, 1, 2, 0])), 5).tolist()
    [0, 0, 1, 2, 0]
    """

    max_symbols = MAX_SYMBOLS
    max_precision: ClassVar[int] = MAX_TABLE_LOG

    def __init__(self, freqs, precision: int, scheme: str = "tans", params: dict[str, Any] | None = None,
                 version: int = 1):
        super().__init__(freqs, precision, scheme, {"table_log": precision} if params is None else params)
        if self.precision < MIN_TABLE_LOG:
            raise ConfigError(f"a tANS table has 2^{MIN_TABLE_LOG} states or more, not 2^{self.precision}")
        L, freqs = 1 << self.precision, self.freqs.astype(np.int64)
        self.table = spread(freqs, self.precision)
        # A state's rank among its symbol's states (in position order) gives the value x in [f, 2f) that
        # the decoder scales back up to the next state.
        order = np.argsort(self.table, kind="stable")
        rank = np.empty(L, dtype=np.int64)
        rank[order] = np.arange(L) - self.starts[self.table[order]]
        x = freqs[self.table] + rank
        self.nbits = self.precision - np.floor(np.log2(x)).astype(np.int64)
        self.base = (x << self.nbits) - L
        self.position = order  # position[start[s] + r]: the state of rank r among s's
        self.shifts = self.precision - np.floor(np.log2(freqs)).astype(np.int64)

    @classmethod
    def build(cls, q: np.ndarray, table_log: int) -> "TansCode":
        q = np.asarray(q, dtype=np.float64)
        check_states(q.size, table_log)
        return cls(quantise(q, table_log), table_log)

    # -- coding -----------------------------------------------------------------------------------
    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        out = bitarray(endian="big")
        if self.size == 1 or stream.size == 0:
            return out
        values, widths = jit.scratch(stream.size), jit.scratch(stream.size)
        first = kernel.encode(jit.plain(stream.astype(np.int64, copy=False)), *(jit.plain(a) for a in (
            self.freqs.astype(np.int64), self.shifts, self.starts, self.position)), self.precision, values, widths)
        out.extend(format(first, f"0{self.precision}b"))
        values, widths = np.asarray(values, dtype=np.int64), np.asarray(widths, dtype=np.int64)
        shifts = np.arange(MAX_TABLE_LOG - 1, -1, -1, dtype=np.int64)
        for lo in range(0, stream.size, 1 << 18):  # a bit matrix of 16 columns per symbol, a chunk at a time
            v, w = values[lo : lo + (1 << 18)], widths[lo : lo + (1 << 18)]
            keep = shifts[None, :] < w[:, None]
            digits = ((v[:, None] >> shifts[None, :]) & 1)[keep].astype(np.uint8)
            out.extend(bitarray(digits.tolist()) if digits.size < 64 else _bits(digits))
        return out

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        if not isinstance(bits, bitarray):
            raise DecodeError(f"expected a bitarray of encoded bits, got {type(bits).__name__}")
        n = int(n)
        dtype = index_dtype(self.size)
        if self.size == 1 or n == 0:
            if len(bits):
                raise DecodeError(f"trailing bits: {n} symbols here code in 0 bits, the stream has {len(bits)}")
            return np.zeros(n, dtype=dtype)
        if len(bits) < self.precision:
            raise DecodeError(f"the stream is too short: its first state needs {self.precision} bits, it has "
                              f"{len(bits)}")
        state = int(bits[: self.precision].to01(), 2)
        rest = bits[self.precision :]
        data = np.frombuffer(rest.tobytes() + bytes(3), dtype=np.uint8).astype(np.int64)
        out = jit.scratch(n)
        done, read, last = kernel.decode(jit.plain(data), len(rest), state, *(jit.plain(a) for a in (
            self.table, self.nbits, self.base)), out)
        if done < n:
            raise DecodeError(f"the stream is too short: its bits run out after {done} of {n} symbols")
        if read != len(rest):
            raise DecodeError(f"trailing bits: {n} symbols end after {read + self.precision} bits, the stream "
                              f"has {len(bits)}")
        if last != 0:
            raise DecodeError(f"the bits are not an encoding of {n} symbols: they end in state {last}, not 0")
        return np.asarray(out, dtype=dtype)

    def bit_bounds(self, n: int) -> tuple[int, int] | None:
        """The first state, and at most table_log bits a symbol."""
        if self.size == 1 or n == 0:
            return 0, 0
        return self.precision, self.precision * (n + 1)

    # -- what the code costs ----------------------------------------------------------------------
    def expected_length(self, p) -> float | None:
        """E_p[bits per symbol], exact from the stationary distribution of the encoder's states (module
        notes); None where the chain has more than MAX_CHAIN_ENTRIES (symbol, state) pairs."""
        p = np.asarray(getattr(p, "probs", p), dtype=np.float64)
        if self.size == 1:
            return 0.0
        L = 1 << self.precision
        if self.size * L > MAX_CHAIN_ENTRIES:
            return None
        X = np.arange(L, 2 * L, dtype=np.int64)[None, :]
        f = self.freqs.astype(np.int64)[:, None]
        k = self.shifts[:, None]
        nb = k - (X < (f << k))
        nxt = self.position[self.starts[:, None] + (X >> nb) - f]  # the next state, less L
        pi = np.full(L, 1.0 / L)
        for _ in range(100_000):
            moved = np.zeros(L)
            for s in np.flatnonzero(p):
                np.add.at(moved, nxt[s], p[s] * pi)
            new = 0.5 * (pi + moved)  # the lazy chain: the same stationary distribution, no period
            if np.abs(new - pi).max() < 1e-15:
                pi = new
                break
            pi = new
        return float(np.sum(pi[None, :] * p[:, None] * nb))

    def code_divergence(self, p) -> float | None:
        """The expected excess over H(p): E_p[bits] - H(p) (the code has no lengths of its own)."""
        expected = self.expected_length(p)
        return None if expected is None else max(0.0, expected - entropy(np.asarray(getattr(p, "probs", p))))

    def loss_split(self, p, q) -> tuple[float, float] | None:
        """(quantisation, spread): H(p, q_hat) - H(p, q), and E_p[bits] - H(p, q_hat) (module notes)."""
        expected = self.expected_length(p)
        if expected is None:
            return None
        hat = cross_entropy(p, self.implied)
        return hat - cross_entropy(p, np.asarray(getattr(q, "probs", q), dtype=np.float64)), expected - hat

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        """As every frequency table's, with ``precision`` the parameter table_log, at least 2^5 states."""
        super().check_table({**config}, {}, size)
        if config["precision"] != params["table_log"]:
            raise ConfigError(f"field 'coder.precision' is {config['precision']} but 'coder.params.table_log' is "
                              f"{params['table_log']}", corrupt=True)

    def __repr__(self) -> str:
        return f"TansCode(size={self.size}, table_log={self.precision})"


def _bits(digits: np.ndarray) -> bitarray:
    """0/1 bytes as a bitarray."""
    out = bitarray(endian="big")
    out.pack(digits.tobytes())
    return out


TANS = register(
    Scheme(
        name="tans",
        summary="tabled ANS (zstd's FSE): q quantised to 2^table_log states spread as zstd does; spends "
                "about -log2 of the quantised q per symbol",
        build=lambda q, table_log: TansCode.build(q, table_log),
        restore=TansCode.from_config,
        serves=lambda size, table_log: check_states(size, table_log),
        params=(Param("table_log", int, DEFAULT_TABLE_LOG, "the table has 2^table_log states, at least the "
                      "alphabet's size", minimum=MIN_TABLE_LOG, maximum=MAX_TABLE_LOG),),
    )
)
