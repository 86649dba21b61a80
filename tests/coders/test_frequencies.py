"""Quantised frequencies: the integer table a stream coder codes with is the best one for q, checked by
brute force over every table, and a table read back from a file is checked before it is trusted."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from codesim.coders.rangecoder import ArithmeticCoder
from codesim.coders.frequencies import check_frequencies, quantise
from codesim.errors import CodesimError

from ..conftest import NASA_P, prob_vectors


def expected_bits(q, f, precision) -> float:
    """sum q(x) log2(2^P / f(x)) over the symbols q can emit."""
    q, f = np.asarray(q), np.asarray(f, dtype=np.float64)
    used = q > 0
    return float((q[used] * (precision - np.log2(f[used]))).sum())


@settings(max_examples=300, deadline=None)
@given(q=prob_vectors(max_size=4), precision=st.integers(2, 5))
# Rounding gives 1, 1, 14 here, and making up the total a count at a time cannot undo the rounding: 1, 2, 13
# spends 0.0010 bits a symbol less.
@example(q=np.array([2, 4, 37]) / 43, precision=4)
def test_quantise_gives_the_table_with_the_least_expected_length_of_all(q, precision):
    total = 1 << precision
    if q.size > total:
        return
    f = quantise(q, precision)
    assert f.dtype == np.int64 and f.sum() == total and f.min() >= 1
    best = min(expected_bits(q, list(head) + [total - sum(head)], precision)
               for head in itertools.product(range(1, total), repeat=q.size - 1) if total - sum(head) >= 1)
    assert expected_bits(q, f, precision) <= best + 1e-12


@given(q=prob_vectors(max_size=40), precision=st.integers(6, 24))
def test_quantise_keeps_every_symbol_codable_and_follows_the_order_of_q(q, precision):
    f = quantise(q, precision)
    assert f.sum() == 1 << precision and f.min() >= 1
    # Beyond rounding: where two probabilities differ in their last bits only (a vector normalised in
    # floating point), their gains tie within rounding, and the tie may go either way.
    likelier = q[:, None] > q[None, :] * (1 + 1e-12)
    assert not np.any(likelier & (f[:, None] < f[None, :]))  # a likelier symbol never gets fewer counts


def test_dyadic_models_are_quantised_exactly():
    assert quantise(np.array([0.5, 0.25, 0.125, 0.125]), 3).tolist() == [4, 2, 1, 1]
    assert quantise(np.array([0.5, 0.25, 0.125, 0.125]), 10).tolist() == [512, 256, 128, 128]


def test_quantise_needs_a_slot_per_symbol():
    assert quantise(np.full(8, 1 / 8), 3).tolist() == [1] * 8
    with pytest.raises(CodesimError, match="precision 2 gives 4 frequency slots, fewer than the 5 symbols; "
                                           "use precision >= 3"):
        quantise(np.full(5, 0.2), 2)


def test_quantisation_of_a_large_alphabet_is_quick_and_exact_in_its_sum():
    q = 1 / np.arange(1, 65537) ** 1.1
    f = quantise(q / q.sum(), 32)
    assert f.sum() == 2**32 and f.min() >= 1
    assert expected_bits(q / q.sum(), f, 32) - expected_bits(q / q.sum(), q / q.sum() * 2**32, 32) < 1e-6


@pytest.mark.parametrize("freqs, match", [
    ([], "non-empty list of integers"),
    ([[4, 4]], "non-empty list of integers"),
    ([4.0, 4.0], "non-empty list of integers"),
    (["4", "4"], "non-empty list of integers"),
    ([8, 0], "frequency of symbol 1 is 0"),
    ([5, 4], r"frequencies add up to 9, not 2\^3 = 8"),
])
def test_a_frequency_table_from_a_file_is_checked(freqs, match):
    with pytest.raises(CodesimError, match=match):
        check_frequencies(freqs, 3)
    assert check_frequencies([6, 2], 3).tolist() == [6, 2]


@pytest.mark.parametrize("precision", [0, 33, True, 2.0, "8"])
def test_a_coder_refuses_a_precision_outside_1_to_32(precision):
    with pytest.raises(CodesimError, match="precision"):
        ArithmeticCoder([1, 1], precision)


def test_a_coder_s_table_cannot_be_changed_behind_its_back():
    coder = ArithmeticCoder(quantise(np.array(NASA_P), 12), 12)
    for table in (coder.freqs, coder.starts):
        with pytest.raises(ValueError):
            table[0] = 1
    assert coder.starts.tolist() == [0, *np.cumsum(coder.freqs)[:-1].tolist()]
    assert math.isclose(coder.freqs.sum(), 2**12)


@pytest.mark.parametrize("size, precision, advice", [
    (5, 2, "use precision >= 3"), (8, 2, "use precision >= 3"), (9, 3, "use precision >= 4"),
    (65536, 14, "use precision >= 16"),
])
def test_too_many_symbols_for_the_slots_advises_the_least_precision_that_has_enough(size, precision, advice):
    from codesim.coders.frequencies import check_slots

    with pytest.raises(CodesimError, match=f"fewer than the {size} symbols; {advice}$"):
        check_slots("arithmetic", size, precision, 32)
    needed = int(advice.split()[-1])
    check_slots("arithmetic", size, needed, 32)  # enough
    with pytest.raises(CodesimError):
        check_slots("arithmetic", size, needed - 1, 32)  # and the least that is
