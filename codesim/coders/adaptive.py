"""Coders that learn: no model q, the code learns the distribution from the symbols it has already coded.

:class:`AdaptiveCoder` is what they share; scheme ``adaptive-arithmetic`` is defined here, scheme
``adaptive-huffman`` in :mod:`.vitter`. Both are one-pass: encoder and decoder start from the same
initial model and update it after every symbol in the same way, so the decoder always holds the model
the encoder coded the next symbol with, and nothing but the alphabet size has to be agreed in advance.

``adaptive-arithmetic``
    The range coder of :mod:`.rangecoder` over the add-alpha estimator (:class:`.models.AdaptiveModel`):
    after counts c(x) of the symbols seen so far, the next symbol x is coded with probability
    (c(x) + alpha) / (t + k alpha), t = sum c. alpha = 1/2 is the Krichevsky-Trofimov (KT) estimator
    (the default), alpha = 1 Laplace's rule of succession. With ``order`` m > 0 it keeps one such
    estimator per context, the last m symbols, and codes each symbol with the counts of the symbols
    that followed its context before (see "Contexts" below).
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
``{"scheme", "params", "size": k}`` (and ``"version": 2`` for adaptive-arithmetic, whose bitstream
changed, see :class:`AdaptiveArithmeticCoder`): there is no table, the decoder rebuilds the same
initial model.

A message starts from the initial model: ``codesim run`` codes a long stream in blocks (``--block``),
each a message of its own, so each block is learnt afresh and pays its own regret.

Contexts
--------
adaptive-arithmetic of order m keeps the counts of every context it may meet, each starting from the
pseudo-counts alone. A message starts afresh, as a context code's does (:mod:`.context`): its symbol
j < m is coded with the counts of the partial context of the j symbols before it (symbol 0 with the
empty context's), and every later one with those of its last m symbols. Each context's symbols are
so coded by an add-alpha estimator of their own: the bits are those of the estimators' costs of
their subsequences, summed over the contexts, within the same 2 + n eps as at order 0, and the
regret over the stream's best order-m fit (each context's empirical distribution) is the sum of the
contexts' regrets: for KT, at most the sum over contexts c of (k - 1)/2 log2 n_c + log2 k, n_c the
symbols coded in c. The tables are dense, one row of k counts for each of the k^0 + ... + k^m
contexts (ids as :class:`.context.Contexts` numbers them), so an order is refused when they would
pass :data:`~codesim.coders.context.MAX_CONTEXT_ENTRIES` = 2^22 counts (about 100 MB with their
trees): order 20 over 2 symbols, 6 over 8, 2 over 128, 1 over 2047. The config records the order as
the parameter ``order``, written only when it is not 0, so that an order-0 config and its bits are
those of before.

Speed
-----
Adaptive coding is sequential by nature (symbol i is coded with the model after symbols 0..i-1, and the
decoder cannot know symbol i+1's model before it has decoded symbol i), so unlike the other coders these
run a loop per symbol (:mod:`.kernels`), compiled with the ``fast`` extra. adaptive-arithmetic then codes
about 80 million symbols a second on the 8-symbol NASA source at n = 10^7 and 45 on the 256-symbol
Zipf source, and decodes about 65 and 33 (its decoder descends a Fenwick tree of log2 k levels per
symbol); without the extra, as Python, about 1.8 and 1.2 million, and 1.3 and 0.6. With contexts the
loops are the same kernels (a model without contexts compiles to the code it had before them): on the
NASA source, order 1 codes about 70 million symbols a second and decodes 60, order 2 60 to 70 and 55
to 60; over the 256-symbol Zipf source, order 1 codes 26 to 40 and decodes 18 to 23 (its 257 contexts'
tables, 1 MB, leave the fastest cache). As Python, on the NASA source, order 1 codes 1.4 million
symbols a second and order 2 1.2 (the intervals of a chunk counted at once per context and symbol,
:class:`.models.AdaptiveContextModel`), and both decode 1.1.
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray

from ..errors import CodesimError, ConfigError, SchemeError
from ..measures import entropy
from .base import Coder, running_totals, trace_columns_with
from .config import check_version, strict_int
from .context import MAX_CONTEXT_ENTRIES, Contexts, id_space
from .models import AdaptiveContextModel, AdaptiveModel
from .rangecoder import RangeCoder
from .registry import Param, Scheme, get, register

#: The largest alphabet: both coders keep a few Python lists of this length (a tree of 2k nodes).
MAX_ALPHABET = 1 << 20
#: The most symbols one adaptive-arithmetic message may hold over up to LARGE_ALPHABET symbols, and a
#: quarter of that over more (README, "Decode time"): without the ``fast`` extra its decoder takes a
#: Python step per symbol, about 1.6 microseconds here over 256 symbols and 5 over 65536 (alpha = 1000,
#: a random stream: 16 bits a symbol, four 4-bit digits); compiled, 0.04 and 0.5 (a tree of 65536
#: weights does not stay in the fastest cache).
MAX_ARITHMETIC_SYMBOLS = 1 << 20
LARGE_ALPHABET = 256
#: alpha is used as the nearest fraction with at most this denominator (see AdaptiveArithmeticCoder).
MAX_ALPHA_DENOMINATOR = 1 << 16
MIN_ALPHA, MAX_ALPHA = 1e-4, 1e3
#: The highest order adaptive-arithmetic takes: over 2 symbols, the most whose dense tables fit
#: MAX_CONTEXT_ENTRIES (a larger alphabet allows less, :func:`check_order`).
MAX_ORDER = 20


def check_size(scheme: str, size: int) -> None:
    """Refuse an alphabet larger than the adaptive coders' tables take."""
    if size > MAX_ALPHABET:
        raise SchemeError(f"scheme {scheme!r} codes at most {MAX_ALPHABET} (2^20) symbols, not {size}")


def dense_contexts(size: int, order: int) -> int:
    """How many contexts an order-``order`` coder over ``size`` symbols may meet: K^0 + ... + K^order."""
    return sum(size**j for j in range(order + 1))


def check_order(scheme: str, size: int, order: int) -> None:
    """Refuse an alphabet past :func:`check_size`, and an order whose dense tables (every context x K
    counts) pass MAX_CONTEXT_ENTRIES, before anything is allocated for them."""
    check_size(scheme, size)
    contexts = dense_contexts(size, order)
    if contexts * size > MAX_CONTEXT_ENTRIES:
        raise SchemeError(f"scheme {scheme!r}: parameter order = {order} over {size} symbols needs "
                          f"{contexts} contexts x {size} counts, over the limit of {MAX_CONTEXT_ENTRIES} "
                          "(2^22): use a lower order")


def successors(size: int, order: int) -> np.ndarray:
    """follow[c]: the id of the context after symbol 0 in context c, for every context id c of
    :class:`~.context.Contexts` (dense); after symbol x it is follow[c] + x. A full context drops its
    oldest symbol; a partial context of j symbols grows to j + 1, the full context at j + 1 = order.
    At order 0 the one context follows itself."""
    full, offsets = id_space(size, order)
    if order == 0:
        return np.zeros(1, dtype=np.int64)
    follow = np.empty(full + offsets[-1], dtype=np.int64)
    follow[:full] = np.arange(full, dtype=np.int64) % (full // size) * size
    for j in range(order):
        after = full + offsets[j + 1] if j + 1 < order else 0
        follow[full + offsets[j] : full + offsets[j] + size**j] = after + np.arange(size**j, dtype=np.int64) * size
    return follow


class AdaptiveCoder(Coder):
    """What both adaptive coders share: the alphabet size is their whole configuration."""


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
        extra = set(config) - {"scheme", "params", "size", "version"}
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
        return cls._restore(config["size"], scheme.resolve(params), check_version(config, cls.versions, name))

    @classmethod
    def _restore(cls, size: int, params: dict[str, Any], version: int) -> "AdaptiveCoder":
        """The coder of a config: alphabet size, parameters and config version (one of ``versions``)."""
        return cls(size, **params)

    # -- the coder contract: a config read from a file --------------------------------------------
    config_fields = ("size",)

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        """The alphabet size, the whole table: a JSON integer, the alphabet's own."""
        value = strict_int(config["size"], "size", 1, MAX_ALPHABET)
        if value != size:
            raise ConfigError(f"field 'coder.size' is {value}, but the alphabet has {size} labels")


# -- adaptive arithmetic coding ---------------------------------------------------------------------


class AdaptiveArithmeticCoder(RangeCoder, AdaptiveCoder):
    """The range coder whose model is the add-alpha (Dirichlet) estimator, updated per symbol.

    The model
    ---------
    alpha is used as an exact fraction a/d (the float's nearest fraction with d <= 2^16: exactly 1/2 for
    0.5, 1/10 for 0.1), and the model is kept in integers: symbol x has weight w(x) = d c(x) + a, the
    total is T = d t + k a, and x is coded with probability w(x) / T = (c(x) + alpha) / (t + k alpha).
    No float enters the coding path, so encoder and decoder agree bit for bit on every machine. The
    cumulative weights are a Fenwick tree (Fenwick 1994, "A new data structure for cumulative frequency
    tables"): O(log k) to find a symbol's start, to find the symbol a code value falls in, and to add d
    (:class:`.models.AdaptiveModel`, :mod:`.kernels.fenwick`).

    The coder
    ---------
    :class:`.rangecoder.RangeCoder`, as for ``arithmetic`` (same kernels, carry handling and
    termination, W = 62-bit registers), with 4-bit digits, so that range >= 2^58 before every symbol,
    because the total is not a power of two: a symbol narrows [low, low + range) by r = range // T, and
    r * T > range - T loses less than -log2(1 - T / range) bits. So, exactly as there, with ideal =
    -log2 of the model's probability of the stream::

        ideal  <=  bits  <  ideal + 2 + n * eps,      eps = -log2(1 - T_n / 2^58),

    T_n the largest total a symbol of the stream is coded with: at most k a + d (n - 1) (in any
    context: a context's total counts only its own symbols), and at most
    ``max_total`` = 2^40, so eps < 5.6e-6 bits per symbol in every case (:attr:`rounding_loss`), and in
    practice far less: KT over 256 symbols codes 10^7 symbols with T < 2^25, eps < 2e-10
    (:meth:`max_bits` uses T_n).

    Rescaling
    ---------
    T must stay <= 2^40 (``max_total``): when a symbol's update takes it past that, every count is
    halved (rounded down, c -> floor(c / 2); the pseudo-counts stay) before the next symbol, as the
    adaptive model of Witten, Neal and Cleary (CACM 30(6), 1987) halves its counts. That makes the
    model forget old symbols, so it is no longer the add-alpha estimator and the regret bound no longer
    holds; but it first happens after (2^40 - k a) / d symbols (:attr:`exact_symbols`): about 5.5 *
    10^11 for KT, and at least 2^23 for any allowed alpha and k (d <= 2^16, and k a <= 2^39 - d, so
    that a halving leaves room to grow: alphas near 1000 with large denominators over more than 2^13
    symbols are refused), beyond any message of a .csim file (:data:`MAX_ARITHMETIC_SYMBOLS`).

    Version 1 (configs without a version, files written before version 2) has W = 128-bit registers,
    32-bit digits and T <= 2^62 (eps < 1e-10, halving after at least 2^46 symbols), coded in plain
    Python (:mod:`.rangecoder_v1`); such files still decode and re-encode to the same bits.

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

    #: (W, U) of each config version: 128-bit registers in version 1, where ``arithmetic`` had 96.
    registers: ClassVar[dict[int, tuple[int, int]]] = {1: (128, 32), 2: (62, 4)}
    #: The largest total weight T a symbol is coded with, by config version; counts are halved beyond it.
    max_totals: ClassVar[dict[int, int]] = {1: 1 << 62, 2: 1 << 40}

    def __init__(self, size: int, alpha: float = 0.5, order: int = 0, scheme: str = "adaptive-arithmetic",
                 params: dict[str, Any] | None = None, version: int = 2):
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)) or not (
            MIN_ALPHA <= alpha <= MAX_ALPHA
        ):
            raise CodesimError(f"alpha must be a number from {MIN_ALPHA:g} to {MAX_ALPHA:g}, got {alpha!r}")
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 0 <= order <= MAX_ORDER:
            raise SchemeError(f"scheme {scheme!r}: parameter order must be an integer from 0 to {MAX_ORDER}, "
                              f"got {order!r}")
        order = int(order)
        if params is None:
            params = {"alpha": float(alpha), **({"order": order} if order else {})}
        super().__init__(size, scheme, params)
        check_order(scheme, self._size, order)
        self._use_version(version)
        if order and version == 1:
            raise CodesimError(f"scheme {scheme!r}: contexts (order {order}) need config version 2")
        self.order = order
        #: At order > 0 the cost of a symbol depends on those before it: :meth:`expected_length` is to
        #: be given the source itself, with its memory, not its marginal.
        self.reads_context = order > 0
        #: Every context (dense: its id is its row in the model's tables), and the row after each symbol.
        self.contexts = Contexts(self._size, order, np.arange(dense_contexts(self._size, order)), False)
        self._follow = successors(self._size, order)
        self.alpha = float(alpha)
        fraction = Fraction(self.alpha).limit_denominator(MAX_ALPHA_DENOMINATOR)
        #: a and d: alpha = a / d exactly, the pseudo-count and the step of a symbol's weight.
        self.pseudo, self.step = fraction.numerator, fraction.denominator
        self.max_total = self.max_totals[self.version]
        # r = range // T >= 1 needs T <= 2^(W - U), the least range a symbol is coded with.
        if self.max_total > 1 << (self.state_bits - self.digit_bits):
            raise CodesimError(f"a total of up to {self.max_total} does not fit {self.state_bits}-bit registers "
                               f"with {self.digit_bits}-bit digits")
        # Halving must leave room to grow: after it T <= max_total / 2 + k a / 2 (+ d), below the limit.
        if 2 * (self._size * self.pseudo + self.step) > self.max_total:
            raise CodesimError(f"alpha = {self.alpha:g} over {self._size} symbols needs a total weight "
                               f"above the coder's limit of 2^{self.max_total.bit_length() - 1}")

    @classmethod
    def _restore(cls, size: int, params: dict[str, Any], version: int) -> "AdaptiveArithmeticCoder":
        return cls(size, **params, version=version)

    @classmethod
    def check_config(cls, config: dict[str, Any], size: int) -> None:
        """As every coder's (:meth:`Coder.check_config`), with ``params.order`` left out for order 0, as
        every order-0 config writes it; a config that writes 0 is no writer's."""
        params = config.get("params")
        if isinstance(params, dict):
            if "order" not in params:
                config = {**config, "params": {**params, "order": 0}}
            elif type(params["order"]) is int and params["order"] == 0:
                raise ConfigError("field 'coder.params.order' is 0, which a config says by leaving the field out",
                                  corrupt=True)
        super().check_config(config, size)

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        """The alphabet size, and an order whose tables fit over it, in config version 2."""
        super().check_table(config, params, size)
        order = params["order"]
        try:
            check_order(config["scheme"], size, order)
        except SchemeError as exc:
            raise ConfigError(f"field 'coder.params.order': {exc}", corrupt=True) from None
        if order and "version" not in config:
            raise ConfigError(f"field 'coder.params.order' is {order}, but contexts need config version 2 "
                              "(the field 'coder.version' is missing)", corrupt=True)

    def symbol_limit(self) -> int:
        return MAX_ARITHMETIC_SYMBOLS if self.size <= LARGE_ALPHABET else MAX_ARITHMETIC_SYMBOLS // 4

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
        return self._rounding_loss(self.max_total)

    def _rounding_loss(self, total: int) -> float:
        """What r = range // T can lose on a symbol coded with a total of at most ``total``."""
        return -math.log2(1.0 - total / 2.0 ** (self.state_bits - self.digit_bits))

    def ideal_bits(self, stream: np.ndarray) -> float:
        """-log2 of the probability the model gives the stream: what exact arithmetic would spend.

        Each context's symbols are coded by an estimator of their own, so this is the sum over the
        contexts of the cost of their subsequences (one context at order 0). Up to :attr:`exact_symbols`
        symbols the product of (c(x) + alpha) / (t + k alpha) depends only on the counts: log2 Gamma(n +
        k alpha) / Gamma(k alpha) - sum_x log2 Gamma(c(x) + alpha) / Gamma(alpha). Longer subsequences
        are followed symbol by symbol, halvings included.
        """
        stream = self._check_stream(stream).astype(np.int64, copy=False)
        if stream.size <= self.exact_symbols:
            return self._counted_bits(self.contexts.ids_of(stream), stream)
        _, sizes, totals = self._model().intervals(stream)
        return float(np.sum(np.log2(np.array(totals, dtype=np.float64) / np.array(sizes, dtype=np.float64))))

    def _counted_bits(self, rows: np.ndarray, stream: np.ndarray) -> float:
        """The estimators' cost of ``stream`` from its counts per context (no halving: each context
        holds at most :attr:`exact_symbols` of its symbols), in context ``rows``."""
        k, alpha = self._size, self.pseudo / self.step
        lgamma = np.frompyfunc(math.lgamma, 1, 1)
        per_context = np.bincount(rows)
        per_pair = np.bincount(rows * k + stream)
        n_c, c_x = per_context[per_context > 0], per_pair[per_pair > 0]
        nats = (float(np.sum(lgamma(n_c + k * alpha))) - n_c.size * math.lgamma(k * alpha)
                - float(np.sum(lgamma(c_x + alpha))) + c_x.size * math.lgamma(alpha))
        return nats / math.log(2)

    def expected_length(self, p) -> float:
        """The bits per symbol the code tends to on the stationary source p: the entropy of a symbol
        given the k = ``order`` before it, H(X^(k+1)) - H(X^k) from the block distributions of p (a
        chain's entropy rate when its order is k or less, its marginal's entropy at k = 0), and H(p)
        for an i.i.d. p."""
        if not hasattr(p, "block_probs"):
            return super().expected_length(p)
        return entropy(p.block_probs(self.order + 1)) - entropy(p.block_probs(self.order))

    def max_bits(self, stream: np.ndarray) -> float:
        """The coder's bound on ``len(encode(stream))``: ideal + 2 + n * eps, eps for the largest total
        T_n = min(max_total, k a + d (n - 1)) a symbol of the stream is coded with."""
        stream = self._check_stream(stream)
        largest = min(self.max_total, self._size * self.pseudo + self.step * max(stream.size - 1, 0))
        return self.ideal_bits(stream) + 2.0 + stream.size * self._rounding_loss(largest)

    def regret_bound(self, n: int) -> float:
        """An upper bound, in bits, on ideal_bits(s) - n H(empirical distribution of s) over all streams s
        of n symbols (the coder spends up to 2 + n eps bits more, see :meth:`max_bits`). At order k > 0
        it bounds each context's estimator: ideal_bits(s) - the sum over contexts c of n_c H(empirical
        distribution of the n_c symbols coded in c) is at most the sum of regret_bound(n_c).

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

    def expected_bits_bound(self, p, n: int) -> float | None:
        """At order 0, a bound on the expected bits of a message of n symbols from the stationary source
        p: n H(X) + :meth:`regret_bound` + 2 + n eps, because the regret bound holds over n H(empirical)
        and E[H(empirical)] <= H(X), the entropy being concave and the empirical distribution's mean
        the marginal. None at order > 0, and past :attr:`exact_symbols`."""
        regret = self.regret_bound(n)
        if self.order or not math.isfinite(regret):
            return None
        largest = min(self.max_total, self._size * self.pseudo + self.step * max(n - 1, 0))
        return n * entropy(p.marginal().probs) + regret + 2.0 + n * self._rounding_loss(largest)

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

    # -- the model ----------------------------------------------------------------------------------
    def _model(self) -> AdaptiveModel | AdaptiveContextModel:
        """The estimator before any symbol: every weight a, total k a (in every context)."""
        if not self.order:
            return AdaptiveModel(self._size, self.pseudo, self.step, self.max_total)
        return AdaptiveContextModel(self.contexts, self.pseudo, self.step, self.max_total, self._follow)

    def _expected_bits(self, model) -> float:
        """log2 k, plus a bit: a uniform stream's cost, and more than a skewed one's."""
        return math.log2(self._size) + 1.0

    def __repr__(self) -> str:
        order = f", order={self.order}" if self.order else ""
        return f"AdaptiveArithmeticCoder(size={self._size}, alpha={self.alpha:g}{order})"

    # -- the coder contract: inspect --------------------------------------------------------------
    trace_note = ("the probability (c(x) + alpha) / (t + k alpha) the learning model gave each symbol "
                  "when it was coded, and its cost -log2 of that")
    _trace_columns = trace_columns_with(("model_prob", "model P(x)"), ("cost_bits", "cost"))

    @property
    def trace_columns(self):
        """The probability and cost of each symbol, after its context at order > 0."""
        if not self.order:
            return self._trace_columns
        return trace_columns_with(("context", "context"), *self._trace_columns[2:4])

    def probabilities(self, stream: np.ndarray) -> np.ndarray:
        """The probability (c(x) + alpha) / (t + k alpha) the model gives each symbol of ``stream`` when
        it comes, c counted over the t symbols before it in its context: in floats, for showing (the
        coder's own model is exact integers, and the same until counts are first halved,
        :attr:`exact_symbols`)."""
        stream = self._check_stream(stream).astype(np.int64)
        rows = self.contexts.ids_of(stream)
        seen = earlier_equal(rows * self._size + stream)  # earlier occurrences of each symbol in its context
        return (seen + self.alpha) / (earlier_equal(rows) + self._size * self.alpha)

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """Each symbol's probability under the model learnt so far (in its context, shown at order > 0),
        and its cost -log2 of that."""
        costs = self.ideal_costs(model)
        head = stream[:limit]
        shown = ([{"context": self.contexts.describe(c, alphabet)} for c in self.contexts.ids_of(head).tolist()]
                 if self.order else [{}] * head.size)
        return running_totals(
            (({"index": i, "symbol": alphabet[s], **context, "model_prob": prob, "cost_bits": -math.log2(prob)},
              -math.log2(prob), float(costs[s]))
             for i, (s, prob, context) in enumerate(zip(head.tolist(), self.probabilities(head).tolist(), shown))),
            "total_cost",
        )


def earlier_equal(keys: np.ndarray) -> np.ndarray:
    """For each position, how many earlier positions hold the same key."""
    order = np.argsort(keys, kind="stable")
    ranked = keys[order]
    seen = np.empty(keys.size, dtype=np.int64)
    seen[order] = np.arange(keys.size) - np.searchsorted(ranked, ranked, side="left")
    return seen


ADAPTIVE_ARITHMETIC = register(
    Scheme(
        name="adaptive-arithmetic",
        summary="arithmetic coder learning counts as it codes (add-alpha, KT by default), per context of the "
                "last `order` symbols: no q needed",
        build=lambda q, alpha, order: AdaptiveArithmeticCoder(len(q), alpha, order),
        restore=AdaptiveArithmeticCoder.from_config,
        learns=True,
        serves=lambda size, alpha, order: check_order("adaptive-arithmetic", size, order),
        groups=("learners",),
        params=(
            Param("alpha", float, 0.5,
                  "pseudo-count added to every symbol's count: 0.5 Krichevsky-Trofimov, 1 Laplace",
                  minimum=MIN_ALPHA, maximum=MAX_ALPHA),
            Param("order", int, 0,
                  "counts per context of the last `order` symbols (0: one set); refused when the "
                  "(K^0 + ... + K^order) x K counts pass 2^22",
                  minimum=0, maximum=MAX_ORDER),
        ),
    )
)
