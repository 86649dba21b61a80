"""D-ary Huffman codes: optimality, Kraft sums and the source coding theorem in radix D, the packing of
digits into bits, configs and containers, hostile input, and digits per symbol in a simulation."""

import itertools
import math
import time
from fractions import Fraction

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

from codesim.coders import build, check_config, from_config
from codesim.coders.prefix import limited_huffman_lengths
from codesim.coders import dary
from codesim.coders.dary import (
    MAX_RADIX, DaryCode, dary_huffman_lengths, dary_kraft_sum, dummies, max_digits, packing, packing_efficiency,
)
from codesim.errors import CodesimError, ConfigError, DecodeError, SchemeError
from codesim.files.container import decode_payload, dumps, loads
from codesim.measures import entropy
from codesim.simulation.simulate import simulate
from codesim.sources.iid import Distribution
from codesim.sources.markov import MarkovChain

from ..conftest import prob_vectors, streams_for


def brute_force_digits(p: np.ndarray, radix: int, limit: int | None = None) -> float:
    """The least sum p(x) l(x) over every length vector (1 to k digits, or to ``limit``) with D-ary
    Kraft sum <= 1."""
    k = p.size
    top = max(1, k - 1) if limit is None else limit
    grid = np.array(list(itertools.product(range(1, top + 1), repeat=k)), dtype=np.int64)
    kraft = (radix ** (top - grid)).sum(axis=1)
    feasible = grid[kraft <= radix**top]
    return float((feasible @ p).min())


@pytest.mark.parametrize("radix", [3, 4])
@given(p=prob_vectors(max_size=6))
@settings(max_examples=60, deadline=None)
def test_dary_huffman_is_optimal_against_brute_force(radix, p):
    """No D-ary prefix code (any lengths satisfying D-ary Kraft) has fewer expected digits."""
    lengths = dary_huffman_lengths(p, radix)
    assert float(p @ lengths) <= brute_force_digits(p, radix) + 1e-12


@pytest.mark.parametrize("radix", [3, 4])
@given(p=prob_vectors(max_size=6), data=st.data())
@settings(max_examples=60, deadline=None)
def test_length_limited_dary_huffman_is_optimal_against_brute_force(radix, p, data):
    """Package-merge over D digits: no codeword over the limit, and no D-ary prefix code within the limit
    has fewer expected digits; with room to spare it is as good as D-ary Huffman."""
    least = 1 if p.size == 1 else math.ceil(math.log(p.size, radix) - 1e-12)
    limit = data.draw(st.integers(least, max(least, p.size - 1)), label="limit")
    lengths = limited_huffman_lengths(p, limit, radix)
    assert lengths.max() <= limit
    assert float(p @ lengths) <= brute_force_digits(p, radix, limit) + 1e-12
    roomy = limited_huffman_lengths(p, max(1, p.size - 1), radix)
    assert float(p @ roomy) == pytest.approx(float(p @ dary_huffman_lengths(p, radix)))


def test_a_limit_too_short_for_the_radix_is_refused():
    limited_huffman_lengths(np.full(9, 1 / 9), 2, 3)
    with pytest.raises(SchemeError, match="max_length=2 cannot give 10 symbols.*radix-3 codewords number 9.*max_length >= 3"):
        limited_huffman_lengths(np.full(10, 1 / 10), 2, 3)


@pytest.mark.parametrize("scheme", ["huffman", "huffman-limited"])
@given(p=prob_vectors(max_size=60), radix=st.integers(3, 16))
@settings(max_examples=100, deadline=None)
def test_kraft_sum_is_one_exactly_when_no_dummy_was_needed(scheme, p, radix):
    """sum D^-l <= 1, = 1 iff (k - 1) mod (D - 1) = 0; the dummies sit at the deepest level: 1 - d D^-L."""
    lengths = build(scheme, p, radix=radix).lengths
    kraft = dary_kraft_sum(lengths, radix)
    d = dummies(p.size, radix) if p.size > 1 else radix - 1
    assert kraft <= 1
    assert (kraft == 1) == (d == 0)
    assert kraft == 1 - Fraction(d, radix ** int(lengths.max()))


@given(p=prob_vectors(min_size=2, max_size=40, allow_zeros=False), radix=st.integers(3, 16))
@settings(max_examples=100, deadline=None)
def test_the_dary_source_coding_theorem(p, radix):
    """H(p) / log2 D <= E_p[digits] < H(p) / log2 D + 1 for Huffman's code built on p (two symbols at
    least, every one possible: a certain symbol still takes a digit), and its expected
    bits are the digits times log2 D, H(p) + D(p||r) + log2(1/c) with r and c in radix D."""
    code = build("huffman", p, radix=radix)
    floor = entropy(p) / math.log2(radix)
    digits = code.expected_digits(p)
    assert floor - 1e-9 <= digits < floor + 1
    assert code.expected_length(p) == pytest.approx(digits * math.log2(radix))
    identity = entropy(p) + code.code_divergence(p) - math.log2(float(code.kraft_sum))
    assert code.expected_length(p) == pytest.approx(identity, abs=1e-9)
    r = code.implied
    assert r == pytest.approx(float(radix) ** -code.lengths / float(code.kraft_sum))


def test_the_packing_rule_is_pinned():
    """Five trits in a byte (3^5 = 243 <= 256); a power of two packs log2 D bits per digit exactly;
    ten, three digits in 10 bits. Every pair fits (D^g <= 2^b) and takes as many digits as fit."""
    assert packing(3) == (5, 8) and packing_efficiency(3) == pytest.approx(5 * math.log2(3) / 8)
    assert packing(10) == (3, 10)
    for radix in (2, 4, 8, 16, 256):
        assert packing(radix) == (1, radix.bit_length() - 1) and packing_efficiency(radix) == 1
    for radix in range(3, MAX_RADIX + 1):
        g, b = packing(radix)
        assert g >= 1 and radix**g <= 1 << b < radix ** (g + 1)


def test_five_trits_fill_a_byte_most_significant_first():
    """Codewords 0, 1, 2 of one trit each: [2, 1, 0, 2, 1] is 2*81 + 27 + 0 + 6 + 1 = 196 in one byte; a
    sixth trit opens a second byte, padded with zero trits."""
    code = DaryCode([1, 1, 1], radix=3)
    assert code.encode(np.array([2, 1, 0, 2, 1])).to01() == format(196, "08b")
    assert code.encode(np.array([2, 1, 0, 2, 1, 1])).to01() == format(196, "08b") + format(81, "08b")
    assert code.decode(bitarray(format(196, "08b") + format(81, "08b")), 6).tolist() == [2, 1, 0, 2, 1, 1]
    assert DaryCode([1, 1, 1, 1], radix=4).encode(np.array([3, 0, 2])).to01() == "110010"


@given(data=st.data())
@settings(max_examples=150, deadline=None)
def test_round_trips_through_coder_config_and_container(data):
    """Radix 2 to 16, alphabets of 1 to 300 symbols: the stream comes back from the coder, from the coder
    its config rebuilds, and from a container; the bits are the digits' whole groups."""
    radix = data.draw(st.integers(2, 16), label="radix")
    q = data.draw(prob_vectors(max_size=300), label="q")
    stream = data.draw(streams_for(q.size, max_len=500), label="stream")
    code = build("huffman", q, radix=radix)
    bits = code.encode(stream)
    assert code.decode(bits, stream.size).tolist() == stream.tolist()
    again = from_config(code.get_config())
    assert again.encode(stream) == bits and again.decode(bits, stream.size).tolist() == stream.tolist()
    header, restored, payload = loads(dumps(code, bits, stream.size, list(range(q.size))))
    assert header.coder == code.get_config()
    assert decode_payload(header, restored, payload).tolist() == stream.tolist()
    if radix > 2:
        assert len(bits) == code.packed_bits(code.digit_count(np.bincount(stream, minlength=q.size)))
        assert header.coder["params"] == {"radix": radix}


def test_a_binary_config_gains_no_field():
    """Radix 2 is the binary Huffman code, bit for bit, and its config is what it was."""
    q = np.array([0.4, 0.3, 0.2, 0.1])
    code = build("huffman", q, radix=2)
    assert code.get_config() == {"scheme": "huffman", "params": {}, "lengths": [1, 2, 3, 3]}
    assert not isinstance(code, DaryCode)
    check_config(code.get_config(), 4)
    limited = build("huffman-limited", q, radix=2)
    assert limited.get_config() == {"scheme": "huffman-limited", "params": {"max_length": 15}, "lengths": [1, 2, 3, 3]}


def config(lengths, **params):
    return {"scheme": "huffman", "params": params, "lengths": lengths}


@pytest.mark.parametrize("bad, match", [
    (config([1, 1, 1], radix=1), "field 'coder.params.radix'"),
    (config([1, 1, 1], radix=MAX_RADIX + 1), "field 'coder.params.radix'"),
    (config([1, 1, 1], radix=10**40), "field 'coder.params.radix'"),
    (config([1, 1, 1], radix=3.0), "field 'coder.params.radix'"),
    (config([1, 2, 2], radix=2), "field 'coder.params.radix' is 2, which a config says by leaving the field out"),
    (config([1, 1, 1, 1], radix=3), "field 'coder.lengths' is not a radix-3 prefix code.*Kraft sum 4/3 > 1"),
    (config([2, 2, 2], radix=3), "field 'coder.lengths' is not a radix-3 Huffman code"),
    (config([1, 2, 2, 2, 2], radix=3), "field 'coder.lengths' is not a radix-3 Huffman code"),
    (config([1] * 15 + [33, 33], radix=256), "field 'coder.lengths' entry 16 is 33.*1 to 32 digits"),
    ({**config([1, 1, 2, 2, 2], radix=3, max_length=1), "scheme": "huffman-limited"},
     "field 'coder.lengths' has a 2-digit codeword, over max_length=1"),
    ({**config([1, 2, 2, 2], radix=3, max_length=5), "scheme": "huffman-limited"},
     "field 'coder.lengths' is not a radix-3 Huffman code"),
    ({**config([1, 1, 1], radix=2, max_length=5), "scheme": "huffman-limited"}, "field 'coder.params.radix' is 2"),
])
def test_hostile_configs_name_the_field(bad, match):
    with pytest.raises(ConfigError, match=match):
        check_config(bad, len(bad["lengths"]))


def test_a_dary_huffman_config_is_accepted_though_incomplete():
    code = build("huffman", np.array([0.5, 0.2, 0.2, 0.1]), radix=3)
    assert code.kraft_sum < 1
    check_config(code.get_config(), 4)
    check_config(build("huffman", np.array([1.0]), radix=5).get_config(), 1)


@given(raw=st.binary(max_size=200), radix=st.integers(3, 16), n=st.integers(0, 300))
@settings(max_examples=300, deadline=None)
def test_hostile_bits_decode_or_raise_decode_error(raw, radix, n):
    """Any bits either decode to n symbols that encode back to exactly those bits, or raise DecodeError."""
    code = build("huffman", np.array([0.4, 0.25, 0.15, 0.1, 0.05, 0.05]), radix=radix)
    bits = bitarray(endian="big")
    bits.frombytes(raw)
    try:
        out = code.decode(bits, n)
    except DecodeError:
        return
    assert code.encode(out) == bits


def test_hostile_bits_decode_in_bounded_time():
    code = build("huffman", np.full(200, 1 / 200), radix=3)
    bits = bitarray(endian="big")
    bits.frombytes(np.random.default_rng(1).integers(0, 243, 1 << 20, dtype=np.uint8).tobytes())
    start = time.perf_counter()
    with pytest.raises(DecodeError):
        code.decode(bits, 1 << 20)
    with pytest.raises(DecodeError, match="take at least"):
        code.decode(bits, 10**12)
    assert time.perf_counter() - start < 10


def test_codeword_lengths_past_the_decoder_are_refused():
    assert max_digits(3) == 128 and max_digits(256) == 32
    with pytest.raises(CodesimError, match="over the decoder's limit of 128 radix-3 digits"):
        DaryCode([1, 1, 129], radix=3)
    with pytest.raises(CodesimError, match="radix 2: a D-ary code has a radix from 3"):
        DaryCode([1, 1], radix=2)


@pytest.mark.parametrize("scheme", ["huffman", "huffman-limited"])
def test_models_with_memory_are_refused_beyond_radix_two(scheme):
    chain = MarkovChain.from_transitions([[0.5, 0.25, 0.25]] * 3)
    with pytest.raises(SchemeError, match="radix=3 codes with i.i.d. models only"):
        build(scheme, chain, radix=3)


def test_digits_per_symbol_in_a_simulation():
    """The measured digits per symbol are the streams' digits, the bits their packing (five trits a
    byte, per message), the expected bits the expected digits x log2 3; a binary code has no digits."""
    p = Distribution.from_probs([0.4, 0.3, 0.1, 0.1, 0.05, 0.05], list("abcdef"))
    q = Distribution.from_probs([0.3, 0.3, 0.1, 0.1, 0.1, 0.1], list("abcdef"))
    m = simulate(p, q, "huffman:radix=3", length=4000, trials=2, seed=3)
    code = build("huffman", q.probs, radix=3)
    assert m.scheme == "huffman:radix=3" and m.verified
    assert m.digits_per_symbol == pytest.approx(code.expected_digits(p.probs), rel=0.05)
    assert m.expected_bits_per_symbol == pytest.approx(code.expected_digits(p.probs) * math.log2(3))
    for bits in m.bits:
        assert bits % 8 == 0
    assert np.mean(m.bits) == pytest.approx(math.ceil(m.digits_per_symbol * 4000 / 5) * 8, abs=8)
    assert m.bits_per_symbol >= m.digits_per_symbol * math.log2(3)
    assert "5 digits packed in 8 bits" in m.scheme_note
    assert simulate(p, q, "huffman", length=1000, trials=1).digits_per_symbol is None


@pytest.mark.parametrize("radix", [3, 5, 6, 7, 8, 12])
def test_streams_across_many_conversion_chunks_round_trip(radix, monkeypatch):
    """Digits converted a few at a time (CHUNK_DIGITS shrunk) give the same bits and symbols."""
    q = np.random.default_rng(radix).dirichlet(np.ones(40))
    code = build("huffman", q, radix=radix)
    stream = np.random.default_rng(1).choice(40, size=3000, p=q)
    whole = code.encode(stream)
    monkeypatch.setattr(dary, "CHUNK_DIGITS", 7)
    assert code.encode(stream) == whole
    assert code.decode(whole, stream.size).tolist() == stream.tolist()
    if radix & (radix - 1):
        bad = whole.copy()
        bad[-code.group_bits:] = 1  # a last group past D^g - 1
        with pytest.raises(DecodeError, match=f"group {len(whole) // code.group_bits - 1} of the stream"):
            code.decode(bad, stream.size)


def test_a_message_is_limited_to_two_to_the_twenty_symbols():
    assert build("huffman", np.array([0.5, 0.3, 0.2]), radix=3).symbol_limit() == 1 << 20
