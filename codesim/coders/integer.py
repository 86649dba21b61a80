"""The universal integer codes: unary, Elias gamma, delta and omega, Fibonacci, exp-Golomb, Golomb and Rice.

They code a symbol's *value*, its label, so the alphabet's labels must be non-negative integers (up to
:data:`MAX_VALUE`). ``unary`` (n ones, then a zero), ``golomb``, ``rice`` and ``exp-golomb`` code n >= 0
itself; the Elias codes and ``fibonacci``, defined on the positive integers, code n + 1. Codewords are
the textbook ones, most significant bit first, not canonical ones:

- Golomb with parameter m: q = n div m in unary, then r = n mod m in truncated binary (with
  b = ceil(log2 m), r < 2^b - m in b - 1 bits, else r + 2^b - m in b bits). Rice with k: m = 2^k.
- exp-Golomb with k: x = n + 2^k written in binary, after as many zeros as x has bits beyond k + 1.
- Elias gamma: x = n + 1 in binary after one zero per bit beyond the first; delta: the bit count of
  x in gamma, then x's bits after its leading one; omega: the groups of the recursion x, then the
  bit count of x less one, and so on down to a group of two bits, then a 0.
- Fibonacci: the Zeckendorf digits of n + 1 over 1, 2, 3, 5, 8, ..., least first, then a 1 (so every
  codeword ends in 11).

Each codeword is a run (of ones for unary, Golomb and Rice; of zeros for exp-Golomb, gamma and delta;
none otherwise) and then a field of at most 62 bits, which is how the encoder writes them all at once.
They are prefix codes, so their lengths give the Kraft sum c, the implied distribution
r = 2^-l / c and E_p[l] = H(p) + D(p||r) + log2(1/c), as for :class:`~.prefix_code.PrefixCode`.

``golomb`` with m = 0 (its default) chooses m from the model q: for a geometric q of ratio theta the
least m with theta^m + theta^(m+1) <= 1 (Gallager and van Voorhis 1975: the optimal Golomb code of
that geometric); for any other q the same rule for the geometric of q's mean mu, theta = mu / (1 + mu).
The config records the m chosen, so a file decodes without the model.

Config: ``{"scheme", "params", "values"}``, ``values`` the label of each symbol (distinct integers
from 0 to MAX_VALUE, none with a codeword over :data:`MAX_CODEWORD_BITS` bits).
Bitstream: the symbols' codewords one after another.
"""

from __future__ import annotations

import math
import operator
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray

from .. import jit
from ..errors import CodesimError, ConfigError, DecodeError, SchemeError, show_value
from ..sources.iid import index_dtype
from .base import Coder, running_totals, table_columns_with, trace_columns_with
from .config import check_count, field, int_list
from .kernels import integer as kernel
from .lanes import WordPacker
from .registry import Param, Scheme, register

#: The largest value coded: every codeword's field then fits in 62 bits (Fibonacci's 59, omega's 53).
MAX_VALUE = (1 << 40) - 1
#: The longest codeword an alphabet may have: unary over 65536 values takes 65536 bits.
MAX_CODEWORD_BITS = 1 << 20
#: The largest Golomb m (and 2^k of Rice), and the largest exp-Golomb k.
MAX_M = 1 << 40
MAX_K = 40
#: What decoding a symbol costs the interpreted kernel, in the time it takes to read a bit on its own
#: (about 0.8 us): a few for the symbol itself, one for each bit read one at a time (at most the
#: codeword's fields and short runs, :data:`SLOW_BITS`), a 32nd for each bit of a long run, skipped a byte
#: at a time. A message's cost stays within BIT_BUDGET of them (measured: README, "Decode time").
SYMBOL_COST = 3
SLOW_BITS = 128
BIT_BUDGET = 1 << 22
#: Codewords longer than this show in ``inspect`` as their ends around the count of bits left out.
SHOWN_BITS = 48
#: Symbols, and bits, the encoder writes at once (its arrays hold a few bytes per bit).
ENCODE_CHUNK = 1 << 16
ENCODE_CHUNK_BITS = 1 << 24

#: The Fibonacci numbers 1, 2, 3, 5, ... below 2^62, the weights of a Fibonacci codeword's digits.
FIBONACCI = np.array([1, 2], dtype=np.int64)
while FIBONACCI[-1] + FIBONACCI[-2] < 1 << 62:
    FIBONACCI = np.append(FIBONACCI, FIBONACCI[-1] + FIBONACCI[-2])


def bit_length(x: np.ndarray) -> np.ndarray:
    """The bits of each positive integer below 2^53 (exact: frexp's exponent of an exact double)."""
    return np.frexp(x.astype(np.float64))[1].astype(np.int64)


def _unary(n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return n, np.zeros_like(n), np.ones_like(n)


def _golomb(n: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q, r = np.divmod(n, m)
    b = (m - 1).bit_length()
    cutoff = (1 << b) - m
    short = r < cutoff
    width = np.where(short, b - 1, b) if b else np.zeros_like(n)
    return q, np.where(short, r, r + cutoff), width + 1  # the field starts with unary's closing 0


def _exp_golomb(n: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = n + (1 << k)
    width = bit_length(x)
    return width - k - 1, x, width


def _gamma(n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _exp_golomb(n, 0)


def _delta(n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = n + 1
    low = bit_length(x) - 1
    zeros, count, count_width = _gamma(low)  # gamma of low + 1 = the bit count of x
    return zeros, (count << low) | (x - (np.int64(1) << low)), count_width + low


def _omega(n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = n + 1
    word, width = np.zeros_like(n), np.ones_like(n)  # the closing 0
    while np.any(x > 1):
        more = x > 1
        bits = np.where(more, bit_length(np.maximum(x, 1)), 0)
        word = np.where(more, (x << width) | word, word)
        width = width + bits
        x = np.where(more, bits - 1, x)
    return np.zeros_like(n), word, width


def _fibonacci(n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = n + 1
    top = np.searchsorted(FIBONACCI, x, side="right") - 1  # the largest digit used
    width = top + 2
    word = np.ones_like(n)  # the closing 1, after the digit of FIBONACCI[top]
    for j in range(int(top.max()), -1, -1):  # greedy: the largest Fibonacci number that fits, first
        digit = (top >= j) & (x >= FIBONACCI[j])
        x = np.where(digit, x - FIBONACCI[j], x)
        word = word | (digit.astype(np.int64) << (width - 1 - j))
    return np.zeros_like(n), word, width


#: scheme -> (kernel kind, the bit of its run, its codewords' (run, field, field width) for values n).
CODES = {
    "unary": (kernel.UNARY, 1, lambda n, p: _unary(n)),
    "golomb": (kernel.GOLOMB, 1, lambda n, p: _golomb(n, p["m"])),
    "rice": (kernel.GOLOMB, 1, lambda n, p: _golomb(n, 1 << p["k"])),
    "exp-golomb": (kernel.EXP_GOLOMB, 0, lambda n, p: _exp_golomb(n, p["k"])),
    "elias-gamma": (kernel.GAMMA, 0, lambda n, p: _gamma(n)),
    "elias-delta": (kernel.DELTA, 0, lambda n, p: _delta(n)),
    "elias-omega": (kernel.OMEGA, 0, lambda n, p: _omega(n)),
    "fibonacci": (kernel.FIBONACCI, 0, lambda n, p: _fibonacci(n)),
}


def gallager_van_voorhis(theta: float) -> int:
    """The least m >= 1 with theta^m + theta^(m+1) <= 1: the optimal Golomb code of the geometric
    P(n) = (1 - theta) theta^n (Gallager and van Voorhis 1975), at most MAX_M."""
    if not 0 <= theta < 1:
        raise SchemeError(f"a geometric's ratio is from 0 to below 1, not {theta!r}")
    if theta == 0:
        return 1
    # theta^m (1 + theta) <= 1  <=>  m >= -log(1 + theta) / log(theta); then step past rounding.
    m = max(1, math.ceil(-math.log1p(theta) / math.log(theta) - 1e-9))
    while m > 1 and theta ** (m - 1) * (1 + theta) <= 1:
        m -= 1
    while theta ** m * (1 + theta) > 1 and m < MAX_M:
        m += 1
    return min(m, MAX_M)


def golomb_m(q, probs: np.ndarray, values: np.ndarray) -> int:
    """Golomb's m for the model q: Gallager and van Voorhis for a geometric q (``q.family ==
    "geometric"``, ``q.parameter`` its ratio), else their rule for the geometric of q's mean."""
    if getattr(q, "family", None) == "geometric":
        return gallager_van_voorhis(float(q.parameter))
    mean = float(np.dot(probs, values.astype(np.float64)) / probs.sum())
    return gallager_van_voorhis(mean / (1 + mean))


def integer_values(labels, scheme: str) -> np.ndarray:
    """The alphabet's labels as the values an integer code codes: a SchemeError naming the first label
    that is not an integer from 0 to MAX_VALUE."""
    for i, label in enumerate(labels):
        if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)) \
                or not 0 <= label <= MAX_VALUE:
            raise SchemeError(f"scheme {scheme!r} codes a symbol's value: its labels are integers from 0 to "
                              f"2^40 - 1, and label {show_value(label)} (alphabet entry {i}, counting from 0) is not")
    return np.array([int(v) for v in labels], dtype=np.int64)


class IntegerCode(Coder):
    """A universal integer code over an alphabet of integer labels.

    >>> code = IntegerCode("elias-gamma", {}, [0, 1, 2, 3])
    >>> [code.codeword(i) for i in range(4)]
    ['1', '010', '011', '00100']
    >>> code.decode(code.encode(np.array([3, 0, 2])), 3).tolist()
    [3, 0, 2]
    """

    def __init__(self, scheme: str, params: dict[str, Any], values):
        self.scheme = scheme
        self.params = dict(params)
        self.values = np.array(values, dtype=np.int64)
        self.values.setflags(write=False)
        self._kind, self._run_bit, codewords = CODES[scheme]
        self._run, self._field, self._width = codewords(self.values, self.params)
        self.lengths = self._run + self._width
        self.lengths.setflags(write=False)
        self._shortest, self._longest = int(self.lengths.min()), int(self.lengths.max())
        if self._longest > MAX_CODEWORD_BITS:
            i = int(np.argmax(self.lengths))
            raise SchemeError(f"scheme {scheme!r}: value {int(self.values[i])}'s codeword takes {self._longest} "
                              f"bits, over the limit of {MAX_CODEWORD_BITS}")

    # -- facts about the code -----------------------------------------------------------------
    @property
    def size(self) -> int:
        return int(self.values.size)

    @cached_property
    def log2_kraft(self) -> float:
        """log2 of the Kraft sum c = sum 2^-l (a codeword may be too long for 2^-l to be a double)."""
        return -self._shortest + math.log2(float(np.exp2(self._shortest - self.lengths).sum()))

    @property
    def kraft_sum(self) -> float:
        return 2.0 ** self.log2_kraft

    @property
    def implied(self) -> np.ndarray:
        r = np.exp2(self._shortest - self.lengths.astype(np.float64))
        return r / r.sum()

    def expected_length(self, p) -> float:
        """sum_x p(x) l(x), exactly."""
        return float(np.dot(np.asarray(getattr(p, "probs", p), dtype=np.float64), self.lengths))

    def code_divergence(self, p) -> float:
        """D(p||r) = sum p(x) log2(p(x) / r(x)) with log2 r(x) = -l(x) - log2 c, from the lengths (r(x)
        of a long codeword is below the smallest double)."""
        pv = np.asarray(getattr(p, "probs", p), dtype=np.float64)
        support = pv > 0
        terms = pv[support] * (np.log2(pv[support]) + self.lengths[support] + self.log2_kraft)
        return max(0.0, float(terms.sum()))

    def codeword(self, i: int) -> str:
        """Symbol i's codeword as a string of 0s and 1s."""
        width = int(self._width[i])
        return str(self._run_bit) * int(self._run[i]) + format(int(self._field[i]), f"0{width}b")

    def symbol_limit(self) -> int:
        cost = SYMBOL_COST + min(self._longest, SLOW_BITS) + self._longest // 32
        return min(self.max_symbols, BIT_BUDGET // cost)

    def _limit_reason(self) -> str:
        return f" (codewords of up to {self._longest} bits)"

    def lanes_for(self, n: int) -> int:
        """Lanes a stream of n symbols is split into: one, always (the codewords one after another)."""
        return 1

    def bit_bounds(self, n: int) -> tuple[int, int]:
        return int(n) * self._shortest, int(n) * self._longest

    # -- coding ---------------------------------------------------------------------------------
    @cached_property
    def _packer(self) -> WordPacker | None:
        """The prefix codes' packer (64-bit word arithmetic, a table of symbol pairs over up to 256
        symbols) where every codeword fits 64 bits; None otherwise (unary on a long tail)."""
        if self._longest > 64:
            return None
        codes = [((((1 << r) - 1) if self._run_bit else 0) << w) | f
                 for r, w, f in zip(self._run.tolist(), self._width.tolist(), self._field.tolist())]
        return WordPacker(codes, self.lengths)

    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        if self._packer is not None:
            return self._packer.pack(stream)[0]
        out = bitarray(endian="big")
        ends = np.cumsum(self.lengths[stream])
        start = 0
        while start < stream.size:
            before = int(ends[start - 1]) if start else 0
            stop = int(np.searchsorted(ends, before + ENCODE_CHUNK_BITS, side="right"))
            stop = min(max(stop, start + 1), start + ENCODE_CHUNK)
            out += self._encode_chunk(stream[start:stop])
            start = stop
        return out

    def _encode_chunk(self, symbols: np.ndarray) -> bitarray:
        """The codewords of some symbols: their runs set as a cumulative sum of +1 at each run's start
        and -1 at its end, then every field's bits placed at once."""
        run, width, value = self._run[symbols], self._width[symbols], self._field[symbols]
        ends = np.cumsum(run + width)
        starts = ends - run - width
        total = int(ends[-1]) if ends.size else 0
        if self._run_bit:
            step = np.zeros(total + 1, dtype=np.int8)
            some = run > 0
            step[starts[some]] = 1
            step[(starts + run)[some]] = -1
            bits = np.cumsum(step[:-1], dtype=np.int8).astype(np.uint8)
        else:
            bits = np.zeros(total, dtype=np.uint8)
        each = np.repeat(width, width)
        offset = np.arange(each.size) - np.repeat(np.cumsum(width) - width, width)
        bits[np.repeat(starts + run, width) + offset] = (np.repeat(value, width) >> (each - 1 - offset)) & 1
        out = bitarray(endian="big")
        out.frombytes(np.packbits(bits).tobytes())
        del out[total:]
        return out

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        n = operator.index(n)
        if n < 0:
            raise DecodeError(f"cannot decode {n} symbols")
        least, most = self.bit_bounds(n)
        if not least <= len(bits) <= most:  # before anything of size n is allocated
            raise DecodeError(f"{n} symbols of this code take {least} to {most} bits, but the stream has "
                              f"{len(bits)} (truncated, extended, or the wrong symbol count)")
        big = bits if bits.endian == "big" else bitarray(bits, endian="big")
        data = np.frombuffer(big.tobytes(), dtype=np.uint8)
        out = jit.scratch(n)
        done, pos, status = kernel.decode(jit.plain(data), len(bits), n, self._kind, self._kernel_param,
                                          self._longest, jit.plain(FIBONACCI), *self._lookup, out)
        if status == kernel.PAST_END:
            raise DecodeError(f"the bits run out inside symbol {done} of {n} (truncated stream)")
        if status == kernel.TOO_LONG:
            raise DecodeError(f"symbol {done}: the bits at position {pos} are no codeword of this code's "
                              f"alphabet (longer than its longest, {self._longest} bits)")
        if status == kernel.NOT_IN_ALPHABET:
            raise DecodeError(f"symbol {done}: the codeword ending at bit {pos} codes a value outside the "
                              "alphabet")
        if pos != len(bits):
            raise DecodeError(f"{n} symbols use {pos} bits, but the stream has {len(bits)}")
        return np.asarray(out, dtype=np.int64).astype(index_dtype(self.size))

    @cached_property
    def _kernel_param(self) -> int:
        if self.scheme == "golomb":
            return self.params["m"]
        if self.scheme == "rice":
            return 1 << self.params["k"]
        return self.params.get("k", 0)

    @cached_property
    def _lookup(self) -> tuple:
        """The values sorted and their symbol indices, as the kernel's binary search reads them."""
        order = np.argsort(self.values, kind="stable")
        return jit.plain(self.values[order]), jit.plain(order.astype(np.int64))

    def prepare(self, n: int) -> None:
        self.decode(self.encode(np.zeros(1, dtype=np.uint8)), 1)

    # -- serialisation --------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "params": dict(self.params), "values": self.values.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "IntegerCode":
        return cls(config["scheme"], config["params"], config["values"])

    config_fields: ClassVar[tuple[str, ...]] = ("values",)

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        if params.get("m") == 0:
            raise ConfigError(f"{field('params.m')} is 0: a file records the m chosen from the model",
                              corrupt=True)
        values = int_list(config["values"], "values", "values")
        check_count(len(values), size, "values")
        for i, v in enumerate(values):
            if not 0 <= v <= MAX_VALUE:
                raise ConfigError(f"{field('values')} entry {i + 1} is {show_value(v)}: values are integers "
                                  f"from 0 to 2^40 - 1", corrupt=True)
        array = np.array(values, dtype=np.int64)
        repeated = np.flatnonzero(np.diff(np.sort(array)) == 0)
        if repeated.size:
            raise ConfigError(f"{field('values')} holds {int(np.sort(array)[repeated[0]])} twice: values are "
                              "distinct", corrupt=True)
        run, _, width = CODES[config["scheme"]][2](array, params)
        longest = int((run + width).max())
        if longest > MAX_CODEWORD_BITS:
            raise ConfigError(f"{field('values')}: a codeword takes {longest} bits, over the limit of "
                              f"{MAX_CODEWORD_BITS}", corrupt=True)

    # -- looking inside ---------------------------------------------------------------------------
    trace_note: ClassVar[str] = "each symbol's value and codeword, at the bit position where it starts"
    table_columns = table_columns_with(("codeword", "codeword"), ("length", "length"))
    trace_columns = trace_columns_with(("position", "bit pos"), ("codeword", "codeword"), ("bits", "bits"),
                                       total=("total_bits", "bits so far"))

    def shown_codeword(self, i: int) -> str:
        """Symbol i's codeword, or for a long one its ends around the count of bits left out."""
        length = int(self.lengths[i])
        if length <= SHOWN_BITS:
            return self.codeword(i)
        run = str(self._run_bit) * min(int(self._run[i]), SHOWN_BITS // 2)
        word = run + format(int(self._field[i]), f"0{int(self._width[i])}b")[-SHOWN_BITS // 2:]
        head, tail = word[:SHOWN_BITS // 2], word[-SHOWN_BITS // 2:]
        return f"{head}...({length - len(head) - len(tail)} bits)...{tail}"

    def table_entry(self, i: int) -> dict[str, Any]:
        return {"codeword": self.shown_codeword(i), "length": int(self.lengths[i])}

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """Each symbol's codeword at the bit position where it starts."""
        costs = self.ideal_costs(model)
        label = alphabet.__getitem__
        position = 0
        steps = []
        for i, s in enumerate(stream[:limit].tolist()):
            length = int(self.lengths[s])
            steps.append(({"index": i, "symbol": label(s), "position": position, "codeword": self.shown_codeword(s),
                           "bits": length}, length, float(costs[s])))
            position += length
        return running_totals(steps, "total_bits")

    bench_peers: ClassVar[tuple[str, ...]] = ("bitarray",)

    def __repr__(self) -> str:
        return f"IntegerCode(scheme={self.scheme!r}, params={self.params}, size={self.size})"


def _build(scheme: str):
    def build(probs: np.ndarray, model=None, **params: Any) -> IntegerCode:
        labels = getattr(model, "alphabet", None) if model is not None else None
        values = integer_values(range(probs.size) if labels is None else labels, scheme)
        if scheme == "golomb" and params["m"] == 0:
            params = {**params, "m": golomb_m(model, probs, values)}
        return IntegerCode(scheme, params, values)
    return build


def _integer_scheme(name: str, summary: str, params: tuple[Param, ...] = ()) -> Scheme:
    return register(Scheme(name=name, summary=summary, build=_build(name), restore=IntegerCode.from_config,
                           params=params, groups=("integer",), takes_model=True))


K = Param("k", int, 0, "the code's k (exp-Golomb: x = n + 2^k; Rice: m = 2^k)", minimum=0, maximum=MAX_K)
UNARY = _integer_scheme("unary", "n >= 0 as n ones then a zero: optimal for the geometric of ratio 1/2")
ELIAS_GAMMA = _integer_scheme("elias-gamma", "Elias gamma of n + 1: its binary after a zero per bit beyond the "
                              "first, 2 floor(log2(n + 1)) + 1 bits")
ELIAS_DELTA = _integer_scheme("elias-delta", "Elias delta of n + 1: the bit count of n + 1 in gamma, then its bits "
                              "after the leading one")
ELIAS_OMEGA = _integer_scheme("elias-omega", "Elias omega of n + 1: the bit counts of the bit counts, recursively, "
                              "then n + 1, then a 0")
FIBONACCI_CODE = _integer_scheme("fibonacci", "the Zeckendorf digits of n + 1, least first, then a 1: every "
                                 "codeword ends in 11")
EXP_GOLOMB = _integer_scheme("exp-golomb", "exp-Golomb of n >= 0 with k: n + 2^k in binary after a zero per bit "
                             "beyond k + 1", (K,))
GOLOMB = _integer_scheme("golomb", "Golomb of n >= 0 with m: n div m in unary, n mod m in truncated binary; "
                         "m = 0 chooses m from the model", (Param("m", int, 0, "Golomb's m (0: chosen from the model)",
                                                                  minimum=0, maximum=MAX_M),))
RICE = _integer_scheme("rice", "Golomb with m = 2^k: n >> k in unary, then its k low bits", (K,))
