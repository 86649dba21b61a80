"""Distribution constructors, validation messages and sampling."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codesim import Distribution
from codesim.sources.iid import SAMPLE_CHUNK, index_dtype
from codesim.errors import DistributionError
from codesim.simulation.bench import zipf

from ..conftest import NASA_LEVELS, NASA_P, prob_vectors


def test_sum_within_tolerance_is_renormalised_silently():
    d = Distribution.from_probs([0.33333333, 0.33333333, 0.33333333])
    assert d.probs.sum() == pytest.approx(1.0, abs=1e-15)


def test_sum_off_by_more_than_tolerance_is_an_error_stating_the_sum():
    with pytest.raises(DistributionError, match="sum to 0.9"):
        Distribution.from_probs([0.5, 0.4])
    assert Distribution.from_probs([0.5, 0.4], normalise=True).probs[0] == pytest.approx(5 / 9)


@pytest.mark.parametrize(
    "probs, message",
    [
        ([0.5, float("nan")], "entry 2 is NaN"),
        ([0.5, float("inf")], "entry 2 is infinite"),
        ([1.5, -0.5], "entry 2 is negative"),
        ([0.0, 0.0], "no positive mass"),
        ([], "is empty"),
        ([0.5, "0.5"], "expected a number"),
        ([True, 0.0], "expected a number"),
    ],
)
def test_bad_probability_vectors_name_the_problem(probs, message):
    with pytest.raises(DistributionError, match=message):
        Distribution.from_probs(probs)


def test_alphabet_problems_are_named():
    with pytest.raises(DistributionError, match="3 entries but the alphabet has 2"):
        Distribution.from_probs([0.2, 0.3, 0.5], ["a", "b"])
    with pytest.raises(DistributionError, match="both 'a'"):
        Distribution.uniform(["a", "b", "a"])
    with pytest.raises(DistributionError, match="alphabet is empty"):
        Distribution.uniform([])


def test_labels_may_be_ints_floats_or_strings():
    assert Distribution.uniform([100, 2.5, "dog"]).alphabet == (100, 2.5, "dog")


def test_counts_give_the_empirical_distribution():
    assert Distribution.from_counts([30, 40, 5, 6, 7, 2, 5, 5]).probs == pytest.approx(NASA_P)
    with pytest.raises(DistributionError, match="no positive mass"):
        Distribution.from_counts([0, 0])


def test_dirichlet_draw_is_repeatable_from_its_seed():
    a = Distribution.dirichlet(8, 1.0, seed=7)
    assert a == Distribution.dirichlet(8, 1.0, seed=7)
    assert a != Distribution.dirichlet(8, 1.0, seed=8)
    assert a.probs.sum() == pytest.approx(1.0)
    with pytest.raises(DistributionError, match="alpha must be positive"):
        Distribution.dirichlet(3, -1.0, seed=1)


def test_probabilities_are_read_only():
    d = Distribution.uniform(3)
    with pytest.raises(ValueError):
        d.probs[0] = 1.0


def test_sample_uses_the_smallest_index_dtype():
    assert Distribution.uniform(256).sample(3, seed=1).dtype == np.uint8
    assert Distribution.uniform(257).sample(3, seed=1).dtype == np.uint16
    assert index_dtype(70000) == np.uint32


@given(prob_vectors(max_size=20), st.integers(0, 2**32 - 1))
@settings(max_examples=50)
def test_sampling_never_draws_a_symbol_of_probability_zero(p, seed):
    stream = Distribution.from_probs(p).sample(2000, seed=seed)
    assert np.all(p[stream] > 0)


def test_sample_frequencies_match_the_distribution():
    """Empirical frequencies of 10^6 draws are within 5 standard errors of p."""
    p = Distribution.from_probs(NASA_P, NASA_LEVELS)
    n = 10**6
    freq = np.bincount(p.sample(n, seed=3), minlength=8) / n
    se = np.sqrt(p.probs * (1 - p.probs) / n)
    assert np.all(np.abs(freq - p.probs) < 5 * se)


def test_sampling_in_chunks_equals_one_draw_of_all_the_words():
    """Chunked sampling takes one 64-bit word per symbol in order, so it equals mapping all the
    generator's words at once, and a stream's blocks joined equal the whole stream."""
    p = Distribution.from_probs(NASA_P)
    n = SAMPLE_CHUNK * 2 + 17
    chunked = p.sample(n, seed=9)
    words = np.random.default_rng(9).bit_generator.random_raw(n)
    assert np.array_equal(chunked, p._alias.draw(words))
    joined = np.concatenate(list(p.blocks(n, 9, SAMPLE_CHUNK - 5)))
    assert np.array_equal(joined, chunked)


def _exact_units(probs) -> list[Fraction]:
    """p(x) 2^64 / sum(p), exactly."""
    total = sum(Fraction(v) for v in probs.tolist())
    return [Fraction(v) / total * 2**64 for v in probs.tolist()]


@given(prob_vectors(max_size=40))
@settings(max_examples=100)
def test_alias_table_draws_every_symbol_within_2_to_the_minus_64_of_p(p):
    """The words drawing each symbol number its probability times 2^64 to within one (so zero for a
    symbol of probability zero), and all 2^64 words draw a symbol of the alphabet."""
    d = Distribution.from_probs(p)
    units = d._alias.units()
    assert sum(units) == 2**64
    assert all(u == 0 for u in units[d.size:])
    for got, exact in zip(units, _exact_units(d.probs)):
        assert abs(got - exact) < 1
        assert (got == 0) == (exact == 0)


def _words_drawing(table, symbol: int) -> int:
    """How many of the 2^64 words ``table.draw`` maps to ``symbol``, found through draw itself: a
    column's words draw its own symbol up to a point and its alias from there, so bisection finds
    the point."""
    width = 1 << table.shift
    count = 0
    for column in range(len(table.bound)):
        lo, hi = column * width, (column + 1) * width  # the change is in [lo, hi]
        first, last = (table.draw(np.array([w], dtype=np.uint64))[0] for w in (lo, hi - 1))
        if first == last:
            count += width if first == symbol else 0
            continue
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if table.draw(np.array([mid], dtype=np.uint64))[0] == first:
                lo = mid
            else:
                hi = mid
        count += (hi - column * width) * (first == symbol) + ((column + 1) * width - hi) * (last == symbol)
    return count


def test_a_probability_of_2_to_the_minus_40_is_drawn_by_exactly_its_share_of_the_words():
    rare = 2.0**-40
    probs = np.concatenate([[rare], (1 - rare) * zipf(255).probs])
    d = Distribution.from_probs(probs)
    assert _words_drawing(d._alias, 0) == 2**24
    assert _words_drawing(d._alias, 1) == d._alias.units()[1]


def test_a_probability_of_2_to_the_minus_40_is_drawn_at_its_rate_among_scaled_words():
    """Scaled up 2^34 times: words whose top 34 bits select the rare symbol's 2^30 words draw it at
    rate 2^24 / 2^30; the next 2^30 words never do."""
    rare = 2.0**-40
    d = Distribution.from_probs(np.concatenate([(1 - rare) * zipf(100).probs, [rare]]))
    table = d._alias
    start = np.uint64(100 << table.shift)  # a symbol this rare has all its words in its own column
    low = np.random.default_rng(4).integers(0, 1 << 30, size=10**6, dtype=np.uint64)
    n = np.count_nonzero(table.draw(start + low) == 100)
    rate = 2.0**-6
    assert abs(n / low.size - rate) < 5 * np.sqrt(rate * (1 - rate) / low.size)
    assert not np.any(table.draw(start + np.uint64(1 << 30) + low) == 100)


def test_a_large_draw_passes_a_chi_square_test_on_the_exact_expected_counts():
    """10^7 draws from the 256-symbol Zipf source: chi-square on 255 degrees of freedom within six
    standard deviations (sqrt(2 * 255)) of its mean."""
    d = zipf(256)
    n = 10**7
    counts = np.bincount(d.sample(n, seed=11), minlength=256)
    expected = n * np.array(d._alias.units(), dtype=np.float64) / 2.0**64
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    assert abs(chi2 - 255) < 6 * np.sqrt(2 * 255)


def test_symbols_of_probability_zero_are_never_drawn_even_at_the_words_edges():
    probs = np.array([0.0, 0.25, 0.0, 0.5, 0.0, 0.25, 0.0])
    d = Distribution.from_probs(probs)
    table = d._alias
    width = 1 << table.shift
    edges = [e for c in range(len(table.bound)) for e in (c * width, (c + 1) * width - 1)]
    edges += [int(b) + k for b in table.bound.tolist() for k in (-1, 0, 1) if 0 <= int(b) + k < 2**64]
    drawn = table.draw(np.array(edges, dtype=np.uint64))
    assert np.all(probs[drawn] > 0)
    assert np.all(probs[d.sample(10**5, seed=2)] > 0)
    assert np.array_equal(Distribution.from_probs([1.0]).sample(100, seed=5), np.zeros(100))
