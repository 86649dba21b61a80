"""The universal integer codes: codewords against the textbook tables, Golomb against its closed form and
Gallager and van Voorhis's rule against brute force, round trips through the container, the prefix-code
identity, and hostile configs and bits."""

import math
import re
import time
from dataclasses import dataclass

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

from codesim import jit
from codesim.coders import build, check_config, from_config
from codesim.coders.integer import MAX_VALUE, IntegerCode, gallager_van_voorhis
from codesim.errors import ConfigError, DecodeError, SchemeError
from codesim.files import container
from codesim.measures import entropy
from codesim.sources.iid import Distribution

SCHEMES = ["unary", "elias-gamma", "elias-delta", "elias-omega", "fibonacci", "exp-golomb", "golomb", "rice"]

#: Codewords of 1..16 (the Elias codes and Fibonacci's code the positive integers: value n is n + 1).
ELIAS_GAMMA = ["1", "010", "011", "00100", "00101", "00110", "00111", "0001000", "0001001", "0001010", "0001011",
               "0001100", "0001101", "0001110", "0001111", "000010000"]
ELIAS_DELTA = ["1", "0100", "0101", "01100", "01101", "01110", "01111", "00100000", "00100001", "00100010",
               "00100011", "00100100", "00100101", "00100110", "00100111", "001010000"]
ELIAS_OMEGA = ["0", "100", "110", "101000", "101010", "101100", "101110", "1110000", "1110010", "1110100",
               "1110110", "1111000", "1111010", "1111100", "1111110", "10100100000"]
FIBONACCI = ["11", "011", "0011", "1011", "00011", "10011", "01011", "000011", "100011", "010011", "001011",
             "101011", "0000011", "1000011", "0100011", "0010011"]
#: Codewords of 0..9 (these code n >= 0 itself).
UNARY = ["0", "10", "110", "1110", "11110", "111110", "1111110", "11111110", "111111110", "1111111110"]
GOLOMB_3 = ["00", "010", "011", "100", "1010", "1011", "1100", "11010", "11011", "11100"]
GOLOMB_5 = ["000", "001", "010", "0110", "0111", "1000", "1001", "1010", "10110", "10111"]
RICE_2 = ["000", "001", "010", "011", "1000", "1001", "1010", "1011", "11000", "11001"]
EXP_GOLOMB_0 = ["1", "010", "011", "00100", "00101", "00110", "00111", "0001000", "0001001", "0001010"]
EXP_GOLOMB_1 = ["10", "11", "0100", "0101", "0110", "0111", "001000", "001001", "001010", "001011"]


@dataclass(frozen=True, eq=False)
class Family(Distribution):
    """A stand-in for an integer distribution: a Distribution carrying its family and parameter."""

    family: str = "geometric"
    parameter: float = 0.5


def geometric(theta: float, top: int) -> Family:
    probs = (1 - theta) * theta ** np.arange(top + 1)
    return Family(tuple(range(top + 1)), probs / probs.sum(), "geometric", theta)


def codewords(name: str, count: int, **params) -> list[str]:
    code = build(name, np.full(count, 1 / count), **params)
    return [code.codeword(i) for i in range(count)]


@pytest.mark.parametrize("name, table", [("elias-gamma", ELIAS_GAMMA), ("elias-delta", ELIAS_DELTA),
                                         ("elias-omega", ELIAS_OMEGA), ("fibonacci", FIBONACCI)])
def test_elias_and_fibonacci_codewords_of_1_to_16(name, table):
    assert codewords(name, 16) == table


@pytest.mark.parametrize("name, params, table", [
    ("unary", {}, UNARY), ("golomb", {"m": 3}, GOLOMB_3), ("golomb", {"m": 5}, GOLOMB_5), ("rice", {"k": 2}, RICE_2),
    ("exp-golomb", {"k": 0}, EXP_GOLOMB_0), ("exp-golomb", {"k": 1}, EXP_GOLOMB_1),
])
def test_codewords_of_0_to_9(name, params, table):
    assert codewords(name, 10, **params) == table


def test_a_symbol_s_value_is_its_label_not_its_index():
    q = Distribution.from_probs([0.5, 0.25, 0.25], alphabet=[7, 0, 15])
    code = build("elias-gamma", q)
    assert [code.codeword(i) for i in range(3)] == [ELIAS_GAMMA[7], ELIAS_GAMMA[0], ELIAS_GAMMA[15]]
    assert code.get_config()["values"] == [7, 0, 15]


@pytest.mark.parametrize("label", ["a", 1.0, -1, MAX_VALUE + 1])
def test_labels_that_are_not_non_negative_integers_are_refused_by_name(label):
    q = Distribution.from_probs([0.5, 0.5], alphabet=[0, label])
    named = rf"label .*{re.escape(repr(label))} \(alphabet entry 1, counting from 0\)"
    for name in SCHEMES:
        with pytest.raises(SchemeError, match=rf"scheme '{name}' codes a symbol's value.*{named}"):
            build(name, q)


@pytest.mark.parametrize("theta", [0.3, 0.6, 0.8, 0.9, 0.95, 0.97])
@pytest.mark.parametrize("m", [1, 2, 3, 5, 8, 13])
def test_golomb_s_expected_length_on_a_geometric_source_is_its_closed_form(theta, m):
    """E[l] = 1 + b + theta^m / (1 - theta^m) - (1 - theta^c) / (1 - theta^m), b = ceil(log2 m),
    c = 2^b - m: the quotient's unary, and b bits for the remainder but one less below c."""
    p = geometric(theta, 2000)
    b = (m - 1).bit_length()
    cutoff = (1 << b) - m
    closed = 1 + b + theta**m / (1 - theta**m) - (1 - theta**cutoff) / (1 - theta**m)
    assert build("golomb", p, m=m).expected_length(p) == pytest.approx(closed, rel=1e-12)


@pytest.mark.parametrize("theta", [0.2, 0.5, 0.62, 0.75, 0.83, 0.9, 0.93, 0.96, 0.98, 0.99])
def test_gallager_van_voorhis_s_m_is_the_best_golomb_code_of_a_geometric(theta):
    """Over m = 1..200, the rule's m has the least exact expected length; building golomb on a geometric
    model chooses it and records it."""
    p = geometric(theta, 6000)
    lengths = [build("golomb", p, m=m).expected_length(p) for m in range(1, 201)]
    best = 1 + int(np.argmin(lengths))
    assert gallager_van_voorhis(theta) == best
    code = build("golomb", p)
    assert code.params == {"m": best} and code.get_config()["params"] == {"m": best}


def test_golomb_s_m_from_a_model_that_is_not_geometric_is_the_geometric_of_its_mean():
    probs = np.array([0.1, 0.1, 0.2, 0.3, 0.2, 0.1])
    mean = float(np.dot(probs, np.arange(6)))
    assert build("golomb", probs).params["m"] == gallager_van_voorhis(mean / (1 + mean))
    poisson = Family(tuple(range(6)), probs, "poisson", 2.5)  # its family is not geometric: its mean decides
    assert build("golomb", poisson).params["m"] == gallager_van_voorhis(mean / (1 + mean))


@pytest.mark.parametrize("name", SCHEMES)
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_expected_length_is_entropy_plus_divergence_plus_the_kraft_gap(name, data):
    """E_p[l] = H(p) + D(p||r) + log2(1/c), r the implied distribution, c the Kraft sum."""
    size = data.draw(st.integers(1, 300), label="size")
    values = data.draw(st.lists(st.integers(0, 5000 if name != "unary" else 3000), min_size=size, max_size=size,
                                unique=True), label="values")
    p = np.random.default_rng(size).dirichlet(np.full(size, 0.3))
    code = build(name, Distribution.from_probs(p, alphabet=values))
    assert code.kraft_sum <= 1 + 1e-12
    identity = entropy(p) + code.code_divergence(p) - code.log2_kraft
    assert code.expected_length(p) == pytest.approx(identity, rel=1e-9, abs=1e-9)


def test_the_kraft_sum_of_a_long_tail_is_kept_where_2_to_the_minus_l_underflows():
    code = build("unary", np.full(65536, 1 / 65536))
    assert code.log2_kraft == pytest.approx(math.log2(1 - 2.0**-65536), abs=1e-12)
    p = np.zeros(65536)
    p[-1] = 1.0
    assert code.expected_length(p) == 65536
    assert code.code_divergence(p) == pytest.approx(65536 + code.log2_kraft)


def _round_trip(coder, stream, alphabet):
    bits = coder.encode(stream)
    assert bits.to01() == "".join(coder.codeword(s) for s in stream.tolist())
    header, again, payload = container.loads(container.dumps(coder, bits, stream.size, alphabet), "test.csim")
    assert container.decode_payload(header, again, payload).tolist() == stream.tolist()
    with jit.interpreted():
        assert from_config(coder.get_config()).decode(bits, stream.size).tolist() == stream.tolist()


@pytest.mark.parametrize("name", SCHEMES)
@given(data=st.data())
@settings(max_examples=12, deadline=None)
def test_round_trips_through_the_container_far_into_a_tail(name, data):
    top = 2000 if name == "unary" else MAX_VALUE
    values = data.draw(st.lists(st.integers(0, top), min_size=1, max_size=40, unique=True), label="values")
    params = {"golomb": {"m": data.draw(st.integers(0, 1 << 20), label="m")},
              "rice": {"k": data.draw(st.integers(0, 40), label="k")},
              "exp-golomb": {"k": data.draw(st.integers(0, 40), label="k")}}.get(name, {})
    q = Distribution.from_probs(np.full(len(values), 1 / len(values)), alphabet=values)
    try:
        coder = build(name, q, **params)
    except SchemeError as exc:  # a small m on a far value: a codeword over the limit, said so
        assert "over the limit" in str(exc)
        return
    n = data.draw(st.integers(0, min(200, coder.symbol_limit())), label="n")
    stream = np.random.default_rng(n).integers(0, len(values), n)
    _round_trip(coder, stream, values)


@pytest.mark.parametrize("name", SCHEMES)
def test_round_trips_over_a_65536_symbol_alphabet(name):
    q = geometric(0.9999, 65535)
    coder = build(name, q)
    n = min(3000, coder.symbol_limit())
    stream = np.random.default_rng(5).integers(0, 65536, n)
    stream[:2] = [0, 65535]
    _round_trip(coder, stream, list(range(65536)))


def test_unary_codewords_longer_than_256_bits_show_shortened():
    code = build("unary", np.full(1000, 1e-3))
    row = code.table_rows(list(range(1000)), None, None)[999]
    assert row["length"] == 1000 and len(row["codeword"]) < 80 and "bits)" in row["codeword"]
    assert code.codeword(999) == "1" * 999 + "0"


def test_golomb_s_m_from_the_model_is_what_the_file_records():
    code = build("golomb", geometric(0.9, 300))
    header, again, _ = container.loads(container.dumps(code, code.encode(np.arange(3)), 3, list(range(301))))
    assert header.coder["params"] == {"m": 7} and again.params == {"m": 7}


# -- hostile configs and bits -------------------------------------------------------------------------

def _config(name="golomb", **params):
    return build(name, np.full(4, 0.25), **params).get_config()


@pytest.mark.parametrize("change, match", [
    ({"params": {"m": 0}}, r"field 'coder.params.m' is 0: a file records the m chosen"),
    ({"params": {"m": -1}}, r"field 'coder.params.m' is -1"),
    ({"params": {"m": 1 << 41}}, r"field 'coder.params.m' is 2199023255552"),
    ({"params": {"m": 2.0}}, r"field 'coder.params.m' is 2.0, not an integer"),
    ({"params": {}}, r"field 'coder.params.m' is missing"),
    ({"values": [0, 1, 2]}, r"field 'coder.values' has 3 entries, but the alphabet has 4 labels"),
    ({"values": [0, 1, 2, -3]}, r"field 'coder.values' entry 4 is -3"),
    ({"values": [0, 1, 2, 1 << 40]}, r"field 'coder.values' entry 4 is 1099511627776"),
    ({"values": [0, 1, 1, 3]}, r"field 'coder.values' holds 1 twice"),
    ({"values": [0, 1, 2, "3"]}, r"field 'coder.values' entry 4 is \"3\", not an integer"),
    ({"values": {}}, r"field 'coder.values' is \{\}, not a non-empty list"),
    ({"params": {"m": 1}, "values": [0, 1, 2, 1 << 21]}, r"field 'coder.values': a codeword takes 2097153 bits"),
])
def test_hostile_configs_are_refused_naming_the_field(change, match):
    with pytest.raises(ConfigError, match=match):
        check_config({**_config(m=3), **change}, 4)


@pytest.mark.parametrize("name, value", [("rice", -1), ("rice", 41), ("exp-golomb", 41), ("exp-golomb", True)])
def test_hostile_k_is_refused(name, value):
    with pytest.raises(ConfigError, match="field 'coder.params.k'"):
        check_config({**_config(name), "params": {"k": value}}, 4)


def _hostile_bits(code, n):
    longest = int(code.lengths.max())
    rng = np.random.default_rng(n)
    yield "1" * (n * longest)  # a run of ones that never ends (unary, Golomb, omega's chain)
    yield "0" * (n * longest)  # a run of zeros (gamma, delta, exp-Golomb)
    yield "".join(code.codeword(i % code.size) for i in range(n))[:-1]  # truncated
    yield "".join(code.codeword(i % code.size) for i in range(n)) + "0"  # a trailing bit
    for _ in range(20):
        yield "".join(rng.choice(["0", "1"], size=int(rng.integers(n, n * longest + 1))))


@pytest.mark.parametrize("name", SCHEMES)
@pytest.mark.parametrize("values", [[0, 1, 2, 3, 9], [5, 1000, 70000], [0, MAX_VALUE]])
def test_hostile_bits_raise_decode_errors_in_bounded_time_compiled_and_plain(name, values):
    """Every corrupt stream is refused the same way by the compiled and the interpreted kernel, or
    decodes to the same symbols (random bits may be a valid stream), quickly."""
    q = Distribution.from_probs(np.full(len(values), 1 / len(values)), alphabet=values)
    try:
        code = build(name, q, **({"m": 1} if name == "golomb" and len(values) == 5 else {}))
    except SchemeError:  # unary or a small Golomb m on 2^40: over the codeword limit
        return
    start = time.perf_counter()
    for text in _hostile_bits(code, 7):
        bits = bitarray(text, endian="big")
        outcomes = []
        for plain in (False, True):
            try:
                if plain:
                    with jit.interpreted():
                        outcomes.append(code.decode(bits, 7).tolist())
                else:
                    outcomes.append(code.decode(bits, 7).tolist())
            except DecodeError as exc:
                outcomes.append(str(exc))
        assert outcomes[0] == outcomes[1]
        if isinstance(outcomes[0], list):
            assert code.encode(np.array(outcomes[0])) == bits
    assert time.perf_counter() - start < 20


def test_an_omega_length_chain_that_explodes_stops_at_the_longest_codeword():
    code = build("elias-omega", Distribution.from_probs([0.5, 0.5], alphabet=[0, MAX_VALUE]))
    # All ones: groups 11, 1111, then 16 ones, each one less than the next group's width: 1 -> 3 -> 15 ->
    # 65535, whose group of 65536 bits is wider than any field and any codeword of the alphabet.
    chain = "1" * (2 * int(code.lengths.max()))
    for plain in (False, True):
        with pytest.raises(DecodeError, match="symbol 0: the bits at position 22 are no codeword.*longer than"):
            if plain:
                with jit.interpreted():
                    code.decode(bitarray(chain, endian="big"), 2)
            else:
                code.decode(bitarray(chain, endian="big"), 2)


def test_values_outside_the_alphabet_are_decode_errors():
    code = build("elias-gamma", Distribution.from_probs([0.5, 0.5], alphabet=[0, 2]))
    with pytest.raises(DecodeError, match="a value outside the alphabet"):
        code.decode(bitarray("010" + "1", endian="big"), 2)  # value 1, then 0


def test_the_symbol_limit_keeps_a_message_s_decoding_cost_within_the_budget():
    from codesim.coders.integer import BIT_BUDGET, SLOW_BITS, SYMBOL_COST
    for name in SCHEMES:
        code = build(name, geometric(0.999, 65535))
        longest = int(code.lengths.max())
        assert code.symbol_limit() * (SYMBOL_COST + min(longest, SLOW_BITS) + longest // 32) <= BIT_BUDGET
    assert build("unary", np.full(65536, 1 / 65536)).symbol_limit() == BIT_BUDGET // (3 + 128 + 2048)


@pytest.mark.parametrize("name", SCHEMES)
def test_the_encoder_s_chunks_by_symbols_and_by_bits_join_to_the_codewords(name, monkeypatch):
    from codesim.coders import integer

    code = build(name, np.full(300, 1 / 300))
    stream = np.random.default_rng(1).integers(0, 300, 500)
    whole = code.encode(stream)
    monkeypatch.setattr(integer, "ENCODE_CHUNK", 7)
    monkeypatch.setattr(integer, "ENCODE_CHUNK_BITS", 100)  # below unary's longest codewords, 300 bits
    assert code.encode(stream) == whole and whole.to01() == "".join(code.codeword(s) for s in stream.tolist())


def test_golomb_on_an_integer_distribution_takes_its_family_s_rule():
    """The integer sources' geometric model gives its theta to Gallager and van Voorhis's rule; a Poisson
    model, its mean to the rule for the geometric of that mean."""
    from codesim.sources.integer import IntegerDistribution

    q = IntegerDistribution.of("geometric", 0.9)
    code = build("golomb", q)
    assert q.family == "geometric" and code.params == {"m": gallager_van_voorhis(0.9)} == {"m": 7}
    assert code.get_config()["values"] == list(q.alphabet)
    poisson = IntegerDistribution.of("poisson", 20.0)
    mean = float(np.dot(poisson.probs, np.array(poisson.alphabet, dtype=float)))
    assert build("golomb", poisson).params == {"m": gallager_van_voorhis(mean / (1 + mean))}
