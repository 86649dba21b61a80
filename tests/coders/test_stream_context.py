"""The context codes of ``arithmetic`` and ``rans``: per-context frequencies quantised as the i.i.d. coders
quantise q, exact round trips for chains of orders 1 to 3, the i.i.d. coders' length bounds with the
stream's ideal length under its contexts, the same bits compiled and interpreted, configs that a hostile
file cannot get past, and decoders that trust no bits."""

from __future__ import annotations

import contextlib
import functools
import math

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

from codesim import jit
from codesim.coders import build, check_config, from_config, get, rangecoder
from codesim.coders.context import Contexts
from codesim.coders.context_frequencies import LOOKUP_ENTRIES, ContextFrequencyCoder, quantise_rows, row_lookup
from codesim.coders.frequencies import quantise
from codesim.coders.kernels import context as context_kernel
from codesim.coders.rangecoder import ContextArithmeticCoder
from codesim.coders.rans import ContextRansCoder
from codesim.errors import CodesimError, ConfigError, DecodeError
from codesim.files.container import decode_payload, dumps, loads
from codesim.sources.iid import index_dtype
from codesim.sources.markov import MarkovChain

from ..files.test_container import full_decode, refused, with_header

SCHEMES = ("arithmetic", "rans")
#: Precisions each scheme takes (rans: 1 to 16; the range coder: up to 32).
PRECISIONS = {"arithmetic": (8, 12, 24, 32), "rans": (8, 11, 12, 14, 16)}


class TableModel:
    """A model with memory given by its contexts and rows directly (a sparse table, with or without a
    fallback row), as a coder sees any model: ``context_table()``."""

    def __init__(self, contexts: Contexts, rows: np.ndarray):
        self.contexts, self.rows = contexts, rows
        self.order, self.alphabet = contexts.order, list(range(contexts.size))

    def context_table(self):
        return self.contexts, self.rows


@st.composite
def chains(draw, max_order=3, max_size=8):
    """A chain of order 1..3 over 2..8 symbols (MarkovChain, every transition positive), or a sparse
    table of random rows over a random subset of the contexts (some with zeros), with or without a
    fallback row."""
    order = draw(st.integers(1, max_order), label="order")
    size = draw(st.integers(2, max_size), label="size")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    if draw(st.booleans(), label="markov"):
        return MarkovChain.from_transitions(rng.dirichlet(np.ones(size), size=size**order), order=order)
    full = size**order
    span = full + sum(size**j for j in range(order))
    keep = rng.random(span) < draw(st.floats(0.2, 1.0), label="kept")
    keep[full] = True  # a message's first symbol has a row
    fallback = draw(st.booleans(), label="fallback")
    contexts = Contexts(size, order, np.flatnonzero(keep), fallback)
    rows = rng.dirichlet(np.full(size, 0.5), size=contexts.rows)
    rows[rng.random(rows.shape) < 0.2] = 0.0
    rows[np.arange(contexts.rows), rng.integers(0, size, contexts.rows)] += 0.1
    return TableModel(contexts, rows / rows.sum(axis=1, keepdims=True))


def walk(contexts: Contexts, n: int, seed: int) -> np.ndarray:
    """n symbols whose every context has a row: each drawn among those that do not lead out of the model."""
    rng = np.random.default_rng(seed)
    follow = contexts.kernel_args()
    row, cid = contexts.start_row, contexts.start_id
    out: list[int] = []
    for _ in range(n):
        nexts = [context_kernel.advance.py_func(row, cid, x, *follow) for x in range(contexts.size)]
        ok = [x for x, (r, _) in enumerate(nexts) if r >= 0]
        if not ok:
            break
        x = int(rng.choice(ok))
        out.append(x)
        row, cid = nexts[x]
    return np.array(out, dtype=np.int64)


def row_by_hand(contexts: Contexts, before: list[int]) -> int:
    """The row that codes the symbol after ``before``, found from the module notes' id rule alone: the
    last min(k, i) symbols as base-K digits, a partial context offset past K^k; its index among the
    stored ids, else the fallback's (the last), else -1."""
    k, size = contexts.order, contexts.size
    recent = before[-k:] if len(before) >= k else before
    value = 0
    for x in recent:
        value = value * size + x
    j = len(recent)
    cid = value if j == k else size**k + sum(size**i for i in range(j)) + value
    ids = contexts.ids.tolist()
    if cid in ids:
        return ids.index(cid)
    return len(ids) if contexts.fallback else -1


def ideal_by_hand(coder: ContextFrequencyCoder, stream) -> float:
    """sum over positions of -log2(f / 2^P) in the row looked up by brute force from the symbols before."""
    freqs = coder.get_config()["freqs"]
    total = 0.0
    xs = [int(x) for x in stream]
    for i, x in enumerate(xs):
        row = row_by_hand(coder.contexts, xs[:i])
        total += coder.precision - math.log2(freqs[row][x])
    return total


def params_for(scheme: str, size: int, data) -> dict:
    choices = [p for p in PRECISIONS[scheme] if 1 << p >= size]
    params = {"precision": data.draw(st.sampled_from(choices), label="precision")}
    if scheme == "rans":
        params["lanes"] = data.draw(st.sampled_from([1, 2, 4, 7]), label="lanes")
    return params


def stream_for(model, data) -> np.ndarray:
    """A message the model can code: length 0, 1, a few hundred, or (now and then) 20000, three rans lanes."""
    n = data.draw(st.one_of(st.sampled_from([0, 1]), st.integers(2, 300), st.just(20_000)), label="n")
    seed = data.draw(st.integers(0, 2**32 - 1), label="stream seed")
    if isinstance(model, MarkovChain):
        return model.sample(n, seed) if n else np.zeros(0, dtype=np.uint8)
    if n > 300:
        n = 300
    return walk(model.contexts, n, seed)


# -- round trips and bounds ---------------------------------------------------------------------------


@settings(max_examples=120)
@given(model=chains(), scheme=st.sampled_from(SCHEMES), data=st.data())
def test_round_trip_within_the_iid_coders_bound_of_the_ideal_length_under_the_contexts(model, scheme, data):
    """decode(encode(x)) == x, and ideal <= bits < ideal + the i.i.d. coder's overhead, ideal the sum of
    -log2 r(x | context) with each row found by hand from the symbols before it."""
    coder = build(scheme, model, **params_for(scheme, len(model.alphabet), data))
    stream = stream_for(model, data)
    bits = coder.encode(stream)
    out = coder.decode(bits, stream.size)
    assert out.dtype == index_dtype(coder.size)
    np.testing.assert_array_equal(out, stream)
    ideal = ideal_by_hand(coder, stream)
    assert coder.ideal_bits(stream) == pytest.approx(ideal, abs=1e-6)
    n, P = stream.size, coder.precision
    if scheme == "arithmetic":
        assert ideal - 1e-6 <= len(bits) < ideal + 2 + n * coder.rounding_loss + 1e-6
    else:
        lanes = coder.lanes_for(n) if n else 0
        assert ideal - 1e-6 <= len(bits) <= ideal + n * math.log2(1 + 2.0 ** (P - 31)) + 64 * lanes + 1e-6


@settings(max_examples=40)
@given(model=chains(max_order=2, max_size=5), scheme=st.sampled_from(SCHEMES), data=st.data())
def test_compiled_and_interpreted_coders_write_and_read_the_same_bits(model, scheme, data):
    params = params_for(scheme, len(model.alphabet), data)
    stream = stream_for(model, data)[:400]
    compiled = build(scheme, model, **params)
    bits = compiled.encode(stream)
    with jit.interpreted():
        plain = build(scheme, model, **params)
        assert plain.encode(stream) == bits
        np.testing.assert_array_equal(plain.decode(bits, stream.size), stream)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_chain_whose_rows_are_all_q_codes_to_the_iid_coders_bits(scheme):
    """Every row quantised as q is: a chain that ignores its context gives today's frequencies and bits."""
    q = np.array([0.5, 0.2, 0.2, 0.07, 0.03])
    chain = MarkovChain.from_transitions(np.tile(q, (25, 1)), order=2)
    context, iid = build(scheme, chain), build(scheme, q)
    assert all(row == iid.freqs.tolist() for row in context.get_config()["freqs"])
    np.testing.assert_array_equal(context.implied_rows(), np.tile(iid.implied, (context.contexts.rows, 1)))
    stream = chain.sample(30_000, 5)
    assert context.encode(stream) == iid.encode(stream)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_scheme_builds_and_restores_its_context_code_by_the_models_order(scheme):
    chain = MarkovChain.from_transitions([[0.9, 0.1], [0.2, 0.8]])
    coder = build(scheme, chain)
    assert type(coder) is get(scheme).context_coder is {"arithmetic": ContextArithmeticCoder,
                                                          "rans": ContextRansCoder}[scheme]
    assert type(from_config(coder.get_config())) is type(coder)
    assert type(build(scheme, chain.marginal())) is get(scheme).coder


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_rows_are_quantised_as_the_iid_scheme_quantises_q(scheme):
    chain = MarkovChain.from_transitions([[0.9, 0.1, 0.0], [0.2, 0.5, 0.3], [0.0, 0.01, 0.99]])
    contexts, rows = chain.context_table()
    coder = build(scheme, chain, precision=12)
    assert coder.get_config()["freqs"] == [quantise(row, 12).tolist() for row in rows]
    np.testing.assert_array_equal(coder.implied_rows(), quantise_rows(rows, 12) / 4096)
    assert coder.implied.tolist() == (quantise(rows[contexts.start_row], 12) / 4096).tolist()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_scheme_refuses_a_precision_too_small_for_the_alphabet_as_for_an_iid_model(scheme):
    chain = MarkovChain.from_transitions(np.full((5, 5), 0.2))
    with pytest.raises(CodesimError, match="precision=2 gives 4 frequency slots, fewer than the 5 symbols"):
        build(scheme, chain, precision=2)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_code_of_a_chain_spends_its_entropy_rate(scheme):
    """On 2^16 symbols of the two-state chain, bits per symbol within 0.01 of the entropy rate (the
    quantisation and the overhead are far below that); the expected length is the rate of the
    quantised rows."""
    chain = MarkovChain.from_transitions([[0.8, 0.2], [0.3, 0.7]], alphabet=["calm", "storm"])
    coder = build(scheme, chain)
    stream = chain.sample(1 << 16, 11)
    bits = coder.encode(stream)
    assert abs(len(bits) / stream.size - chain.entropy_rate()) < 0.01
    assert coder.expected_length(chain) == pytest.approx(chain.entropy_rate(), abs=1e-6)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_symbol_the_model_rules_out_is_refused_at_encode_naming_it(scheme):
    """Without a fallback, a symbol leading into a context the model does not store cannot be coded."""
    contexts = Contexts(3, 1, np.array([0, 1, 3]), False)  # after a 2: no row
    coder = build(scheme, TableModel(contexts, np.full((3, 3), 1 / 3)))
    with pytest.raises(CodesimError, match=r"symbol 2 at position 3 \(after context 1\) has probability 0"):
        coder.encode(np.array([0, 1, 1, 2, 0]))
    bits = coder.encode(np.array([0, 1, 1, 2]))  # the last symbol may lead anywhere
    assert coder.decode(bits, 4).tolist() == [0, 1, 1, 2]
    nothing = build(scheme, TableModel(Contexts(3, 1, np.array([0, 1]), False), np.full((2, 3), 1 / 3)))
    with pytest.raises(CodesimError, match="stores no row for a message's first symbol"):
        nothing.encode(np.array([0]))


@pytest.mark.parametrize("fallback", [False, True])
def test_the_range_decoder_carries_the_context_across_its_chunks(monkeypatch, fallback):
    """Decoded a few symbols a kernel call, a message comes out whole: the row and the id go on."""
    monkeypatch.setattr(rangecoder, "DECODE_CHUNK", 7)
    contexts = Contexts(3, 2, np.array([0, 2, 4, 5, 8, 9, 10, 11, 12]), fallback)
    coder = build("arithmetic", TableModel(contexts, np.random.default_rng(1).dirichlet(np.ones(3), contexts.rows)))
    stream = walk(contexts, 100, 2)
    assert stream.size == 100
    np.testing.assert_array_equal(coder.decode(coder.encode(stream), stream.size), stream)


# -- decoders that trust no bits -----------------------------------------------------------------------


@functools.cache
def sparse_coder(scheme: str, lanes: int = 4) -> tuple[ContextFrequencyCoder, np.ndarray]:
    """A code that rules symbols out (no fallback, contexts missing), and a message of 3000 symbols."""
    contexts = Contexts(4, 2, np.array([0, 1, 5, 6, 10, 11, 15, 16, 17, 18, 20]), False)
    rows = np.random.default_rng(3).dirichlet(np.ones(4), size=contexts.rows)
    model = TableModel(contexts, rows)
    return build(scheme, model, **({"lanes": lanes} if scheme == "rans" else {})), walk(contexts, 3000, 4)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_truncated_or_extended_bits_raise_decode_error(scheme):
    coder, stream = sparse_coder(scheme)
    bits = coder.encode(stream)
    for cut in (1, 7, 8, 32, 64, len(bits) // 2, len(bits) - 1):
        with pytest.raises(DecodeError):
            coder.decode(bits[: len(bits) - cut], stream.size)
    for extra in ("0", "1", "0" * 32):
        with pytest.raises(DecodeError):
            coder.decode(bits + bitarray(extra), stream.size)
    with pytest.raises(DecodeError):
        coder.decode(bits, stream.size + 1)


@settings(max_examples=60)
@given(scheme=st.sampled_from(SCHEMES), data=st.data())
def test_changed_bits_raise_decode_error_or_decode_to_what_encodes_to_them(scheme, data):
    """Whatever bits are given, the decoder ends in a DecodeError, or in symbols whose encoding is
    exactly those bits (never a crash, nor symbols the model rules out)."""
    coder, stream = sparse_coder(scheme, lanes=3)
    stream = stream[: data.draw(st.integers(1, 3000), label="n")]
    bits = coder.encode(stream)
    for at in data.draw(st.lists(st.integers(0, len(bits) - 1), min_size=1, max_size=4), label="flips"):
        bits[at] = not bits[at]
    try:
        out = coder.decode(bits, stream.size)
    except DecodeError:
        return
    assert coder.encode(out) == bits


@settings(max_examples=60)
@given(scheme=st.sampled_from(SCHEMES), seed=st.integers(0, 2**32 - 1), n=st.integers(1, 2000),
       length=st.integers(0, 3000), interpreted=st.booleans())
def test_random_bits_raise_decode_error_or_decode_to_what_encodes_to_them(scheme, seed, n, length, interpreted):
    """Compiled, and interpreted (where an index out of range would raise, or a negative one wrap)."""
    coder, _ = sparse_coder(scheme)
    if scheme == "rans":  # whole words after the lanes' states, each state in range now and then
        length = 64 * coder.lanes_for(n) + 32 * (length // 32)
    bits = bitarray(np.random.default_rng(seed).integers(0, 2, length).tolist(), endian="big")
    with jit.interpreted() if interpreted else contextlib.nullcontext():
        try:
            out = coder.decode(bits, n)
        except DecodeError:
            return
    assert coder.encode(out) == bits


@pytest.mark.parametrize("scheme", SCHEMES)
def test_bits_that_decode_into_a_ruled_out_context_are_refused(scheme):
    """A stream of a model with a row after every symbol, decoded by one that rules a symbol out: the
    decoder stops where the ruled-out symbol would lead, as a DecodeError."""
    full = Contexts(3, 1, np.array([0, 1, 2, 3]), False)
    rows = np.full((4, 3), 1 / 3)
    stream = np.array([0, 1, 2, 0, 2, 2, 1])
    bits = build(scheme, TableModel(full, rows)).encode(stream)
    strict = build(scheme, TableModel(Contexts(3, 1, np.array([0, 1, 3]), False), rows[:3]))
    with pytest.raises(DecodeError, match="rules out"):
        strict.decode(bits, stream.size)


# -- kernels, compiled and interpreted -----------------------------------------------------------------


@settings(max_examples=60)
@given(model=chains(max_order=2, max_size=5), data=st.data())
def test_the_entries_kernel_gives_every_positions_row_compiled_and_interpreted(model, data):
    contexts = model.context_table()[0]
    stream = np.random.default_rng(data.draw(st.integers(0, 99))).integers(0, contexts.size, 60)
    coder = build("rans", model)
    rows = contexts.rows_of(stream)
    bad = np.flatnonzero(rows < 0)
    expect = (rows * contexts.size + stream)[: bad[0] if bad.size else stream.size]
    scaled = coder.scaled(contexts.size)
    for kernel in (context_kernel.entries, context_kernel.entries.py_func):
        out = np.zeros(stream.size, dtype=np.int32)
        done = kernel(stream, out, contexts.start_row, contexts.start_id, scaled, *contexts.kernel_args())
        assert done == expect.size
        np.testing.assert_array_equal(out[:done], expect)


@pytest.mark.parametrize("rows,size,precision", [(3, 4, 8), (9, 8, 14), (4096, 8, 14), (70000, 2, 16), (5, 300, 24)])
def test_each_rows_lookup_brackets_every_targets_symbol(rows, size, precision):
    """Entry s of a row's slot table is at or below the symbol of every target in slot s, entry s + 1 at
    or above it; the tables stay within LOOKUP_ENTRIES (but for two entries a row)."""
    rng = np.random.default_rng(rows)
    freqs = quantise_rows(rng.dirichlet(np.full(size, 0.3), size=rows), precision)
    starts = (np.cumsum(freqs, axis=1) - freqs).ravel()
    lookup, bits = row_lookup(starts, rows, size, precision)
    assert lookup.size == rows * ((1 << bits) + 1) and (rows << bits <= LOOKUP_ENTRIES or bits == 0)
    table = lookup.reshape(rows, -1)
    for r in rng.integers(0, rows, 5):
        targets = rng.integers(0, 1 << precision, 200)
        entry = r * size + np.searchsorted(starts[r * size : (r + 1) * size], targets, side="right") - 1
        slot = targets >> (precision - bits)
        assert np.all(table[r, slot] <= entry) and np.all(entry <= table[r, slot + 1])


# -- configs and files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_csim_file_round_trip_restores_the_code_and_the_message(scheme):
    chain = MarkovChain.from_transitions(np.random.default_rng(2).dirichlet(np.ones(3), size=9), order=2,
                                         alphabet=["a", "b", "c"])
    coder = build(scheme, chain)
    stream = chain.sample(5000, 1)
    data = dumps(coder, coder.encode(stream), stream.size, chain.alphabet)
    header, restored, bits = loads(data)
    assert type(restored) is type(coder) and restored.get_config() == coder.get_config()
    assert header.coder["order"] == 2 and header.coder["version"] == 2
    np.testing.assert_array_equal(decode_payload(header, restored, bits), stream)
    check_config(coder.get_config(), 3)
    assert from_config(coder.get_config()).get_config() == coder.get_config()


def config_of(scheme: str) -> dict:
    contexts = Contexts(3, 1, np.array([0, 1, 2, 3]), True)
    return build(scheme, TableModel(contexts, np.full((5, 3), 1 / 3)), precision=8).get_config()


def _rows(config, rows):
    return {**config, "freqs": rows}


HOSTILE_CONFIGS = [
    (lambda c: _rows(c, c["freqs"][:-1]), r"field 'coder.freqs' has 4 rows, not a list of 5 rows \(one per "
                                          r"context and the fallback\)"),
    (lambda c: _rows(c, c["freqs"] + [c["freqs"][0]]), "field 'coder.freqs' has 6 rows"),
    (lambda c: _rows(c, {"a": 1}), r"field 'coder.freqs' is \{\"a\": 1\}, not a list of 5 rows"),
    (lambda c: _rows(c, [c["freqs"][0][:2]] + c["freqs"][1:]), r"field 'coder.freqs' row 1 is \[86, 85\]: a list "
                                                               "of 3 frequencies"),
    (lambda c: _rows(c, c["freqs"][:2] + [7] + c["freqs"][3:]), "field 'coder.freqs' row 3 is 7: a list of 3"),
    (lambda c: _rows(c, c["freqs"][:1] + [[0, 128, 128]] + c["freqs"][2:]), "field 'coder.freqs' row 2 entry 1 is "
                                                                            r"0: every symbol needs a frequency >= 1"),
    (lambda c: _rows(c, c["freqs"][:1] + [[-1, 129, 128]] + c["freqs"][2:]), "row 2 entry 1 is -1"),
    (lambda c: _rows(c, c["freqs"][:1] + [[1.0, 127, 128]] + c["freqs"][2:]), "row 2 entry 1 is 1.0, not an "
                                                                              "integer"),
    (lambda c: _rows(c, c["freqs"][:4] + [[100, 100, 100]]), r"field 'coder.freqs' row 5 adds up to 300, not "
                                                              r"2\^8 = 256"),
    (lambda c: {**c, "precision": 9}, "field 'coder.precision' is 9 but 'coder.params.precision' is 8"),
    (lambda c: {**c, "order": 0}, "field 'coder.order' is 0: an integer from 1"),
    (lambda c: {**c, "contexts": [3, 1]}, "field 'coder.contexts' entry 2 is 1"),
    (lambda c: {**c, "fallback": 1}, "field 'coder.fallback' is 1, not true or false"),
    (lambda c: {k: v for k, v in c.items() if k != "version"}, "field 'coder.version' is missing"),
    (lambda c: {**c, "version": 1}, "field 'coder.version' is 1, which a config says by leaving the field out"),
    (lambda c: {**c, "version": 3}, r"field 'coder.version' is 3: scheme '\w+' reads version 2"),
    (lambda c: {k: v for k, v in c.items() if k != "fallback"}, "field 'coder.fallback' is missing"),
]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("change,match", HOSTILE_CONFIGS)
def test_a_hostile_config_is_refused_naming_the_field(scheme, change, match):
    config = config_of(scheme)
    check_config(config, 3)
    with pytest.raises(ConfigError, match=match):
        check_config(change(config), 3)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_config_for_another_alphabet_is_refused(scheme):
    with pytest.raises(ConfigError, match=r"field 'coder.freqs' row 1 is \[\d+, \d+, \d+\]: a list of 4"):
        check_config(config_of(scheme), 4)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_csim_file_with_a_hostile_table_is_refused_before_decoding(scheme):
    coder = build(scheme, MarkovChain.from_transitions([[0.8, 0.2], [0.3, 0.7]]))
    stream = np.zeros(50, dtype=np.uint8)
    data = dumps(coder, coder.encode(stream), 50, ["calm", "storm"])
    assert full_decode(data)[1].tolist() == stream.tolist()

    def zero(header):
        header["coder"]["freqs"][1][0] = 0

    refused(with_header(data, zero), r"field 'coder.freqs' row 2 entry 1 is 0")

    def many(header):
        header["coder"]["contexts"] = [0] * ((1 << 21) + 1)

    refused(with_header(data, many), "field 'coder.contexts' has 2097153 contexts x 2 symbols, over the limit")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_message_over_the_context_codes_limit_is_refused(scheme):
    coder = build(scheme, MarkovChain.from_transitions([[0.8, 0.2], [0.3, 0.7]]))
    limit = coder.symbol_limit()
    assert limit == 1 << 18
    assert coder.check_message_size(limit) is None and str(limit + 1) in coder.check_message_size(limit + 1)


# -- inspect -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_trace_shows_each_symbols_context_and_cost_adding_up_to_the_ideal_length(scheme):
    chain = MarkovChain.from_transitions([[0.8, 0.2], [0.3, 0.7]], alphabet=["calm", "storm"])
    coder = build(scheme, chain)
    stream = np.array([1, 1, 0, 0, 0, 1])
    rows = coder.trace_rows(stream, chain.alphabet, None, 4, coder.encode(stream))
    assert [row["context"] for row in rows] == ["(start)", "storm", "storm", "calm"]
    assert [row["symbol"] for row in rows] == ["storm", "storm", "calm", "calm"]
    assert all(row.keys() == {key for key, *_ in coder.trace_columns} for row in rows)
    assert rows[-1]["total_cost"] == pytest.approx(ideal_by_hand(coder, stream[:4]))
    assert rows[0]["cost_bits"] == pytest.approx(-math.log2(coder.implied[1]))


@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 40), precision=st.integers(6, 24),
       zeros=st.booleans())
@settings(max_examples=60, deadline=None)
def test_rows_quantised_at_once_are_the_rows_quantised_one_by_one(seed, size, precision, zeros):
    """quantise_rows takes the rows that rounding already solves all at once (a table at the limit has
    2^21 rows): every row is still :func:`quantise`'s optimal table."""
    from codesim.coders.context_frequencies import quantise_rows
    from codesim.coders.frequencies import quantise

    precision = max(precision, (size - 1).bit_length())
    rng = np.random.default_rng(seed)
    rows = rng.dirichlet(np.full(size, 0.3), size=50)
    if zeros:
        rows[::3, 0] = 0.0
        rows[::5] = 1e-300
        rows[::5, -1] = 1.0
    assert np.array_equal(quantise_rows(rows, precision), np.stack([quantise(row, precision) for row in rows]))
