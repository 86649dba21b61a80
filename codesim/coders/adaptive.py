"""Adaptive coders: no model q, the code learns the distribution from the symbols it has already coded.

Two schemes, both one-pass: encoder and decoder start from the same initial model and update it after
every symbol in the same way, so the decoder always holds the model the encoder coded the next symbol
with, and nothing but the alphabet size has to be agreed in advance.

``adaptive-arithmetic``
    A range coder whose model is the add-alpha estimator: after counts c(x) of the symbols seen so far,
    the next symbol x is coded with probability (c(x) + alpha) / (t + k alpha), t = sum c. alpha = 1/2
    is the Krichevsky-Trofimov (KT) estimator (the default), alpha = 1 Laplace's rule of succession.
``adaptive-huffman``
    Vitter's algorithm Lambda (one-pass dynamic Huffman coding): a Huffman tree of the counts so far,
    updated in place after every symbol; a symbol's first occurrence is sent as an escape.

What the Coder contract means for a scheme without q
----------------------------------------------------
``build(q, **params)`` uses q only for the alphabet size k. ``implied`` is the uniform distribution:
the initial model, the one the first symbol is coded with. ``expected_length(p)`` is the limit of
bits per symbol as the stream grows: H(p) for adaptive-arithmetic, whose estimate of p converges to p;
for adaptive-huffman, the expected length of the Huffman code of p, which is what its tree converges
to. At a finite length n the excess of adaptive-arithmetic's bits over n H(empirical) is the
estimator's *regret*, about (k-1)/2 log2 n bits in total (:meth:`AdaptiveArithmeticCoder.regret_bound`).
``code_divergence(p)`` is 0: no model is assumed that could diverge from p. ``get_config()`` is
``{"scheme", "params", "size": k}``: there is no table, the decoder rebuilds the same initial model.

A message starts from the initial model: ``codesim run`` codes a long stream in blocks (``--block``),
each a message of its own, so each block is learnt afresh and pays its own regret.

Speed
-----
Adaptive coding is sequential by nature (symbol i is coded with the model after symbols 0..i-1, and the
decoder cannot know symbol i+1's model before it has decoded symbol i), so unlike the other coders these
run a Python loop per symbol, kept tight (lists, local names, no objects per symbol). They are meant for
showing how learning costs bits, not for long streams: on the 8-symbol NASA source at n = 10^5 they
code about 0.7 to 3 million symbols per second, the static coders tens of millions.
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_left
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray
from bitarray.util import int2ba

from ..sources.iid import index_dtype
from ..errors import CodesimError, DecodeError, SchemeError
from ..measures import entropy
from .arithmetic import _CarryOutput, _read_digits, _termination, check_ending
from .base import Coder
from .prefix import huffman_lengths
from .registry import Param, Scheme, get, register

#: The largest alphabet: both coders keep a few Python lists of this length (a tree of 2k nodes).
MAX_ALPHABET = 1 << 20
#: The most symbols one adaptive-arithmetic message may hold over up to LARGE_ALPHABET symbols, and
#: half that over more (README, "Decode time"): its decoder takes a Python step per symbol, 0.6 million
#: symbols a second here over 256 symbols and 0.18 million over 65536 (alpha = 1000, a random stream).
MAX_ARITHMETIC_SYMBOLS = 1 << 20
LARGE_ALPHABET = 256
#: adaptive-huffman's limits: its tree update slides a node past a block of nodes of equal weight, which
#: can hold nearly every symbol seen, so a step costs about 1 microsecond plus 20 to 70 ns per distinct
#: symbol seen. So at most MAX_HUFFMAN_SYMBOLS for alphabets up to SMALL_ALPHABET symbols, and beyond
#: that HUFFMAN_WORK / k, but never fewer than MIN_HUFFMAN_SYMBOLS (n symbols see at most n distinct).
MAX_HUFFMAN_SYMBOLS = 1 << 20
SMALL_ALPHABET = 64
HUFFMAN_WORK = 1 << 26
MIN_HUFFMAN_SYMBOLS = 1 << 13
#: Symbols per step of the loops: bounds the scratch lists whatever the stream length.
SYMBOL_CHUNK = 1 << 16
#: alpha is used as the nearest fraction with at most this denominator (see AdaptiveArithmeticCoder).
MAX_ALPHA_DENOMINATOR = 1 << 16
MIN_ALPHA, MAX_ALPHA = 1e-4, 1e3


def check_size(scheme: str, size: int) -> None:
    """Refuse an alphabet larger than the adaptive coders' tables take."""
    if size > MAX_ALPHABET:
        raise SchemeError(f"scheme {scheme!r} codes at most {MAX_ALPHABET} (2^20) symbols, not {size}")


class AdaptiveCoder(Coder):
    """What both adaptive coders share: the alphabet size is their whole configuration."""

    kind: ClassVar[str] = "adaptive"

    def __init__(self, size: int, scheme: str, params: dict[str, Any]):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= MAX_ALPHABET:
            raise CodesimError(f"an adaptive coder's alphabet size is an integer from 1 to {MAX_ALPHABET}, "
                               f"got {size!r}")
        self._size = int(size)
        self.scheme = scheme
        self.params = dict(params)

    @property
    def size(self) -> int:
        return self._size

    @property
    def implied(self) -> np.ndarray:
        """The initial model, uniform: what the code assumes before it has seen a symbol."""
        return np.full(self._size, 1.0 / self._size)

    def expected_length(self, p) -> float:
        """H(p): the bits per symbol the code tends to as the stream grows (see the module notes); the
        Huffman coder overrides it."""
        return entropy(np.asarray(getattr(p, "probs", p), dtype=np.float64))

    def code_divergence(self, p) -> float:
        """0: the code assumes no model that could diverge from p; its learning cost is regret."""
        return 0.0

    def get_config(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "params": dict(self.params), "size": self._size}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "AdaptiveCoder":
        if not isinstance(config, dict):
            raise CodesimError(f"a {cls.__name__} config is a dict, got {type(config).__name__}")
        extra = set(config) - {"scheme", "params", "size"}
        if extra:
            raise CodesimError(f"a {cls.__name__} config has no field {sorted(extra)[0]!r} "
                               "(fields: scheme, params, size)")
        if "size" not in config:
            raise CodesimError(f"a {cls.__name__} config needs the alphabet size, 'size'")
        params = config.get("params", {})
        if not isinstance(params, dict):
            raise CodesimError(f"a coder's params are a table of name = value, got {params!r}")
        name = config.get("scheme")
        if not isinstance(name, str):
            raise CodesimError(f"a {cls.__name__} config needs a scheme name, got {name!r}")
        scheme = get(name)
        if scheme.restore != cls.from_config:
            raise CodesimError(f"scheme {scheme.name!r} is not restored by {cls.__name__}")
        return cls(config["size"], **scheme.resolve(params))

    @staticmethod
    def _symbol_count(bits, n) -> int:
        """n as an int >= 0 and ``bits`` a bitarray, or a DecodeError saying which is wrong."""
        try:
            n = operator.index(n)
        except TypeError:
            raise DecodeError(f"the symbol count must be an integer, got {n!r}") from None
        if n < 0:
            raise DecodeError(f"cannot decode {n} symbols")
        if not isinstance(bits, bitarray):
            raise DecodeError(f"expected a bitarray of encoded bits, got {type(bits).__name__}")
        return n

    # -- the coder contract: a config read from a file --------------------------------------------
    config_fields = ("size",)

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        """The alphabet size, the whole table: a JSON integer, the alphabet's own."""
        from ..errors import ConfigError
        from .config import strict_int

        value = strict_int(config["size"], "size", 1, MAX_ALPHABET)
        if value != size:
            raise ConfigError(f"field 'coder.size' is {value}, but the alphabet has {size} labels")


# -- adaptive arithmetic coding ---------------------------------------------------------------------


class AdaptiveArithmeticCoder(AdaptiveCoder):
    """A range coder with carry whose model is the add-alpha (Dirichlet) estimator, updated per symbol.

    The model
    ---------
    alpha is used as an exact fraction a/d (the float's nearest fraction with d <= 2^16: exactly 1/2 for
    0.5, 1/10 for 0.1), and the model is kept in integers: symbol x has weight w(x) = d c(x) + a, the
    total is T = d t + k a, and x is coded with probability w(x) / T = (c(x) + alpha) / (t + k alpha).
    No float enters the coding path, so encoder and decoder agree bit for bit on every machine. The
    cumulative weights are a Fenwick tree (Fenwick 1994, "A new data structure for cumulative frequency
    tables"): O(log k) to find a symbol's start, to find the symbol a code value falls in, and to add d.

    The coder
    ---------
    The range coder of :mod:`codesim.coders.arithmetic` (same carry handling, termination and digit
    reader), with W = 128-bit registers instead of 96 because the total is not a power of two: a
    symbol narrows [low, low + range) by r = range // T, and r * T > range - T loses at most
    -log2(1 - T / range) bits; range >= 2^96 before every symbol and T <= 2^62 make that under 1e-10
    bits per symbol. So, exactly as there, with ideal = -log2 of the model's probability of the stream::

        ideal  <=  bits  <  ideal + 2 + n * eps,      eps = -log2(1 - 2^(62 - 96)) < 1e-10.

    Rescaling
    ---------
    T must stay <= 2^62 (``max_total``): when a symbol's update takes it past that, every count is
    halved (rounded down, c -> floor(c / 2); the pseudo-counts stay) before the next symbol, as the
    adaptive model of Witten, Neal and Cleary (CACM 30(6), 1987) halves its counts. That makes the
    model forget old symbols, so it is no longer the add-alpha estimator and the regret bound no longer
    holds; but it first happens after (2^62 - k a) / d symbols (:attr:`exact_symbols`): about 2.3 *
    10^18 for KT, and at least 2^46 = 7 * 10^13 for any allowed alpha and k, far beyond any message
    codesim codes (the container's limit is 2^24 symbols).

    Regret
    ------
    The stream's own best fit, its empirical distribution, would code it in n H(empirical) bits; no
    code that knows only k can match that for every stream. The estimator's excess, its regret, is
    bounded by :meth:`regret_bound`: for KT about (k - 1)/2 log2 n + log2 k bits in total.

    >>> coder = AdaptiveArithmeticCoder(3)
    >>> bits = coder.encode(np.array([0, 0, 1, 0, 2, 0, 0]))
    >>> coder.decode(bits, 7).tolist()
    [0, 0, 1, 0, 2, 0, 0]
    """

    #: W: width of the low and range registers.
    state_bits = 128
    #: U: bits moved to the output per renormalisation step.
    digit_bits = 32
    #: The largest total weight T a symbol is coded with; counts are halved beyond it.
    max_total = 1 << 62

    def __init__(self, size: int, alpha: float = 0.5, scheme: str = "adaptive-arithmetic",
                 params: dict[str, Any] | None = None):
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)) or not (
            MIN_ALPHA <= alpha <= MAX_ALPHA
        ):
            raise CodesimError(f"alpha must be a number from {MIN_ALPHA:g} to {MAX_ALPHA:g}, got {alpha!r}")
        super().__init__(size, scheme, {"alpha": float(alpha)} if params is None else params)
        self.alpha = float(alpha)
        fraction = Fraction(self.alpha).limit_denominator(MAX_ALPHA_DENOMINATOR)
        #: a and d: alpha = a / d exactly, the pseudo-count and the step of a symbol's weight.
        self.pseudo, self.step = fraction.numerator, fraction.denominator
        # Halving must leave room to grow: after it T <= max_total / 2 + k a / 2 (+ d), below the limit.
        if 2 * (self._size * self.pseudo + self.step) > self.max_total:
            raise CodesimError(f"alpha = {self.alpha:g} over {self._size} symbols needs a total weight "
                               f"above the coder's limit of 2^{self.max_total.bit_length() - 1}")

    def symbol_limit(self) -> int:
        return MAX_ARITHMETIC_SYMBOLS if self.size <= LARGE_ALPHABET else MAX_ARITHMETIC_SYMBOLS // 2

    def _limit_reason(self) -> str:
        return f" over {self.size} symbols"

    # -- the estimator and its bounds -------------------------------------------------------------
    @property
    def exact_symbols(self) -> int:
        """How many symbols are coded before the counts can first be halved: the model is the exact
        add-alpha estimator for streams up to this length."""
        return (self.max_total - self._size * self.pseudo) // self.step + 1

    @property
    def rounding_loss(self) -> float:
        """eps: the most bits per symbol that r = range // T can lose (T <= max_total, range >= 2^(W-U))."""
        return -math.log2(1.0 - self.max_total / 2.0 ** (self.state_bits - self.digit_bits))

    def ideal_bits(self, stream: np.ndarray) -> float:
        """-log2 of the probability the model gives the stream: what exact arithmetic would spend.

        Up to :attr:`exact_symbols` symbols the product of (c(x) + alpha) / (t + k alpha) depends only on
        the counts: log2 Gamma(n + k alpha) / Gamma(k alpha) - sum_x log2 Gamma(c(x) + alpha) /
        Gamma(alpha). Longer streams are followed symbol by symbol, halvings included.
        """
        stream = self._check_stream(stream)
        k, a, d = self._size, self.pseudo, self.step
        if stream.size <= self.exact_symbols:
            alpha = a / d
            counts = np.bincount(stream.astype(np.int64, copy=False), minlength=k)
            used = counts[counts > 0].tolist()
            nats = (math.lgamma(stream.size + k * alpha) - math.lgamma(k * alpha)
                    - sum(math.lgamma(c + alpha) - math.lgamma(alpha) for c in used))
            return nats / math.log(2)
        weights, total, bits = [a] * k, k * a, 0.0
        for x in stream.tolist():
            bits += math.log2(total / weights[x])
            weights[x] += d
            total += d
            if total > self.max_total:
                weights = [d * ((w - a) // d >> 1) + a for w in weights]
                total = sum(weights)
        return bits

    def max_bits(self, stream: np.ndarray) -> float:
        """The coder's bound on ``len(encode(stream))``: ideal + 2 + n * eps."""
        stream = self._check_stream(stream)
        return self.ideal_bits(stream) + 2.0 + stream.size * self.rounding_loss

    def regret_bound(self, n: int) -> float:
        """An upper bound, in bits, on ideal_bits(s) - n H(empirical distribution of s) over all streams s
        of n symbols (the coder spends up to 2 + n eps bits more, see :meth:`max_bits`).

        * alpha = 1/2 (KT): (k - 1)/2 log2 n + log2 k, the bound of Tjalkens, Shtarkov and Willems
          ("Sequential weighting algorithms for multi-alphabet sources", 6th Joint Swedish-Russian
          International Workshop on Information Theory, 1993); for k = 2 it is the 1/2 log2 n + 1 of
          Willems, Shtarkov and Tjalkens (IEEE Trans. IT 41(3), 1995). The leading term is Krichevsky
          and Trofimov's (IEEE Trans. IT 27(2), 1981); for the binary case see also Cover and Thomas,
          Elements of Information Theory, 2nd ed., 13.2.
        * alpha >= 1: log2 Gamma(n + k alpha) / (Gamma(k alpha) n!); for Laplace (alpha = 1) that is
          log2 C(n + k - 1, k - 1). Why: n H(empirical) >= log2 of the multinomial coefficient
          n! / prod c(x)! (the type class is no bigger than 2^(n H), Cover and Thomas, Theorem 11.1.3),
          and Gamma(c + alpha) / Gamma(alpha) >= c! for integer c when alpha >= 1.
        * other alpha < 1: the same bound plus k h(n / k), h(c) = log2 Gamma(alpha) Gamma(c + 1) /
          Gamma(c + alpha): the sum over symbols of h(c(x)) is at most k h(n / k) because h is concave
          (its second derivative is a difference of trigamma values) with h(0) = 0. Valid, but looser.

        Beyond :attr:`exact_symbols` the model halves its counts and no bound holds: inf.
        """
        n = operator.index(n)
        if n <= 0:
            return 0.0
        if n > self.exact_symbols:
            return math.inf
        k, alpha = self._size, self.pseudo / self.step
        if 2 * self.pseudo == self.step:
            return (k - 1) / 2 * math.log2(n) + math.log2(k)
        nats = math.lgamma(n + k * alpha) - math.lgamma(k * alpha) - math.lgamma(n + 1)
        if alpha < 1:
            m = n / k
            nats += k * (math.lgamma(alpha) + math.lgamma(m + 1) - math.lgamma(m + alpha))
        return nats / math.log(2)

    def least_bits(self, n: int) -> float:
        """A lower bound on the bits of any stream of n symbols: the model's cost of n equal symbols.

        The i-th symbol (t = i before it) gets at most (d t + a) / (d t + k a) of the interval whatever
        came before, also after halvings (they only lower t), so every stream costs at least
        log2 prod_i (i + k alpha) / (i + alpha).
        """
        if self._size == 1 or n <= 0:
            return 0.0
        alpha, k = self.pseudo / self.step, self._size
        nats = (math.lgamma(n + k * alpha) - math.lgamma(k * alpha)
                - math.lgamma(n + alpha) + math.lgamma(alpha))
        return nats / math.log(2)

    # -- the model, as the coding loops keep it ---------------------------------------------------
    def _initial_model(self) -> tuple[list[int], list[int], int]:
        """(weights, Fenwick tree, total) before any symbol.

        The tree is padded to a power of two with symbols of weight 0: they never hold a code value
        (the cumulative weight reaches the total before them), and the descent needs no bounds check.
        """
        weights = [self.pseudo] * self._size
        return weights, _fenwick(weights), sum(weights)

    def _halve(self, weights: list[int]) -> tuple[list[int], list[int], int]:
        """Counts halved, rounded down; the Fenwick tree rebuilt from them."""
        a, d = self.pseudo, self.step
        for x, w in enumerate(weights):
            weights[x] = d * ((w - a) // d >> 1) + a
        return weights, _fenwick(weights), sum(weights)

    # -- coding -------------------------------------------------------------------------------------
    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        if self._size == 1:  # the only symbol has probability 1: nothing to say
            return bitarray(endian="big")
        W, U = self.state_bits, self.digit_bits
        shift, bottom = W - U, 1 << (W - U)
        low_mask = bottom - 1
        d, limit = self.step, self.max_total
        weights, tree, total = self._initial_model()
        span = len(tree) - 1
        low, rng = 0, 1 << W
        out = _CarryOutput(U)
        for first in range(0, stream.size, SYMBOL_CHUNK):
            digits: list[int] = []
            emit = digits.append
            for x in stream[first : first + SYMBOL_CHUNK].tolist():
                start, i = 0, x  # start: the weight of the symbols below x
                while i:
                    start += tree[i]
                    i &= i - 1
                r = rng // total
                low += r * start
                rng = r * weights[x]
                while rng < bottom:
                    emit(low >> shift)  # 2^U or more when low overflowed: a carry into the digit before
                    low = (low & low_mask) << U
                    rng <<= U
                weights[x] += d
                i = x + 1
                while i <= span:
                    tree[i] += d
                    i += i & -i
                total += d
                if total > limit:
                    weights, tree, total = self._halve(weights)
            out.extend(digits)
        tail, value = _termination(low, rng, W)
        bits = out.close(value >> tail)
        if tail:
            bits += int2ba(value & ((1 << tail) - 1), length=tail, endian="big")
        return bits

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        """The n symbols ``bits`` encodes; DecodeError unless the bits are exactly their encoding.

        The work is bounded by n and the bits' length, but n itself only loosely by the bits: n equal
        symbols can take as few as about (k - 1)/2 log2 n bits, so only a count that not even such a
        stream fits in the bits is refused before decoding (:meth:`least_bits`).
        """
        n = self._symbol_count(bits, n)
        if bits.endian != "big":
            bits = bitarray(bits, endian="big")
        size = len(bits)
        dtype = index_dtype(self._size)
        if self._size == 1:
            if size:
                raise DecodeError(f"trailing bits: a one-symbol alphabet codes in 0 bits, the stream has "
                                  f"{size}")
            return np.zeros(n, dtype=dtype)
        least = self.least_bits(n)
        if size < least * (1 - 1e-9) - 1:
            raise DecodeError(f"the stream is too short: {n} symbols need at least {math.floor(least)} bits "
                              f"under this model, it has {size}")
        W, U = self.state_bits, self.digit_bits
        bottom = 1 << (W - U)
        d, limit = self.step, self.max_total
        weights, tree, total = self._initial_model()
        span = len(tree) - 1
        top_step = 1 << (span.bit_length() - 1)
        # A valid stream ends at or after the encoder's last digit, so reading more digits than this
        # means the bits ran out: next() then raises StopIteration.
        take = _read_digits(bits, U, W // U + size // U).__next__
        diff = 0  # code - low, in the window: always in [0, range) for bits the encoder wrote
        steps = 0
        parts: list[np.ndarray] = []
        try:
            for _ in range(W // U):
                diff = (diff << U) | take()
            rng = 1 << W
            for first in range(0, n, SYMBOL_CHUNK):
                part: list[int] = []
                emit = part.append
                for _ in range(min(SYMBOL_CHUNK, n - first)):
                    r = rng // total
                    target = diff // r
                    if target >= total:  # the sliver range - r * T belongs to no symbol
                        raise DecodeError(f"the bits do not encode a symbol at position {first + len(part)}")
                    # Fenwick descent: the last x whose start is <= target; rest = target - start(x).
                    x, rest, probe = 0, target, top_step
                    while probe:
                        j = x + probe
                        if tree[j] <= rest:
                            x = j
                            rest -= tree[j]
                        probe >>= 1
                    diff -= r * (target - rest)
                    rng = r * weights[x]
                    while rng < bottom:
                        diff = (diff << U) | take()
                        rng <<= U
                        steps += 1
                    emit(x)
                    weights[x] += d
                    i = x + 1
                    while i <= span:
                        tree[i] += d
                        i += i & -i
                    total += d
                    if total > limit:
                        weights, tree, total = self._halve(weights)
                parts.append(np.array(part, dtype=dtype))
        except StopIteration:
            raise DecodeError(f"the stream is too short: decoding {n} symbols needs more than its {size} bits"
                              ) from None
        check_ending(bits, steps * U, W, diff, rng, n)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    def __repr__(self) -> str:
        return f"AdaptiveArithmeticCoder(size={self._size}, alpha={self.alpha:g})"

    # -- the coder contract: inspect --------------------------------------------------------------
    trace_note = ("the probability (c(x) + alpha) / (t + k alpha) the learning model gave each symbol "
                  "when it was coded, and its cost -log2 of that")

    def probabilities(self, stream: np.ndarray) -> np.ndarray:
        """The probability (c(x) + alpha) / (t + k alpha) the model gives each symbol of ``stream`` when
        it comes, c counted over the t symbols before it: in floats, for showing (the coder's own model
        is exact integers, and the same until counts are first halved, :attr:`exact_symbols`)."""
        stream = self._check_stream(stream).astype(np.int64)
        order = np.argsort(stream, kind="stable")
        ranked = stream[order]
        seen = np.empty(stream.size, dtype=np.int64)  # earlier occurrences of each symbol
        seen[order] = np.arange(stream.size) - np.searchsorted(ranked, ranked, side="left")
        return (seen + self.alpha) / (np.arange(stream.size) + self._size * self.alpha)

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """Each symbol's probability under the model learnt so far, and its cost -log2 of that."""
        from .base import running_totals

        costs = self.ideal_costs(model)
        head = stream[:limit]
        return running_totals(
            (({"index": i, "symbol": alphabet[s], "model_prob": prob, "cost_bits": -math.log2(prob)},
              -math.log2(prob), float(costs[s]))
             for i, (s, prob) in enumerate(zip(head.tolist(), self.probabilities(head).tolist()))),
            "total_cost",
        )


def _fenwick(weights: list[int]) -> list[int]:
    """The Fenwick tree of ``weights`` (1-based: entry i holds the sum of the i & -i weights ending at
    symbol i - 1), padded with weights 0 to a power of two."""
    span = 1 << (len(weights) - 1).bit_length()
    tree = [0] + weights + [0] * (span - len(weights))
    for i in range(1, span + 1):
        parent = i + (i & -i)
        if parent <= span:
            tree[parent] += tree[i]
    return tree


# -- adaptive Huffman coding (Vitter's algorithm Lambda) --------------------------------------------


class _VitterTree:
    """The dynamic Huffman tree of Vitter's algorithm Lambda, as encoder and decoder both keep it.

    Vitter, "Design and analysis of dynamic Huffman codes", JACM 34(4), 1987. The tree always has the
    *sibling property* (Gallager 1978: listing the nodes by non-decreasing weight puts siblings next to
    each other, which makes it a Huffman tree of its leaves' weights), with Vitter's extra invariant:
    among nodes of equal weight the leaves come before the internal nodes. Those orderings are kept by
    numbering the nodes in *slots*: slot R = 2k - 2 is the root, its children are slots R - 1 (right,
    bit 1) and R - 2 (left, bit 0), and in general the slots pair up from the top, (R - 2j - 1 right,
    R - 2j - 2 left). A node's ``key`` is 2 * weight + (1 if internal): Lambda's order is then simply
    that keys never decrease from slot to slot, and a *block* (Vitter's term: nodes of equal weight
    and kind) is a run of equal keys.

    Unseen symbols all sit in one leaf of weight 0, the *0-node*, always in the lowest slot in use.
    The first occurrence of a symbol is sent as the 0-node's codeword followed by the symbol's rank
    among the unseen symbols in a truncated binary code (floor or ceil of log2 of their number bits).
    The 0-node then splits into a new 0-node (left) and the symbol's leaf (right); when only one
    symbol is left unseen, the 0-node becomes that symbol's leaf instead (its rank takes 0 bits), as
    in Vitter's algorithm when k = n - 1.

    Per slot: ``key``; ``node``, a leaf's symbol (-1 for the 0-node) or an internal node's right child
    slot (its left child is the slot below); ``parent``, the slot of the node whose children the slot's
    pair is. Per symbol: ``leaf`` slot (-1 while unseen). Per key: ``top``, the highest slot of its
    block (Vitter's block leader).
    """

    __slots__ = ("root", "key", "node", "parent", "leaf", "top", "zero", "unseen")

    def __init__(self, k: int):
        self.root = root = 2 * k - 2
        self.key = [-1] * (root + 1)  # -1: slot not in use (below the lowest slot)
        self.node = [-1] * (root + 1)
        self.parent = [-1] * (root + 1)
        self.leaf = [-1] * k
        self.key[root] = 0
        self.top = {0: root}
        if k == 1:  # one symbol, known before any is sent: the root is its leaf
            self.node[root], self.leaf[0] = 0, root
            self.zero, self.unseen = -1, []
        else:
            self.zero, self.unseen = root, list(range(k))

    def update(self, x: int, rank: int) -> None:
        """Count one more x (``rank``: x's index in ``unseen`` if this is its first occurrence).

        Vitter's procedure Update: find the leaf; if it is new, split the 0-node; otherwise exchange
        the leaf with the leader of its block (two leaves of equal weight: only symbols move). Then
        :meth:`_slide_and_increment` from the leaf up to the root. A leaf that is the 0-node's sibling
        is incremented after its parent: sliding it first could move it past its own parent.
        """
        key, node, leaf = self.key, self.node, self.leaf
        q = leaf[x]
        deferred = -1
        if q < 0:
            z = self.zero
            del self.unseen[rank]
            if self.unseen:
                # The 0-node's slot becomes an internal node of weight 0 over a new 0-node and x's leaf.
                key[z], node[z] = 1, z - 1
                key[z - 1], node[z - 1], self.parent[z - 1], leaf[x] = 0, x, z, z - 1
                key[z - 2], node[z - 2], self.parent[z - 2] = 0, -1, z
                self.zero = z - 2
                self.top[0], self.top[1] = z - 1, z
                deferred = z - 1
            else:
                node[z], leaf[x] = x, z  # the last unseen symbol takes over the 0-node
                self.zero = -1
            q = z
        else:
            lead = self.top[key[q]]
            if lead != q:
                other = node[lead]
                node[lead], leaf[x] = x, lead
                node[q], leaf[other] = other, q
                q = lead
            if self.zero >= 0 and q == self.zero + 1:
                deferred, q = q, self.parent[q]
        slide = self._slide_and_increment
        while q >= 0:
            q = slide(q)
        if deferred >= 0:
            slide(deferred)

    def _slide_and_increment(self, p: int) -> int:
        """Add 1 to the weight of p, the leader of its block; returns the next node to increment.

        Vitter's SlideAndIncrement. With key K = key[p], p's new key is K + 2, so it must move past
        the block of key K + 1 if there is one (internal nodes of p's weight when p is a leaf, leaves of
        weight one more when p is internal): the block's nodes each move down one slot, taking their
        subtrees and so changing the tree's shape, and p takes the block's top slot. Next to increment:
        p's new parent if p is a leaf, its old parent if it is internal (whose subtree gained the count
        through the node that slid into p's old slot).
        """
        key, node, parent, top = self.key, self.node, self.parent, self.top
        K = key[p]
        if p < self.root and key[p + 1] == K + 1:
            r = top[K + 1]
            moved = node[p]
            old_parent = parent[p]
            node[p:r] = node[p + 1 : r + 1]
            node[r] = moved
            key[p:r] = [K + 1] * (r - p)
            key[r] = K + 2
            if K & 1:  # p internal: the nodes that moved are leaves
                leaf = self.leaf
                for s in range(p, r):
                    leaf[node[s]] = s
                parent[moved] = parent[moved - 1] = r
                nxt = old_parent
            else:  # p a leaf: the nodes that moved are internal, their children follow them
                for s in range(p, r):
                    c = node[s]
                    parent[c] = parent[c - 1] = s
                self.leaf[moved] = r
                nxt = parent[r]
            top[K + 1] = r - 1
            landed = r
        else:
            key[p] = K + 2
            landed = p
            nxt = parent[p]
        if p and key[p - 1] == K:
            top[K] = p - 1
        else:
            del top[K]
        if landed == self.root or key[landed + 1] != K + 2:
            top[K + 2] = landed
        return nxt

    def codeword(self, slot: int) -> tuple[int, int]:
        """(value, length) of the path from the root to ``slot``, the first step the top bit."""
        root, parent = self.root, self.parent
        value = length = 0
        while slot != root:
            value |= ((root - slot) & 1) << length
            length += 1
            slot = parent[slot]
        return value, length


def _truncated_binary(count: int) -> tuple[int, int]:
    """(e, cut) of the truncated binary code for ``count`` values: value v < cut takes e bits, others
    e + 1 bits (of v + cut). Complete, and within a bit of log2(count)."""
    e = count.bit_length() - 1
    return e, (2 << e) - count


class AdaptiveHuffmanCoder(AdaptiveCoder):
    """One-pass dynamic Huffman coding, Vitter's algorithm Lambda (see :class:`_VitterTree`).

    Each symbol is coded with the Huffman tree of the counts of the symbols before it; first
    occurrences go through the 0-node escape plus the symbol's rank among those not yet seen. Vitter
    (1987) proves that Lambda encodes a message of t letters in fewer than t bits more than the
    conventional two-pass Huffman code of the message's own counts, S = sum_x c(x) l(x), whatever the
    alphabet size, and that no one-pass Huffman method does better in the worst case; his analysis of
    the FGK algorithm (Faller 1973, Gallager 1978, Knuth 1985) gives 2 S + t. Here the comparison
    counts the codewords (the 0-node's included) and leaves out the ranks of first occurrences
    (:meth:`escape_bits`, at most ceil(log2 k) bits for each of at most k symbols), which stand for the
    code table a two-pass code must send: the tests check codeword bits <= S + t - 1 on random streams,
    and that a stream always sending a symbol with the longest codeword reaches it exactly. A
    one-symbol alphabet costs 0 bits.

    The code is complete (every bit string is a prefix of some encoding), so the decoder detects only
    streams that end early or have bits left over; each symbol takes at least one bit once k >= 2.

    >>> coder = AdaptiveHuffmanCoder(4)
    >>> bits = coder.encode(np.array([2, 2, 1, 2, 3, 2]))
    >>> coder.decode(bits, 6).tolist()
    [2, 2, 1, 2, 3, 2]
    """

    def __init__(self, size: int, scheme: str = "adaptive-huffman", params: dict[str, Any] | None = None):
        super().__init__(size, scheme, {} if params is None else params)

    def expected_length(self, p) -> float:
        """The bits per symbol the code tends to on a source p: the expected length of a Huffman code
        for p's positive probabilities, plus the 0-node as a leaf of weight 0 while a symbol with
        p(x) = 0 stays unseen (so p = (1, 0) costs 1 bit, as the tree then has two leaves).

        Every Huffman tree of the same weights has the same expected length, so ties do not matter.
        """
        p = np.asarray(getattr(p, "probs", p), dtype=np.float64)
        weights = p[p > 0]
        if weights.size < self._size:
            weights = np.append(weights, 0.0)
        if weights.size < 2:
            return 0.0
        return float(np.dot(weights, huffman_lengths(weights)))

    def symbol_limit(self) -> int:
        if self.size <= SMALL_ALPHABET:
            return MAX_HUFFMAN_SYMBOLS
        return max(MIN_HUFFMAN_SYMBOLS, HUFFMAN_WORK // self.size)

    def _limit_reason(self) -> str:
        return f" over {self.size} symbols"

    def escape_bits(self, stream: np.ndarray) -> int:
        """The bits spent on ranks of first occurrences in ``encode(stream)`` (the rest are codewords)."""
        stream = self._check_stream(stream)
        if self._size == 1 or stream.size == 0:
            return 0
        # Symbols in order of first occurrence, each ranked among those still unseen at that point.
        firsts = np.sort(np.unique(stream, return_index=True)[1])
        unseen = list(range(self._size))
        total = 0
        for x in stream[firsts].tolist():
            rank = bisect_left(unseen, x)
            e, cut = _truncated_binary(len(unseen))
            total += e if rank < cut else e + 1
            del unseen[rank]
        return total

    def encode(self, stream: np.ndarray) -> bitarray:
        out = bitarray(endian="big")
        for values, lengths in self._codewords(stream):
            out += _pack_bits(values, lengths)
        return out

    def codeword_lengths(self, stream: np.ndarray) -> np.ndarray:
        """The bits each symbol's codeword takes, in the tree as it stands when the symbol comes."""
        chunks = [np.array(lengths, dtype=np.int64) for _, lengths in self._codewords(stream)]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)

    def _codewords(self, stream: np.ndarray):
        """The codewords (values read MSB first, and lengths) of the stream, a chunk at a time."""
        stream = self._check_stream(stream)
        if self._size == 1:
            return
        tree = _VitterTree(self._size)
        leaf, parent, root, unseen, update = tree.leaf, tree.parent, tree.root, tree.unseen, tree.update
        for first in range(0, stream.size, SYMBOL_CHUNK):
            values: list[int] = []
            lengths: list[int] = []
            for x in stream[first : first + SYMBOL_CHUNK].tolist():
                slot = leaf[x]
                rank = -1
                if slot < 0:
                    slot = tree.zero
                    rank = bisect_left(unseen, x)
                value = length = 0
                while slot != root:  # the path read upwards: the codeword's last bit first
                    value |= ((root - slot) & 1) << length
                    length += 1
                    slot = parent[slot]
                if rank >= 0:
                    e, cut = _truncated_binary(len(unseen))
                    if rank < cut:
                        value, length = (value << e) | rank, length + e
                    else:
                        value, length = (value << (e + 1)) | (rank + cut), length + e + 1
                values.append(value)
                lengths.append(length)
                update(x, rank)
            yield values, lengths

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        n = self._symbol_count(bits, n)
        dtype = index_dtype(self._size)
        if self._size == 1:
            if len(bits):
                raise DecodeError(f"trailing bits: a one-symbol alphabet codes in 0 bits, the stream has "
                                  f"{len(bits)}")
            return np.zeros(n, dtype=dtype)
        if n > len(bits):  # every symbol takes a bit or more: refuse before any work
            raise DecodeError(f"the stream is too short: {n} symbols need at least {n} bits, it has "
                              f"{len(bits)}")
        tree = _VitterTree(self._size)
        key, node, root, unseen, update = tree.key, tree.node, tree.root, tree.unseen, tree.update
        read = iter(bits).__next__
        parts: list[np.ndarray] = []
        try:
            for first in range(0, n, SYMBOL_CHUNK):
                part: list[int] = []
                emit = part.append
                for _ in range(min(SYMBOL_CHUNK, n - first)):
                    slot = root
                    while key[slot] & 1:  # internal: go left (0) or right (1)
                        slot = node[slot] - 1 + read()
                    x = node[slot]
                    rank = -1
                    if x < 0:  # the 0-node: a first occurrence, its rank among the unseen follows
                        e, cut = _truncated_binary(len(unseen))
                        rank = 0
                        for _ in range(e):
                            rank = (rank << 1) | read()
                        if rank >= cut:
                            rank = ((rank << 1) | read()) - cut
                        x = unseen[rank]
                    emit(x)
                    update(x, rank)
                parts.append(np.array(part, dtype=dtype))
        except StopIteration:
            raise DecodeError(f"the stream is too short: decoding {n} symbols needs more than its "
                              f"{len(bits)} bits") from None
        try:
            read()
        except StopIteration:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
        raise DecodeError(f"trailing bits: {n} symbols end before the last of the stream's {len(bits)} bits")

    def __repr__(self) -> str:
        return f"AdaptiveHuffmanCoder(size={self._size})"

    # -- the coder contract: inspect --------------------------------------------------------------
    trace_note = ("the bits each symbol's codeword took in the code as it stood when the symbol came "
                  "(the tree changes after every symbol)")

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """The bits each symbol's codeword took, at the bit position where it starts."""
        from .base import running_totals

        costs = self.ideal_costs(model)
        head = stream[:limit]
        # One symbol takes no bits: the coder then writes no codewords at all.
        lengths = self.codeword_lengths(head) if self._size > 1 else np.zeros(head.size, dtype=np.int64)
        position, steps = 0, []
        for i, (s, taken) in enumerate(zip(head.tolist(), lengths.tolist())):
            steps.append(({"index": i, "symbol": alphabet[s], "position": position, "bits": taken}, taken,
                          float(costs[s])))
            position += taken
        return running_totals(steps, "total_bits")


def _pack_bits(values: list[int], lengths: list[int]) -> bitarray:
    """Codewords given as (value, length), most significant bit first, concatenated.

    Vectorised for codewords of up to 63 bits (every bit of every codeword computed at once); a longer
    one, which only a tree deeper than any stream codesim codes can have, goes through Python ints.
    """
    out = bitarray(endian="big")
    if not values:
        return out
    if max(lengths) > 63:
        for value, length in zip(values, lengths):
            if length:
                out += int2ba(value, length=length, endian="big")
        return out
    size = np.array(lengths, dtype=np.int64)
    owner = np.repeat(np.arange(size.size), size)  # the codeword each output bit belongs to
    ends = np.cumsum(size)
    shift = ends[owner] - 1 - np.arange(int(ends[-1]))  # how far the bit sits from its codeword's end
    word = np.array(values, dtype=np.uint64)[owner]
    out.pack(((word >> shift.astype(np.uint64)) & np.uint64(1)).astype(np.uint8).tobytes())
    return out


ADAPTIVE_ARITHMETIC = register(
    Scheme(
        name="adaptive-arithmetic",
        summary="arithmetic coder learning counts as it codes (add-alpha, KT by default): no q needed",
        build=lambda q, alpha: AdaptiveArithmeticCoder(len(q), alpha),
        restore=AdaptiveArithmeticCoder.from_config,
        learns=True,
        serves=lambda size, alpha: check_size("adaptive-arithmetic", size),
        groups=("learners",),
        params=(
            Param("alpha", float, 0.5,
                  "pseudo-count added to every symbol's count: 0.5 Krichevsky-Trofimov, 1 Laplace",
                  minimum=MIN_ALPHA, maximum=MAX_ALPHA),
        ),
    )
)

ADAPTIVE_HUFFMAN = register(
    Scheme(
        name="adaptive-huffman",
        summary="dynamic Huffman code (Vitter's algorithm Lambda) updated after every symbol: no q needed",
        build=lambda q: AdaptiveHuffmanCoder(len(q)),
        restore=AdaptiveHuffmanCoder.from_config,
        learns=True,
        serves=lambda size: check_size("adaptive-huffman", size),
        groups=("learners",),
    )
)
