"""Guards at the edges of what the library accepts: each check exists for a reason, and each is shown to fire
(or, at a maximum the code allows, to work) by a case built for it."""

import dataclasses

import numpy as np
import pytest
from bitarray import bitarray

from codesim import Distribution, load
from codesim.simulation import experiments
from codesim.coders import build
from codesim.coders.frequencies import quantise
from codesim.coders.rans import MAX_LANES, RansCoder
from codesim.coders.rans_v1 import CHUNK_SYMBOLS
from codesim.files.container import dumps, loads
from codesim.errors import CodesimError, ContainerError
from codesim.simulation.simulate import simulate_many

from .conftest import NASA_P, SCENARIOS
from .files.test_container import assemble, refused, split, with_header

NASA = SCENARIOS / "nasa-temperature.toml"


def test_a_model_over_another_alphabet_is_refused_by_simulate_and_by_the_experiments():
    sc = load(NASA)
    other = Distribution.from_probs(NASA_P, list(range(8)))
    with pytest.raises(CodesimError, match="model 'other' has another alphabet than the source"):
        simulate_many(sc.source, {"other": other}, ["huffman"], length=10, trials=1, seed=1)
    foreign = dataclasses.replace(sc, models={"other": other})
    for run in (lambda: experiments.converge(foreign, [10], schemes=["huffman"], trials=1, seed=1),
                lambda: experiments.sweep(foreign, mix=[0.5], schemes=["huffman"], length=10, trials=1, seed=1)):
        with pytest.raises(CodesimError, match="model 'other' has another alphabet than the source"):
            run()


@pytest.mark.parametrize("model", [["a", "b"], {"a": 1}, "ab", [[0.5], [0.5]], [None, 0.5]])
def test_dumps_refuses_a_model_that_is_not_a_vector_of_numbers_with_the_container_error(model):
    coder = build("huffman", [0.5, 0.5])
    with pytest.raises(ContainerError, match="cannot write a .csim file: model "):
        dumps(coder, coder.encode(np.array([0, 1])), 2, ["x", "y"], model=model)


def test_a_block_code_payload_must_hold_its_tuples_and_its_leftover_symbols():
    """n = 21 with k = 2: 10 tuples and 1 leftover; the bounds count both parts."""
    coder = build("block-huffman", [0.5, 0.25, 0.15, 0.1], k=2)
    n = 21
    stream = np.random.default_rng(5).integers(0, 4, n)
    header, payload, _, nbits = split(dumps(coder, coder.encode(stream), n, ["a", "b", "c", "d"]))
    least, most = coder.tuple_code.bit_bounds(n // 2)
    left = coder.leftover_code.lengths
    least, most = least + int(left.min()), most + int(left.max())
    assert least <= nbits <= most
    short = least - 1
    refused(assemble(header, bytes(-(-short // 8)), n, short), f"payload too short for 21 symbols: needs at least "
                                                                f"{least} bits")
    long = most + 1
    refused(assemble(header, bytes(-(-long // 8)), n, long), f"payload too long for 21 symbols: at most {most} bits")


def test_header_corrupt_names_ill_formed_headers_not_impossible_codes():
    """'header corrupt' means the bytes are not a header this format can hold; a well-formed header
    describing an impossible code (an over-subscribed prefix code) is refused without that word."""
    data = dumps(build("huffman", [0.5, 0.25, 0.25]), build("huffman", [0.5, 0.25, 0.25]).encode(np.array([0])), 1,
                 ["a", "b", "c"])
    ill = with_header(data, lambda h: h.pop("alphabet"))
    assert "header corrupt: field 'alphabet' is missing" in refused(ill, "missing")

    def oversubscribe(h):
        h["coder"]["lengths"] = [1, 1, 1]

    message = refused(with_header(data, oversubscribe), "over-subscribed")
    assert "corrupt" not in message


def test_arithmetic_at_its_maximum_precision_32_round_trips_within_its_bound():
    q = np.array(NASA_P)
    coder = build("arithmetic", q, precision=32)
    assert coder.precision == 32 and int(coder.freqs.sum()) == 2**32
    stream = np.random.default_rng(32).choice(8, size=5000, p=NASA_P)
    bits = coder.encode(stream)
    assert coder.decode(bits, stream.size).tolist() == stream.tolist()
    ideal = float(np.dot(np.bincount(stream, minlength=8), 32 - np.log2(coder.freqs.astype(float))))
    assert ideal - 1e-6 <= len(bits) <= coder.max_bits(stream) + 1e-6
    header, restored, payload = loads(dumps(coder, bits, stream.size, list(range(8))))
    assert restored.precision == 32 and restored.decode(payload, stream.size).tolist() == stream.tolist()
    with pytest.raises(CodesimError, match="precision"):
        build("arithmetic", q, precision=33)


def test_rans_with_more_lanes_than_a_step_block_has_rows_round_trips():
    """Version 1, more lanes than CHUNK_SYMBOLS: each block of steps is then a single row of the lanes."""
    lanes = CHUNK_SYMBOLS * 2
    assert lanes <= MAX_LANES
    coder = RansCoder(quantise(np.array(NASA_P), 12), 12, params={"lanes": lanes}, version=1)
    coder.symbols_per_lane = 1  # so that a short stream uses them all
    n = lanes * 3 + 17  # three full rows and a partial one
    stream = np.random.default_rng(9).choice(8, size=n, p=NASA_P)
    assert coder.lanes_for(n) == lanes
    bits = coder.encode(stream)
    assert coder.decode(bits, n).tolist() == stream.tolist()


def test_a_config_whose_precision_disagrees_with_its_parameter_is_a_corrupt_header():
    coder = build("arithmetic", [0.5, 0.25, 0.25], precision=12)
    data = dumps(coder, coder.encode(np.array([0, 1, 2])), 3, ["a", "b", "c"])

    def disagree(h):
        h["coder"]["params"]["precision"] = 13

    refused(with_header(data, disagree), "header corrupt: field 'coder.precision' is 12 but "
                                         "'coder.params.precision' is 13")


def test_the_payload_is_the_same_whichever_bit_order_the_caller_s_bitarray_has():
    """bitarray's little-endian arrays hold the same bits in another order in memory; the file takes
    the first bit into the top bit of the first byte either way."""
    coder = build("huffman", [0.5, 0.25, 0.125, 0.125])
    bits = coder.encode(np.array([3, 0, 2, 1, 1, 3, 2]))
    little = bitarray(bits.to01(), endian="little")
    assert dumps(coder, little, 7, list("abcd")) == dumps(coder, bits, 7, list("abcd"))
