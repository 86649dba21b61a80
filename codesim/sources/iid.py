"""Distributions over a finite alphabet, and drawing symbol streams from them: the i.i.d. source and
the order-0 model (see :mod:`codesim.sources.base`), registered as the scenario kinds ``probs``,
``counts``, ``uniform`` and ``dirichlet``.

A :class:`Distribution` pairs alphabet labels (ints, floats or strings: for people) with a float64
probability vector (for the numerics). Streams are arrays of symbol *indices* into the alphabet, in the
smallest unsigned dtype that holds them, so a stream of 10^8 byte-sized symbols takes 100 MB, not 800.

>>> p = Distribution.from_probs([0.5, 0.25, 0.25], alphabet=["a", "b", "c"])
>>> stream = p.sample(5, seed=1)
>>> stream.dtype.name, stream.tolist(), p.labels_of(stream)
('uint8', [2, 0, 0, 0, 1], ['c', 'a', 'a', 'a', 'b'])
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, Iterator, Sequence

import numpy as np

from ..errors import DistributionError, show_value
from ..measures import entropy
from .base import Kind, register

Label = int | float | str

#: A probability vector whose sum is this close to 1 is rescaled silently (printed probabilities are
#: often rounded: 0.99999999); further off is an error unless normalisation is asked for.
SUM_TOLERANCE = 1e-6
SAMPLE_CHUNK = 1 << 16


def index_dtype(k: int) -> np.dtype:
    """The smallest unsigned integer dtype that holds indices into an alphabet of size k."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if k <= np.iinfo(dtype).max + 1:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


class _Labels(tuple):
    """An alphabet :func:`_check_labels` has passed: a scenario's every model shares one, so checking it
    again for each (a Python step per label, 50 ms over 65536 labels) is skipped."""

    __slots__ = ()


def _check_labels(alphabet: Sequence[Label]) -> tuple[Label, ...]:
    if type(alphabet) is _Labels:
        return alphabet
    labels = tuple(alphabet)
    if not labels:
        raise DistributionError("alphabet is empty: give at least one symbol")
    seen: dict[Label, int] = {}
    for i, label in enumerate(labels):
        if isinstance(label, bool) or not isinstance(label, (int, float, str)):
            raise DistributionError(
                f"alphabet entry {i + 1} is {show_value(label)}: labels must be numbers or strings"
            )
        if isinstance(label, float) and not math.isfinite(label):
            raise DistributionError(f"alphabet entry {i + 1} is {label}: labels must be finite")
        if isinstance(label, int) and not -(2**63) <= label < 2**63:
            raise DistributionError(
                f"alphabet entry {i + 1} is {show_value(label)}: an integer label must fit in 64 bits "
                "(-2^63 to 2^63 - 1), as a .npy symbol file holds it; write a larger one as a string"
            )
        if label in seen:
            raise DistributionError(
                f"alphabet entries {seen[label] + 1} and {i + 1} are both {label!r}: labels must be distinct"
            )
        seen[label] = i
    return _Labels(labels)


#: The most symbols a repr lists; a larger alphabet is shown by its first and last few.
REPR_SYMBOLS = 8


def short_label(label: Label) -> str:
    """A label as a repr shows it: its repr, cut short past 20 characters."""
    text = repr(label)
    return text if len(text) <= 20 else text[:16] + "..." + text[-1]


def short_labels(alphabet: Sequence[Label]) -> str:
    """An alphabet in one short line: its labels, or the first and last few and how many."""
    if len(alphabet) <= REPR_SYMBOLS:
        return f"({', '.join(map(short_label, alphabet))})"
    ends = [*map(short_label, alphabet[:3]), "...", *map(short_label, alphabet[-2:])]
    return f"({', '.join(ends)}; {len(alphabet)} symbols)"


def _as_vector(values, what: str) -> np.ndarray:
    """A 1-D float64 vector of finite, non-negative numbers, or an error naming the bad entry."""
    seq = list(values) if not isinstance(values, np.ndarray) else values.ravel().tolist()
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise DistributionError(f"{what} must be a flat list of numbers")
    for i, v in enumerate(seq):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise DistributionError(f"{what} entry {i + 1} is {show_value(v)}: expected a number")
        if isinstance(v, int) and abs(v) > sys.float_info.max:
            raise DistributionError(f"{what} entry {i + 1} is {show_value(v)}: too large for a double")
    # + 0.0 turns -0.0 into 0.0, so that no probability prints as -0.
    vec = np.asarray(seq, dtype=np.float64) + 0.0
    if vec.size == 0:
        raise DistributionError(f"{what} is empty: give one entry per alphabet symbol")
    for i, v in enumerate(vec):
        if math.isnan(v):
            raise DistributionError(f"{what} entry {i + 1} is NaN")
        if math.isinf(v):
            raise DistributionError(f"{what} entry {i + 1} is infinite")
        if v < 0:
            raise DistributionError(f"{what} entry {i + 1} is negative ({v:g})")
    return vec


@dataclass(frozen=True, eq=False)
class Distribution:
    """An immutable probability distribution over labelled symbols.

    Build one with :meth:`from_probs`, :meth:`from_counts`, :meth:`uniform` or :meth:`dirichlet`; the
    constructor itself expects an already validated vector.
    """

    alphabet: tuple[Label, ...]
    probs: np.ndarray = field(repr=False)
    #: As a model: symbols of context the probabilities depend on (none).
    order: ClassVar[int] = 0

    def __post_init__(self) -> None:
        probs = np.array(self.probs, dtype=np.float64)
        probs.setflags(write=False)
        object.__setattr__(self, "probs", probs)

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def from_probs(
        cls,
        probs: Sequence[float],
        alphabet: Sequence[Label] | None = None,
        *,
        normalise: bool = False,
    ) -> "Distribution":
        """From a probability vector. A sum within 1e-6 of 1 is rescaled silently; with
        ``normalise=True`` any positive sum is."""
        vec = _as_vector(probs, "probs")
        labels = _check_labels(range(vec.size) if alphabet is None else alphabet)
        if len(labels) != vec.size:
            raise DistributionError(
                f"probs has {vec.size} entries but the alphabet has {len(labels)} symbols"
            )
        try:
            total = math.fsum(vec)
        except OverflowError:  # entries near 1e308: summed relative to the largest, they still scale
            total = math.inf
        if total <= 0:
            raise DistributionError("probs has no positive mass")
        if not normalise and abs(total - 1.0) > SUM_TOLERANCE:
            shown = f"{total:.10g}" if math.isfinite(total) else "more than the largest double"
            raise DistributionError(
                f"probs sum to {shown}, not 1 (tolerance {SUM_TOLERANCE:g}); "
                "fix the entries or ask for normalise = true"
            )
        if math.isinf(total):
            scaled = vec / vec.max()
            return cls(labels, scaled / math.fsum(scaled))
        return cls(labels, vec / total)

    @classmethod
    def from_counts(cls, counts: Sequence[float], alphabet: Sequence[Label] | None = None) -> "Distribution":
        """The empirical distribution of non-negative counts (any positive total)."""
        vec = _as_vector(counts, "counts")
        if vec.max() <= 0:
            raise DistributionError("counts has no positive mass: at least one count must be > 0")
        return cls.from_probs(vec, alphabet, normalise=True)

    @classmethod
    def uniform(cls, alphabet: Sequence[Label] | int) -> "Distribution":
        """Equal probability on every symbol; an int k means the alphabet 0..k-1."""
        labels = _check_labels(range(alphabet) if isinstance(alphabet, int) else alphabet)
        return cls(labels, np.full(len(labels), 1.0 / len(labels)))

    @classmethod
    def dirichlet(
        cls, alphabet: Sequence[Label] | int, alpha: float | Sequence[float] = 1.0, seed: int | None = None
    ) -> "Distribution":
        """One draw from Dirichlet(alpha): a random distribution, repeatable from the seed."""
        labels = _check_labels(range(alphabet) if isinstance(alphabet, int) else alphabet)
        if isinstance(alpha, (bool, np.bool_, str)):
            raise DistributionError(f"alpha is {show_value(alpha)}: give a positive number, or one per symbol")
        if isinstance(alpha, (int, float, np.integer, np.floating)):
            if isinstance(alpha, int) and abs(alpha) > sys.float_info.max:
                raise DistributionError(f"alpha is {show_value(alpha)}: too large for a double")
            alphas = np.full(len(labels), float(alpha))
        else:
            alphas = _as_vector(alpha, "alpha")
            if alphas.size != len(labels):
                raise DistributionError(
                    f"alpha has {alphas.size} entries but the alphabet has {len(labels)} symbols"
                )
        if not np.all(np.isfinite(alphas)) or np.any(alphas <= 0):
            raise DistributionError("alpha must be positive and finite")
        try:
            math.fsum(alphas)
        except OverflowError:  # numpy's draw divides by the sum, and returns zeros when it overflows
            raise DistributionError("alpha adds up to more than the largest double: use smaller alphas") from None
        draw = np.random.default_rng(seed).dirichlet(alphas)
        if draw.sum() <= 0:  # alpha far below 1 can underflow every coordinate
            raise DistributionError("the Dirichlet draw underflowed to all zeros: use a larger alpha")
        return cls(labels, draw / draw.sum())

    # -- properties ---------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Number of symbols in the alphabet."""
        return len(self.alphabet)

    def __len__(self) -> int:
        return len(self.alphabet)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Distribution)
            and self.alphabet == other.alphabet
            and np.array_equal(self.probs, other.probs)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """One short line: each label with its probability (4 significant digits), or for more than
        :data:`REPR_SYMBOLS` symbols the first and last few and the alphabet's size.

        >>> Distribution.from_probs([0.5, 0.25, 0.25], alphabet=["a", "b", "c"])
        Distribution({'a': 0.5, 'b': 0.25, 'c': 0.25})
        >>> Distribution.uniform(1000)
        Distribution({0: 0.001, 1: 0.001, 2: 0.001, ..., 998: 0.001, 999: 0.001}, 1000 symbols)
        """
        pairs = [f"{short_label(a)}: {p:.4g}" for a, p in zip(self.alphabet, self.probs.tolist())]
        if len(pairs) <= REPR_SYMBOLS:
            return f"Distribution({{{', '.join(pairs)}}})"
        return f"Distribution({{{', '.join(pairs[:3])}, ..., {', '.join(pairs[-2:])}}}, {len(pairs)} symbols)"

    def with_probs(self, probs: Sequence[float]) -> "Distribution":
        """The same alphabet with another probability vector (validated)."""
        return Distribution.from_probs(probs, self.alphabet)

    def labels_of(self, indices: np.ndarray) -> list[Label]:
        """The labels of a stream of indices (for people; not on any hot path)."""
        return [self.alphabet[i] for i in np.asarray(indices).tolist()]

    # -- as a model and a source --------------------------------------------------------------
    def probabilities(self, context: np.ndarray) -> np.ndarray:
        """q(. | context) = q: an i.i.d. model ignores the context."""
        return self.probs

    def order0_probs(self) -> np.ndarray:
        """The probability vector (the whole model)."""
        return self.probs

    def marginal(self) -> "Distribution":
        """Itself: every symbol of an i.i.d. stream has this distribution."""
        return self

    def entropy_rate(self) -> float:
        """H(p) in bits."""
        return entropy(self)

    def blocks(self, length: int, seed: np.random.SeedSequence | int | None, block: int) -> Iterator[np.ndarray]:
        """A stream of ``length`` symbols in blocks of at most ``block``, from one generator, so the blocks
        joined are exactly ``sample(length, default_rng(seed))`` whatever the block size."""
        rng = np.random.default_rng(seed)
        for lo in range(0, length, block):
            yield self.sample(min(block, length - lo), rng)

    # -- sampling -----------------------------------------------------------------------------
    @cached_property
    def _alias(self) -> "AliasTable":
        return AliasTable(self.probs)

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """n independent symbol indices drawn from this distribution, one 64-bit word of the generator
        each (see :class:`AliasTable`: every probability is drawn within 2^-64 of p's)."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        if n < 0:
            raise DistributionError(f"cannot sample {n} symbols")
        out = np.empty(n, dtype=index_dtype(self.size))
        # Words are drawn in chunks (the generator yields the same sequence either way) so that the
        # scratch stays in the CPU's caches whatever n is.
        for lo in range(0, n, SAMPLE_CHUNK):
            hi = min(n, lo + SAMPLE_CHUNK)
            out[lo:hi] = self._alias.draw(rng.bit_generator.random_raw(hi - lo))
        return out


class AliasTable:
    """Walker's alias method on integers: 64-bit random words to symbols, each symbol exactly as often
    as its probability rounded to a multiple of 2^-64.

    p is scaled to integer weights w summing to exactly 2^64: w(x) is p(x) 2^64 / sum(p), computed
    exactly from the doubles (no rounding before this step), rounded down, and the 2^64 - sum of
    floors units that remain go to the symbols with the largest remainders. So |w(x) 2^-64 - p(x)| <
    2^-64 for every x (p taken as normalised by its exact sum), and a symbol of probability zero has
    weight zero. The alphabet is padded with weightless symbols to K = 2^b columns (b >= 1), each of
    C = 2^(64-b) units, and Vose's pairing gives column j a threshold t_j <= C and an alias a_j: column
    j holds t_j units of symbol j and C - t_j of a_j. A word u draws column j = u >> (64-b) and then
    symbol j if u < j C + t_j (the column's bound), else a_j. Every word is equally likely, so x is
    drawn with probability exactly w(x) 2^-64: the words that give it are :meth:`units` in number.
    """

    def __init__(self, probs: np.ndarray):
        weights = _weights_of(probs)
        b = max(1, (len(weights) - 1).bit_length())
        self.shift = 64 - b
        capacity = 1 << self.shift
        weights += [0] * ((1 << b) - len(weights))
        thresholds, alias = _vose(weights, capacity)
        # A full column never reaches its alias: it is given itself as alias, and bound j C, so that
        # the bound stays below 2^64 and the comparison's outcome does not matter.
        alias = [j if t == capacity else a for j, (t, a) in enumerate(zip(thresholds, alias))]
        bounds = [(j << self.shift) + (0 if t == capacity else t) for j, t in enumerate(thresholds)]
        self.bound = np.array(bounds, dtype=np.uint64)
        self.alias = np.array(alias, dtype=index_dtype(len(probs)))

    def draw(self, words: np.ndarray) -> np.ndarray:
        """The symbols that uint64 ``words`` select (uniform words give i.i.d. draws from p)."""
        column = (words >> np.uint64(self.shift)).view(np.intp)  # below 2^63: the same value
        # ``clip`` skips the bounds check: every column is below K.
        return np.where(words < self.bound.take(column, mode="clip"), column.astype(self.alias.dtype),
                        self.alias.take(column, mode="clip"))

    def units(self) -> list[int]:
        """Per symbol of the padded alphabet, how many of the 2^64 words draw it (its weight)."""
        capacity = 1 << self.shift
        units = [0] * len(self.bound)
        for j, (bound, alias) in enumerate(zip(self.bound.tolist(), self.alias.tolist())):
            own = bound - (j << self.shift)
            units[j] += own
            units[alias] += capacity - own
        return units


def _weights_of(probs: np.ndarray) -> list[int]:
    """Integer weights summing to 2^64, each within one unit of p(x) 2^64 / sum(p) (exact arithmetic)."""
    # Every double is an integer over a power of two: over the largest of those denominators they
    # are exact integers, and so is their sum.
    ratios = [v.as_integer_ratio() for v in probs.tolist()]
    top = max(den.bit_length() for _, den in ratios)
    numerators = [num << (top - den.bit_length()) for num, den in ratios]
    total = sum(numerators)
    scaled = [num << 64 for num in numerators]
    weights = [s // total for s in scaled]
    # Each floor lost less than a unit, so fewer units are missing than symbols lost a fraction; the
    # symbols with the largest fractions get one more. A symbol of probability zero lost nothing.
    short = (1 << 64) - sum(weights)
    if short:
        fractions = np.array([(s - w * total) / total for s, w in zip(scaled, weights)])
        for i in np.argsort(-fractions, kind="stable")[:short].tolist():
            weights[i] += 1
    return weights


def _vose(weights: list[int], capacity: int) -> tuple[list[int], list[int]]:
    """Thresholds and aliases of the columns (Vose's pairing of a short column with a long symbol)."""
    thresholds, alias = [capacity] * len(weights), list(range(len(weights)))
    left = list(weights)
    small = [j for j, w in enumerate(left) if w < capacity]
    large = [j for j, w in enumerate(left) if w > capacity]
    while small:
        # Integer weights sum to exactly K columns, so a short column always has a long symbol to
        # fill it, and both lists run out together.
        j, k = small.pop(), large[-1]
        thresholds[j], alias[j] = left[j], k
        left[k] -= capacity - left[j]
        if left[k] <= capacity:
            large.pop()
            if left[k] < capacity:
                small.append(k)
    return thresholds, alias


# -- scenario kinds --------------------------------------------------------------------------------
def _from_probs(table, setting, name):
    return Distribution.from_probs(table.take("probs", list), setting.alphabet,
                                   normalise=table.boolean("normalise", default=False))


def _from_counts(table, setting, name):
    return Distribution.from_counts(table.take("counts", list), setting.alphabet)


def _uniform(table, setting, name):
    if not table.boolean("uniform"):
        table.fail("uniform = false says nothing: give probs, counts or dirichlet instead")
    return Distribution.uniform(setting.alphabet)


def _dirichlet(table, setting, name):
    spec = table.sub("dirichlet")
    alpha = spec.take("alpha", (int, float, list), default=1.0)
    seed = spec.seed("seed")  # required: a scenario must mean the same q every run
    spec.done()
    return Distribution.dirichlet(setting.alphabet, alpha, seed)


for _kind in (Kind("probs", _from_probs), Kind("counts", _from_counts), Kind("uniform", _uniform),
              Kind("dirichlet", _dirichlet)):
    register(_kind)
