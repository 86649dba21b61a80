"""adaptive-arithmetic with ``order`` k: KT counts per context of the last k symbols. Round trips,
compiled and interpreted alike; the bits against the KT probability of each context's subsequence,
computed here with fractions; what the context buys on a chain with memory, and the regret per
context; the dense tables' limit; configs from files."""

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

from codesim import jit
from codesim.coders import SchemeSpec, build, check_config, from_config, models
from codesim.coders.adaptive import MAX_ORDER, AdaptiveArithmeticCoder, dense_contexts, successors
from codesim.coders.context import MAX_CONTEXT_ENTRIES, id_space
from codesim.coders.kernels.context import next_id
from codesim.errors import CodesimError, ConfigError, DecodeError, SchemeError
from codesim.files.container import dumps, loads
from codesim.measures import entropy
from codesim.sources.markov import MarkovChain

from ..files.test_container import assemble, split
from .test_bitstreams import GOLDEN


def coder_of(k: int, order: int, alpha: float = 0.5) -> AdaptiveArithmeticCoder:
    return build("adaptive-arithmetic", np.full(k, 1.0 / k), alpha=alpha, order=order)


def contexts_of(stream, order: int) -> list[tuple]:
    """Each position's context as a tuple of the symbols before it, at most ``order`` of them: the
    partial contexts of a message's start are the shorter tuples."""
    s = [int(x) for x in stream]
    return [tuple(s[max(0, i - order) : i]) for i in range(len(s))]


def kt_bits(stream, k: int, order: int, alpha: Fraction = Fraction(1, 2)) -> float:
    """-log2 of the add-alpha sequential probability of the stream, each context with counts of its
    own that start empty: exactly, in fractions."""
    counts: dict[tuple, list[int]] = {}
    p = Fraction(1)
    for context, x in zip(contexts_of(stream, order), (int(x) for x in stream)):
        c = counts.setdefault(context, [0] * k)
        p *= (c[x] + alpha) / (sum(c) + k * alpha)
        c[x] += 1
    return math.log2(p.denominator) - math.log2(p.numerator)


def per_context_counts(stream, k: int, order: int) -> list[np.ndarray]:
    """The counts of the symbols that followed each context the stream meets."""
    counts: dict[tuple, np.ndarray] = {}
    for context, x in zip(contexts_of(stream, order), (int(x) for x in stream)):
        counts.setdefault(context, np.zeros(k, dtype=np.int64))[x] += 1
    return list(counts.values())


def empirical_fit_bits(stream, k: int, order: int) -> float:
    """sum over contexts c of n_c H(empirical distribution of the symbols after c): the best any
    model of order k can do for this stream, chosen after seeing it."""
    total = 0.0
    for c in per_context_counts(stream, k, order):
        used = c[c > 0].astype(np.float64)
        total -= float((used * np.log2(used / used.sum())).sum())
    return total


@st.composite
def streams(draw, max_k=6, max_n=300):
    """(k, stream): alphabets of 1..max_k; lengths 0, 1 or up to max_n; from a Dirichlet draw, or a
    random chain of order 1 or 2 (so contexts matter), sometimes sorted into runs."""
    k = draw(st.integers(1, max_k), label="k")
    n = draw(st.one_of(st.sampled_from([0, 1, 2]), st.integers(0, max_n)), label="n")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    concentration = draw(st.sampled_from([0.05, 0.5, 5.0]), label="concentration")
    if draw(st.booleans(), label="chain") and k > 1:
        order = draw(st.integers(1, 2), label="chain order")
        rows = rng.dirichlet(np.full(k, concentration), size=k**order)
        chain = MarkovChain.from_transitions(rows, order=order, initial=np.full(k**order, 1.0 / k**order),
                                             transient=True)
        stream = chain.sample(n, int(rng.integers(2**32)))
    else:
        stream = rng.choice(k, n, p=rng.dirichlet(np.full(k, concentration)))
    if draw(st.booleans(), label="sorted"):
        stream = np.sort(stream)
    return k, stream


# -- round trips -------------------------------------------------------------------------------------


@given(case=streams(), order=st.integers(0, 3), alpha=st.sampled_from([0.5, 1.0, 0.1]))
@settings(max_examples=80, deadline=None)
def test_decode_inverts_encode_compiled_and_interpreted_alike(case, order, alpha):
    """decode(encode(s)) == s for orders 0-3, alphabets 1..6, streams of 0, 1, 2 and up to 300 symbols;
    the kernels as compiled and as plain Python write the same bits and read them back; a coder rebuilt
    from its config (through JSON) does the same."""
    k, stream = case
    coder = coder_of(k, order, alpha)
    bits = coder.encode(stream)
    assert coder.decode(bits, stream.size).tolist() == stream.tolist()
    with jit.interpreted():
        assert coder.encode(stream) == bits
        assert coder.decode(bits, stream.size).tolist() == stream.tolist()
    again = from_config(json.loads(json.dumps(coder.get_config())))
    assert again.encode(stream) == bits and again.decode(bits, stream.size).tolist() == stream.tolist()


@pytest.mark.parametrize("k, order", [(3, 2), (8, 1)])
def test_long_streams_cross_the_decoder_s_chunks(k, order):
    """A message longer than the decoder's chunk of 2^20 symbols: the context is carried from chunk to
    chunk (``context[0]``), so the stream comes back whole."""
    rng = np.random.default_rng(k)
    rows = rng.dirichlet(np.full(k, 0.3), size=k**order)
    stream = MarkovChain.from_transitions(rows, order=order).sample((1 << 20) + 1000, 5)
    coder = coder_of(k, order)
    bits = coder.encode(stream)
    assert np.array_equal(coder.decode(bits, stream.size), stream)
    assert len(bits) < coder_of(k, 0).max_bits(stream)  # the context pays on a chain with memory


def test_the_encoder_resumes_in_its_context_when_its_buffer_grows():
    """A stream costing more than the encoder's first buffer (log2 k + 1 bits a symbol: here alpha =
    0.01 makes a symbol new to its context cost log2(100 t + k) bits) stops the kernel for room and
    resumes it in the context it left; compiled and interpreted give the same bits."""
    coder = coder_of(8, 3, alpha=0.01)
    stream = np.random.default_rng(3).integers(0, 8, 2000)
    bits = coder.encode(stream)
    assert len(bits) > 8 * (stream.size * (math.log2(8) + 1) / 8 * 1.05 + 62 // 4 + 64)
    assert np.array_equal(coder.decode(bits, stream.size), stream)
    with jit.interpreted():
        assert coder.encode(stream) == bits


# -- what the bits are -------------------------------------------------------------------------------


@given(case=streams(max_k=4, max_n=200), order=st.integers(0, 3), alpha=st.sampled_from([0.5, 1.0]))
@settings(max_examples=60, deadline=None)
def test_bits_are_the_kt_cost_of_each_context_s_subsequence_plus_the_termination(case, order, alpha):
    """With ideal = sum over the contexts the stream meets (the partial contexts of its start included)
    of -log2 of the add-alpha sequential probability of the symbols that followed that context, each
    context's counts starting empty (computed here in fractions): ideal <= bits < ideal + 2 + n eps, the
    range coder's termination and rounding; the coder's own ideal_bits agrees."""
    k, stream = case
    coder = coder_of(k, order, alpha)
    bits = len(coder.encode(stream))
    ideal = kt_bits(stream, k, order, Fraction(alpha))
    assert coder.ideal_bits(stream) == pytest.approx(ideal, abs=1e-6)
    assert ideal - 1e-9 <= bits < ideal + 2 + stream.size * coder.rounding_loss
    assert -float(np.sum(np.log2(coder.probabilities(stream)))) == pytest.approx(ideal, abs=1e-6)


def test_an_order_1_coder_on_a_persistent_chain_saves_the_mutual_information():
    """On a two-state chain that stays put with probability 0.95, the order-0 coder spends about
    H(marginal) = 1 bit a symbol and the order-1 coder about the entropy rate h(0.05): the saving is
    the mutual information of neighbours, I(X_n; X_n-1) = H(marginal) - H(rate), here 0.714 bits a
    symbol, up to the two coders' regrets (tens of bits) and the stream's own fluctuation."""
    chain = MarkovChain.from_transitions([[0.95, 0.05], [0.05, 0.95]])
    information = entropy(chain.marginal().probs) - chain.entropy_rate()
    assert information == pytest.approx(1 - entropy([0.95, 0.05]))
    n = 200_000
    stream = chain.sample(n, 11)
    plain, context = len(coder_of(2, 0).encode(stream)), len(coder_of(2, 1).encode(stream))
    assert (plain - context) / n == pytest.approx(information, abs=0.01)
    # Exactly, per stream: each coder is within its regret of its order's best fit.
    fit0, fit1 = empirical_fit_bits(stream, 2, 0), empirical_fit_bits(stream, 2, 1)
    regret = sum(0.5 * math.log2(c.sum()) + 1 for c in per_context_counts(stream, 2, 1)) + 0.5 * math.log2(n) + 1
    assert abs((plain - context) - (fit0 - fit1)) <= regret + 4


@pytest.mark.parametrize("k, chain_order, coder_order", [(2, 1, 1), (3, 2, 2), (4, 1, 2), (3, 1, 3)])
def test_the_kt_regret_bound_holds_per_context(k, chain_order, coder_order):
    """Krichevsky-Trofimov's estimator codes any n symbols within (K-1)/2 log2 n + log2 K bits of their
    empirical entropy (Krichevsky and Trofimov, IEEE Trans. IT 27(2), 1981; the bound as stated by
    Tjalkens, Shtarkov and Willems, 1993, see AdaptiveArithmeticCoder.regret_bound). Each context has
    an estimator of its own, so for every stream, with n_c the symbols coded in context c:

        bits - sum_c n_c H(empirical after c)  <=  sum_c ((K-1)/2 log2 n_c + log2 K) + 2 + n eps

    and, as no model of order k gives the stream more probability than its empirical fit, the same
    bounds bits + log2 P(stream) for a chain P of order k or less (its start included). Not
    bits - n H(rate): -log2 P(stream) itself strays from n H(rate) by about sqrt(n) bits either way, so
    that form holds only on average over streams, and only up to the start's H(X^k) - k H(rate)."""
    rng = np.random.default_rng(k * 10 + coder_order)
    rows = rng.dirichlet(np.full(k, 0.4), size=k**chain_order)
    chain = MarkovChain.from_transitions(rows, order=chain_order)
    coder = coder_of(k, coder_order)
    for n in (1, 10, 300, 5000, 50_000):
        stream = chain.sample(n, n)
        bits = len(coder.encode(stream))
        bound = sum((k - 1) / 2 * math.log2(c.sum()) + math.log2(k) for c in per_context_counts(stream, k, coder_order))
        slack = 2 + n * coder.rounding_loss
        assert bits - empirical_fit_bits(stream, k, coder_order) <= bound + slack + 1e-6
        assert bits - chain.message_bits(stream) <= bound + slack + 1e-6
        assert bound == pytest.approx(sum(coder.regret_bound(int(c.sum()))
                                          for c in per_context_counts(stream, k, coder_order)))


def test_expected_length_is_the_conditional_entropy_of_a_symbol_given_order_before_it():
    """On a stationary chain of order 2: an order-0 coder tends to H(marginal), order 1 to H(X_3 |
    X_2), orders 2 and 3 to the entropy rate; on an i.i.d. source, to H(p) at any order."""
    rng = np.random.default_rng(4)
    chain = MarkovChain.from_transitions(rng.dirichlet(np.full(3, 0.5), size=9), order=2)
    h = [entropy(chain.block_probs(j)) for j in range(5)]
    assert coder_of(3, 0).expected_length(chain) == pytest.approx(entropy(chain.marginal().probs))
    assert coder_of(3, 1).expected_length(chain) == pytest.approx(h[2] - h[1])
    assert coder_of(3, 1).expected_length(chain) > chain.entropy_rate() + 1e-3
    for order in (2, 3):
        assert coder_of(3, order).expected_length(chain) == pytest.approx(chain.entropy_rate())
    assert coder_of(3, 2).expected_length([0.5, 0.3, 0.2]) == pytest.approx(entropy([0.5, 0.3, 0.2]))


# -- the tables ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("k, order", [(1, 3), (2, 1), (2, 4), (3, 3), (5, 2), (8, 1)])
def test_the_successor_table_follows_the_context_ids(k, order):
    """follow[c] + x is the id after symbol x in context c, as kernels.context.next_id computes it, for
    every context (the dense table has them all); the rows number K^0 + ... + K^order."""
    full, offsets = id_space(k, order)
    follow = successors(k, order)
    assert follow.size == dense_contexts(k, order) == (full + offsets[-1] if order else 1)
    for c in range(follow.size):
        for x in range(k):
            expected = next_id(c, x, k, full, order, np.array(offsets)) if order else 0
            assert follow[c] + x == expected if order else follow[c] == 0


@given(case=streams(max_k=5, max_n=150), order=st.integers(1, 3), limit_bits=st.sampled_from([6, 8, 40]),
       chunks=st.integers(1, 3))
@settings(max_examples=60, deadline=None)
def test_a_context_model_s_intervals_are_those_of_an_estimator_per_context(case, order, limit_bits, chunks):
    """The intervals the interpreted encoder codes with, chunk after chunk (counted at once, or with
    halving ahead through an estimator per context), are those of a separate add-alpha model per
    context (keyed here by the tuple of the symbols before), each asked and updated symbol by symbol."""
    k, stream = case
    coder = coder_of(k, order)
    limit = max(1 << limit_bits, 2 * (k * coder.pseudo + coder.step))
    model = models.AdaptiveContextModel(coder.contexts, coder.pseudo, coder.step, limit, successors(k, order))
    got: list[tuple] = []
    for part in np.array_split(stream, chunks):
        got += zip(*(list(column) for column in model.intervals(part)))
    by_hand: dict[tuple, models.AdaptiveModel] = {}
    expected = []
    for context, x in zip(contexts_of(stream, order), stream.tolist()):
        estimator = by_hand.setdefault(context, models.AdaptiveModel(k, coder.pseudo, coder.step, limit))
        expected.append(estimator.interval(x))
        estimator.update(x)
    assert got == expected


def test_counts_are_halved_per_context_and_the_stream_still_round_trips():
    """With a small limit each context's counts are halved when its own total passes it, in encoder and
    decoder alike, compiled and interpreted; the bits stay within ideal + 2 + n eps of the halving
    model (ideal_bits follows each context's symbols through its halvings)."""

    class SmallLimit(AdaptiveArithmeticCoder):
        max_totals = {1: 1 << 10, 2: 1 << 10}

    coder = SmallLimit(3, 0.5, order=1)
    chain = MarkovChain.from_transitions([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4]])
    stream = chain.sample(6000, 2)
    bits = coder.encode(stream)
    assert np.array_equal(coder.decode(bits, stream.size), stream)
    with jit.interpreted():
        assert coder.encode(stream) == bits
    assert stream.size > 3 * coder.exact_symbols  # some context halved
    ideal = coder.ideal_bits(stream)
    assert ideal <= len(bits) + 1e-6 and len(bits) < coder.max_bits(stream)
    assert ideal != pytest.approx(AdaptiveArithmeticCoder(3, 0.5, order=1).ideal_bits(stream), abs=1.0)


# -- the limit, configs and files ---------------------------------------------------------------------


def test_an_order_whose_tables_pass_the_limit_is_refused_at_build_before_allocating():
    """The dense tables hold (K^0 + ... + K^order) x K counts, at most 2^22: order 20 over 2 symbols,
    6 over 8, 1 over 2047 fit; one more does not, and is refused with a SchemeError naming the scheme
    and the parameter (at once: 8^21 contexts could not be allocated)."""
    for k, order in ((2, 20), (8, 6), (128, 2), (2047, 1)):
        assert dense_contexts(k, order) * k <= MAX_CONTEXT_ENTRIES < dense_contexts(k, order + 1) * k
        SchemeSpec.of("adaptive-arithmetic", order=order).check_alphabet(k)
    assert dense_contexts(2048, 1) * 2048 > MAX_CONTEXT_ENTRIES and MAX_ORDER == 20
    for k, order in ((3, 20), (8, 7), (2048, 1), (8, 20)):
        message = f"scheme 'adaptive-arithmetic': parameter order = {order} over {k} symbols needs"
        with pytest.raises(SchemeError, match=message):
            SchemeSpec.of("adaptive-arithmetic", order=order).check_alphabet(k)
        with pytest.raises(SchemeError, match=message):
            coder_of(k, order)
    with pytest.raises(SchemeError, match="parameter order must be an integer from 0 to 20"):
        SchemeSpec.parse("adaptive-arithmetic:order=21")


def test_order_0_is_today_s_coder_and_config_and_an_order_is_a_parameter():
    """Order 0 writes the config of before (no ``order``), so the golden files decode and re-encode to
    the same bytes; an order is recorded in ``params`` and shown in the scheme's label."""
    header, coder, bits = loads((GOLDEN / "adaptive-arithmetic-v2-kt.csim").read_bytes())
    assert coder.get_config() == {"scheme": "adaptive-arithmetic", "params": {"alpha": 0.5}, "size": 8, "version": 2}
    assert coder.order == 0 and coder.encode(coder.decode(bits, header.symbols)) == bits
    assert coder_of(8, 0).get_config() == coder.get_config()
    config = coder_of(8, 2).get_config()
    assert config == {"scheme": "adaptive-arithmetic", "params": {"alpha": 0.5, "order": 2}, "size": 8, "version": 2}
    check_config(config, 8)
    assert SchemeSpec.parse("adaptive-arithmetic:order=2").label == "adaptive-arithmetic:order=2"
    assert SchemeSpec.parse("adaptive-arithmetic:order=0").label == "adaptive-arithmetic"


GOOD = {"scheme": "adaptive-arithmetic", "params": {"alpha": 0.5, "order": 2}, "size": 8, "version": 2}


@pytest.mark.parametrize("params, size, version, match", [
    ({"alpha": 0.5, "order": 0}, 8, 2, "field 'coder.params.order' is 0, which a config says by leaving"),
    ({"alpha": 0.5, "order": -1}, 8, 2, "field 'coder.params.order' is -1: scheme 'adaptive-arithmetic' takes"),
    ({"alpha": 0.5, "order": 21}, 8, 2, "field 'coder.params.order' is 21"),
    ({"alpha": 0.5, "order": 10**40}, 8, 2, "field 'coder.params.order' is 1"),
    ({"alpha": 0.5, "order": 1.0}, 8, 2, "field 'coder.params.order' is 1.0, not an integer"),
    ({"alpha": 0.5, "order": True}, 8, 2, "field 'coder.params.order' is true, not an integer"),
    ({"alpha": 0.5, "order": "2"}, 8, 2, "field 'coder.params.order' is \"2\", not an integer"),
    ({"alpha": 0.5, "order": None}, 8, 2, "field 'coder.params.order' is null, not an integer"),
    ({"alpha": 0.5, "order": 7}, 8, 2, "field 'coder.params.order': scheme 'adaptive-arithmetic': parameter "
                                       "order = 7 over 8 symbols needs"),
    ({"alpha": 0.5, "order": 20}, 8, 2, "field 'coder.params.order': .* over the limit of 4194304"),
    ({"alpha": 0.5, "order": 2}, 8, None, "contexts need config version 2"),
    ({"alpha": 0.5, "order": 2, "x": 1}, 8, 2, "field 'coder.params.x' is not a parameter"),
])
def test_hostile_orders_in_a_config_are_refused_naming_the_field(params, size, version, match):
    config = {**GOOD, "params": params, "size": size}
    if version is None:
        del config["version"]
    with pytest.raises(ConfigError, match=match):
        check_config(config, size)


def test_a_file_of_an_order_2_code_round_trips_and_a_tampered_order_is_refused():
    """dumps/loads keep the order; a file whose order was raised past the limit is refused on reading
    with a ConfigError naming the field, one lowered reads but its bits are no longer an encoding."""
    chain = MarkovChain.from_transitions(np.random.default_rng(9).dirichlet(np.full(8, 0.3), size=64), order=2)
    stream = chain.sample(3000, 1)
    coder = coder_of(8, 2)
    data = dumps(coder, coder.encode(stream), stream.size, list(range(8)), source=chain.marginal().probs)
    header, again, bits = loads(data)
    assert again.get_config() == coder.get_config()
    assert np.array_equal(again.decode(bits, header.symbols), stream)
    raw, payload, n, nbits = split(data)
    assert raw["coder"]["params"] == {"alpha": 0.5, "order": 2}
    for order, error, match in ((7, CodesimError, "header corrupt: field 'coder.params.order': .* order = 7"),
                                (1, DecodeError, None)):
        raw["coder"]["params"]["order"] = order
        with pytest.raises(error, match=match):
            header, bad, bits = loads(assemble(raw, payload, n, nbits))
            bad.decode(bits, header.symbols)


@pytest.mark.parametrize("order", [1, 2])
@given(seed=st.integers(0, 2**32 - 1), nbits=st.integers(0, 300), n=st.integers(0, 120), k=st.integers(1, 5))
@settings(max_examples=60, deadline=None)
def test_arbitrary_bits_decode_only_to_the_stream_that_encodes_to_them(order, seed, nbits, n, k):
    """Random bits either raise DecodeError or decode to a stream whose encoding is exactly those bits."""
    bits = bitarray(np.random.default_rng(seed).integers(0, 2, nbits).tolist(), endian="big")
    coder = coder_of(k, order)
    try:
        stream = coder.decode(bits, n)
    except DecodeError:
        return
    assert stream.size == n and coder.encode(stream) == bits


def test_inspect_shows_each_symbol_s_context():
    """The trace names each symbol's context, oldest symbol first, "(start)" for the first."""
    coder = coder_of(3, 2)
    stream = np.array([0, 1, 2, 2, 1])
    rows = coder.trace_rows(stream, ["a", "b", "c"], None, 5, coder.encode(stream))
    assert [row["context"] for row in rows] == ["(start)", "a", "a b", "b c", "c c"]
    assert ("context", "context") in coder.trace_columns and ("context", "context") not in coder_of(3, 0).trace_columns
    assert rows[-1]["total_cost"] == pytest.approx(kt_bits(stream, 3, 2))
