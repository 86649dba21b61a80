"""lz78: its bits against a parse and a code written independently here, a worked example, round trips
(through the .csim container too), the compiled and interpreted paths alike, hostile bits refused, its
bounds, its rate falling towards the entropy rate of a Markov source, and a simulation beside huffman."""

import math
import time

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

import codesim
from codesim import jit
from codesim.coders import build, check_config, from_config
from codesim.coders.lz78 import MAX_LZ78_SYMBOLS, LZ78Coder, index_bits, index_widths
from codesim.errors import DecodeError
from codesim.files.container import decode_payload, dumps, loads
from codesim.sources.iid import Distribution
from codesim.sources.markov import MarkovChain

ALPHABETS = [1, 2, 3, 8, 256, 257, 65536]
CLASSIC = "AABABBBABAABABBBABBABB"


def brute_parse(stream):
    """The LZ78 phrases of a sequence by a dict of phrases: (prefix index, symbol or None)."""
    phrases, out, current = {(): 0}, [], ()
    for x in stream:
        if current + (x,) in phrases:
            current += (x,)
        else:
            out.append((phrases[current], x))
            phrases[current + (x,)] = len(phrases)
            current = ()
    if current:
        out.append((phrases[current], None))
    return out


def brute_bits(stream, k):
    """The code as its notes define it: phrase j's index in ceil(log2 j) bits, its symbol in ceil(log2 K)."""
    s = math.ceil(math.log2(k)) if k > 1 else 0
    fields = []
    for j, (index, x) in enumerate(brute_parse(stream), 1):
        width = math.ceil(math.log2(j)) if j > 1 else 0
        fields.append(format(index, "b").zfill(width) if width else "")
        if x is not None and s:
            fields.append(format(x, "b").zfill(s))
    return "".join(fields)


@st.composite
def streams(draw, max_size=400):
    """(K, stream): any alphabet of the list, short streams of 1 to 16 distinct symbols (few of them make
    long phrases, many short ones)."""
    k = draw(st.sampled_from(ALPHABETS))
    used = draw(st.integers(1, min(k, 16)))
    symbols = draw(st.lists(st.integers(0, k - 1), min_size=used, max_size=used))
    picks = draw(st.lists(st.integers(0, used - 1), max_size=max_size))
    return k, np.array([symbols[i] for i in picks], dtype=np.int64)


def test_the_worked_example_codes_to_its_phrases_bits():
    """The module notes' example, by hand: 9 phrases, the last its index alone, 29 bits."""
    stream = np.array(["AB".index(c) for c in CLASSIC])
    coder = LZ78Coder(2)
    prefixes, symbols = coder.parse(stream)
    assert prefixes.tolist() == [0, 1, 2, 0, 2, 5, 4, 3, 7]
    assert symbols.tolist() == [0, 1, 1, 1, 0, 1, 1, 0, -1]
    bits = coder.encode(stream)
    assert bits.to01() == "0" "11" "101" "001" "0100" "1011" "1001" "0110" "0111"
    assert np.array_equal(coder.decode(bits, stream.size), stream)


def test_a_repeating_pair_codes_by_hand():
    """"abababab" over {a, b}: a | b | ab | aba | b (the end, index alone): 0, 0|1, 01|1, 11|0, 010."""
    coder = LZ78Coder(2)
    assert coder.encode(np.array([0, 1] * 4)).to01() == "0" "01" "011" "110" "010"


@given(streams())
@settings(max_examples=150, deadline=None)
def test_the_bits_are_those_of_a_parse_by_a_dict_of_phrases(case):
    """Every stream codes to the bits an independent parse and code give, whose length is
    sum ceil(log2 j) + ceil(log2 K) per phrase with a symbol; and decodes back."""
    k, stream = case
    coder = LZ78Coder(k)
    bits = coder.encode(stream)
    assert bits.to01() == brute_bits(stream.tolist(), k)
    phrases = brute_parse(stream.tolist())
    s = math.ceil(math.log2(k)) if k > 1 else 0
    assert len(bits) == sum(math.ceil(math.log2(j)) + (s if x is not None else 0)
                            for j, (_, x) in enumerate(phrases, 1))
    assert len(bits) == index_bits(len(phrases)) + s * sum(x is not None for _, x in phrases)
    assert np.array_equal(coder.decode(bits, stream.size), stream)
    least, most = coder.bit_bounds(stream.size)
    assert least <= len(bits) <= most
    assert len(phrases) <= coder.most_phrases(len(bits), stream.size)


def test_index_widths_and_their_sum():
    for m in range(0, 300):
        widths = index_widths(m)
        assert widths.tolist() == [math.ceil(math.log2(j)) if j > 1 else 0 for j in range(1, m + 1)]
        assert index_bits(m) == int(widths.sum())


@given(streams(max_size=600), st.integers(0, 2))
@settings(max_examples=60, deadline=None)
def test_a_message_round_trips_through_the_container(case, seed):
    k, stream = case
    coder = build("lz78", np.full(k, 1 / k))
    alphabet = list(range(k))
    data = dumps(coder, coder.encode(stream), stream.size, alphabet, meta={"seed": seed})
    header, restored, bits = loads(data, "lz.csim")
    assert restored.get_config() == coder.get_config() == {"scheme": "lz78", "params": {}, "size": k}
    assert decode_payload(header, restored, bits, "lz.csim").tolist() == stream.tolist()


@given(streams(max_size=300))
@settings(max_examples=60, deadline=None)
def test_the_plain_path_gives_the_same_bits_and_symbols(case):
    """Compiled kernels (numba, when installed) and their Python source, over lists, agree."""
    k, stream = case
    coder = LZ78Coder(k)
    bits = coder.encode(stream)
    with jit.interpreted():
        assert coder.encode(stream) == bits
        assert np.array_equal(coder.decode(bits, stream.size), stream)
        assert coder.parse(stream)[0].tolist() == [i for i, _ in brute_parse(stream.tolist())]


def test_the_trie_grows_past_its_first_table_on_both_paths():
    """More phrases than the first table takes: the same bits after the table has doubled several times."""
    stream = np.random.default_rng(3).integers(0, 300, 40_000)
    coder = LZ78Coder(300)
    bits = coder.encode(stream)
    assert bits.to01() == brute_bits(stream.tolist(), 300)
    with jit.interpreted():
        assert coder.encode(stream) == bits
        assert np.array_equal(coder.decode(bits, stream.size), stream)


def refusals(coder, bits, n):
    """The DecodeError message of both paths (the same), or None if the bits decode."""
    said = []
    for interpreted in (False, True):
        with jit.interpreted() if interpreted else _nothing():
            try:
                coder.decode(bits, n)
                said.append(None)
            except DecodeError as exc:
                said.append(str(exc))
    assert said[0] == said[1]
    return said[0]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_hostile_fields_are_refused_by_name():
    coder = LZ78Coder(3)  # 2-bit symbols: 3 is no symbol
    good = coder.encode(np.array([0, 1, 0, 1, 2, 2]))  # 0 | 1 | 01 | 2 | 2 (the end): 00 0|01 01|01 00|10 100
    assert good.to01() == "00" "001" "0101" "0010" "100"
    assert refusals(coder, good, 6) is None
    assert "not below the alphabet's 3" in refusals(coder, bitarray("11"), 1)
    assert "prefix index is not below 3" in refusals(coder, bitarray("00" "001" "11" "00"), 4)
    assert "already in the dictionary" in refusals(coder, bitarray("00" "000"), 2)  # 0 | 0 again
    assert "too short" in refusals(coder, good[:-1], 6)
    assert "trailing bits" in refusals(coder, good + bitarray("0"), 6)
    # phrase 4 = phrase 3 ("01") alone would end at symbol 6 of a 5-symbol message
    assert "runs past the 5 symbols" in refusals(coder, bitarray("00" "001" "0101" "11"), 5)
    assert "too short" in refusals(coder, bitarray(), 3)  # before allocating anything


@given(st.sampled_from(ALPHABETS), st.binary(max_size=64), st.integers(0, 2000))
@settings(max_examples=200, deadline=None)
def test_random_bits_decode_or_are_refused_quickly(k, raw, n):
    """Any bits, any count: a DecodeError or symbols that encode back to exactly those bits."""
    coder = LZ78Coder(k)
    bits = bitarray(endian="big")
    bits.frombytes(raw)
    start = time.monotonic()
    said = refusals(coder, bits, n)
    assert time.monotonic() - start < 5
    if said is None:
        assert coder.encode(coder.decode(bits, n)) == bits


def test_the_fewest_bits_are_those_of_a_constant_stream_and_decoding_checks_them_first():
    """One symbol repeated makes the longest phrases (1, 2, 3, ...), so the fewest bits; the decoder
    refuses a count that needs more bits than it has before it allocates for that count."""
    for k in (1, 2, 5):
        coder = LZ78Coder(k)
        for n in range(0, 80):
            bits = coder.encode(np.zeros(n, dtype=np.int64))
            assert coder.bit_bounds(n)[0] <= len(bits) <= coder.bit_bounds(n)[0] + coder.symbol_bits
            if k == 1:
                assert len(bits) == coder.bit_bounds(n)[0]
    coder = LZ78Coder(2)
    with pytest.raises(DecodeError, match="take at least"):
        coder.decode(bitarray(1000), 10**15)


def test_the_most_bits_are_reached_by_distinct_short_phrases():
    """Every symbol, then every pair, ...: the parse the upper bound counts, plus perhaps one."""
    coder = LZ78Coder(3)
    stream = np.array([0, 1, 2] + [a for pair in [(x, y) for x in range(3) for y in range(3)] for a in pair])
    bits = coder.encode(stream)
    least, most = coder.bit_bounds(stream.size)
    assert len(bits) <= most <= len(bits) + index_bits(13) - index_bits(12) + coder.symbol_bits


def test_the_limit_and_the_model_figures():
    coder = build("lz78", [0.5, 0.25, 0.25])
    assert coder.symbol_limit() == MAX_LZ78_SYMBOLS == 1 << 20
    assert LZ78Coder(256).symbol_limit() == 1 << 20 and LZ78Coder(257).symbol_limit() == 1 << 18
    assert coder.reads_context and coder.code_divergence(Distribution.from_probs([0.5, 0.5])) == 0
    assert coder.expected_length(Distribution.from_probs([0.5, 0.25, 0.25])) == pytest.approx(1.5)
    chain = MarkovChain.from_transitions([[0.9, 0.1], [0.2, 0.8]])
    assert coder.expected_length(chain) == pytest.approx(chain.entropy_rate())
    assert from_config(coder.get_config()).get_config() == coder.get_config()
    check_config(coder.get_config(), 3)


def test_the_rate_falls_with_the_length_towards_the_entropy_rate_of_a_markov_source():
    """Bits per symbol at 10^3 .. 10^6 symbols of one stream of a sticky chain: strictly falling, and
    above the entropy rate at every length (LZ78's redundancy falls like 1 / log n)."""
    chain = MarkovChain.from_transitions([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    stream = chain.sample(10**6, 7)
    coder = LZ78Coder(3)
    rates = [len(coder.encode(stream[:n])) / n for n in (10**3, 10**4, 10**5, 10**6)]
    h = chain.entropy_rate()
    assert all(a > b for a, b in zip(rates, rates[1:])), rates
    assert rates[-1] > h and rates[-1] - h < 0.5 * (rates[0] - h), (rates, h)


def test_a_simulation_runs_lz78_beside_huffman():
    """Once per stream, with no model figures, verified, above the entropy rate and below the i.i.d. code."""
    chain = MarkovChain.from_transitions([[0.8, 0.2], [0.3, 0.7]], ["calm", "storm"])
    q = Distribution.from_probs([0.6, 0.4], ["calm", "storm"])
    ms = codesim.simulate_many(chain, {"iid": q}, ["huffman", "lz78"], length=20_000, trials=2, seed=3)
    assert [(m.model, m.scheme) for m in ms] == [("iid", "huffman"), (None, "lz78")]
    lz = ms[1]
    assert all(m.verified for m in ms)
    assert lz.cross_entropy_bits is lz.kl_bits is lz.ideal_bits_per_symbol is lz.expected_bits_per_symbol is None
    assert lz.entropy_bits == pytest.approx(chain.entropy_rate()) and len(lz.bits) == 2
    assert lz.entropy_bits < lz.bits_per_symbol < ms[0].bits_per_symbol == 1.0


def test_the_trace_shows_each_phrase_with_its_fields_and_bits():
    stream = np.array(["AB".index(c) for c in CLASSIC])
    coder = LZ78Coder(2)
    bits = coder.encode(stream)
    rows = coder.trace_rows(stream, ["A", "B"], None, 100, bits)
    assert ["".join(r["symbols"]) for r in rows] == ["A", "AB", "ABB", "B", "ABA", "ABAB", "BB", "ABBA", "BB"]
    assert [r["prefix"] for r in rows] == [0, 1, 2, 0, 2, 5, 4, 3, 7]
    assert [r["new"] for r in rows] == ["A", "B", "B", "B", "A", "B", "B", "A", ""]
    assert [r["index"] for r in rows] == [0, 1, 3, 6, 7, 10, 14, 16, 20]
    assert [r["bits"] for r in rows] == [1, 2, 3, 3, 4, 4, 4, 4, 4]
    assert [r["position"] for r in rows] == [0, 1, 3, 6, 9, 13, 17, 21, 25]
    assert rows[-1]["total_bits"] == len(bits) and rows[-1]["total_ideal"] == stream.size
    assert coder.trace_rows(stream, ["A", "B"], None, 3, bits) == rows[:3]


def test_inspect_shows_the_phrases_of_a_file(tmp_path):
    """`codesim inspect` on an lz78 file: a row per phrase, its prefix and new symbol, the end's index alone."""
    from click.testing import CliRunner

    from codesim.cli import main

    stream = np.array(["AB".index(c) for c in CLASSIC])
    coder = LZ78Coder(2)
    path = tmp_path / "classic.csim"
    path.write_bytes(dumps(coder, coder.encode(stream), stream.size, ["A", "B"]))
    result = CliRunner().invoke(main, ["inspect", str(path), "--symbols", "9"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("index"))
    assert lines[head].split()[:6] == ["index", "symbols", "phrase", "prefix", "new", "symbol"]
    rows = [line.split() for line in lines[head + 2 : head + 11]]
    assert [r[:5] for r in rows[:2]] == [["0", "A", "1", "0", "A"], ["1", "A", "B", "2", "1"]]
    assert rows[-1][:6] == ["20", "B", "B", "9", "7", "25"]  # no new symbol: the bit position follows
