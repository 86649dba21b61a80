"""Per-context prefix codes (codesim.coders.prefix_context) and block-huffman over a chain's k-blocks:
round trips for random chains, each context's code the i.i.d. builder's code of its row, configs read
from files checked field by field, and the decoder's kernel compiled and interpreted alike."""

from __future__ import annotations

import contextlib
import itertools
from fractions import Fraction

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import assume, given, settings, strategies as st

from codesim import jit
from codesim.coders import available, build, check_config, from_config
from codesim.coders.block import BlockCode
from codesim.coders.context import Contexts
from codesim.coders.prefix_context import MAX_CONTEXT_CODEWORD_BITS, ContextPrefixCode
from codesim.errors import CodesimError, ConfigError, DecodeError, DistributionError, SchemeError
from codesim.files import container
from codesim.files.inspection import inspect_file
from codesim.sources.markov import MarkovChain, transition_rows

#: Every scheme whose context code is a per-context prefix code.
#: The labels of the small chains below.
SYMBOLS = ["s0", "s1", "s2"]
SCHEMES = [s.name for s in available() if s.context_coder is ContextPrefixCode]


# -- a chain, computed independently of the coders ---------------------------------------------------


def stationary(transitions: np.ndarray, order: int) -> np.ndarray:
    """The stationary distribution over the chain's states (its last ``order`` symbols as base-K digits,
    oldest first): the left eigenvector of the state transition matrix for the eigenvalue 1 (unique for
    the chains drawn here, which have one closed class; a power iteration would not settle within any
    fixed number of steps on a chain that leaves a state with probability 10^-4)."""
    states, k = transitions.shape
    move = np.zeros((states, states))
    for s in range(states):
        for x in range(k):
            move[s, (s * k + x) % states] += transitions[s, x]
    values, vectors = np.linalg.eig(move.T)
    pi = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    pi = np.where(np.abs(pi) < 1e-12 * np.abs(pi).max(), 0.0, pi)  # transient states
    return pi / pi.sum()


def block_distribution(transitions: np.ndarray, order: int, length: int) -> dict[tuple, float]:
    """The stationary probability of every ``length``-tuple, by enumeration: the first ``order`` symbols
    from the stationary vector (summed over older symbols when ``length`` is shorter), then transitions."""
    k = transitions.shape[1]
    pi = stationary(transitions, order)
    out = {}
    for tup in itertools.product(range(k), repeat=length):
        if length <= order:
            prob = sum(pi[s] for s in range(k**order) if _digits(s, k, order)[order - length:] == tup)
        else:
            state = int(np.ravel_multi_index(tup[:order], (k,) * order)) if order else 0
            prob = pi[state]
            for x in tup[order:]:
                prob *= transitions[state, x]
                state = (state * k + x) % k**order
        out[tup] = prob
    return out


def _digits(value: int, k: int, n: int) -> tuple:
    return tuple(int(d) for d in np.unravel_index(value, (k,) * n)) if n else ()


def sample(chain: MarkovChain, n: int, seed: int) -> np.ndarray:
    """A message drawn from the chain (its first k symbols from its start)."""
    return chain.sample(n, seed) if n else np.zeros(0, dtype=np.uint8)


@st.composite
def chains(draw, max_order=3, max_size=6, zeros=True):
    """Random chains of orders 1 to ``max_order`` over 2 to ``max_size`` symbols, some with
    transitions of probability 0 (irreducible ones only)."""
    order = draw(st.integers(1, max_order))
    size = draw(st.integers(2, max_size if order < 3 else 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    weights = rng.gamma(draw(st.sampled_from([0.2, 1.0, 5.0])), size=(size**order, size)) + 1e-4
    if zeros and draw(st.booleans()):
        weights[rng.random(weights.shape) < 0.2] = 0
        weights[np.arange(size**order), rng.integers(0, size, size**order)] += 0.5
    try:
        return MarkovChain.from_transitions(weights / weights.sum(axis=1, keepdims=True), order=order)
    except DistributionError:
        assume(False)


def code_of(scheme: str, chain: MarkovChain) -> ContextPrefixCode:
    return build(scheme, chain)


# -- round trips and the codes -----------------------------------------------------------------------


@settings(max_examples=60)
@given(chain=chains(), scheme=st.sampled_from(SCHEMES), n=st.integers(0, 400), seed=st.integers(0, 2**16))
def test_round_trip_for_random_chains_and_every_prefix_scheme(chain, scheme, n, seed):
    """Decode gives back the message; its bits are exactly each symbol's codeword in its context, so
    the symbols' costs add up to the bits, exactly."""
    code = code_of(scheme, chain)
    stream = sample(chain, n, seed)
    bits = code.encode(stream)
    assert code.decode(bits, n).tolist() == stream.tolist()
    cids, costs = code.symbol_costs(stream)
    assert costs.sum() == len(bits)
    rows = code.contexts.rows_of_ids(cids)
    assert "".join(code.codeword_in(r, x) for r, x in zip(rows.tolist(), stream.tolist())) == bits.to01()
    least, most = code.bit_bounds(n)
    assert least <= len(bits) <= most


@settings(max_examples=40)
@given(chain=chains(), scheme=st.sampled_from(SCHEMES))
def test_every_context_has_the_iid_code_of_its_row(chain, scheme):
    """Row by row the lengths and codewords are those the scheme's i.i.d. code of that row has, Kraft's
    inequality holds (exactly), and the implied rows are 2^-l."""
    code = code_of(scheme, chain)
    contexts, rows = chain.context_table()
    assert code.contexts.ids.tolist() == contexts.ids.tolist()
    for r, row in enumerate(rows):
        iid = build(scheme, row)
        assert code.lengths[r].tolist() == iid.lengths.tolist()
        assert [code.codeword_in(r, x) for x in range(iid.size)] == [iid.codeword(x) for x in range(iid.size)]
        assert sum(Fraction(1, 2**int(v)) for v in code.lengths[r]) <= 1
    assert np.array_equal(code.implied_rows(), np.exp2(-code.lengths.astype(float)))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_chain_that_forgets_its_context_codes_as_the_iid_code(scheme):
    """When every row of the model is q, every context's code is q's, and the bits are the i.i.d. code's."""
    q = np.array([0.41, 0.29, 0.16, 0.09, 0.05])  # no ties in Huffman's merges
    chain = MarkovChain.from_transitions(np.tile(q, (25, 1)), order=2)
    code, iid = code_of(scheme, chain), build(scheme, q)
    stream = chain.sample(500, 1)
    assert code.encode(stream) == iid.encode(stream)


@settings(max_examples=20)
@given(chain=chains(max_order=2, max_size=4), scheme=st.sampled_from(SCHEMES))
def test_expected_length_is_the_stationary_mean_codeword_length(chain, scheme):
    """sum over full contexts pi(c) sum_x p(x | c) l(x | c), with pi from the power-iterated stationary
    vector; on the chain itself the excess over the entropy rate is the code's divergence rate."""
    code = code_of(scheme, chain)
    dense = transition_rows(chain, chain.order)  # a row for every context, zeros where none enters
    pi = stationary(dense, chain.order)[chain.contexts.ids]  # the contexts the chain (and its code) holds
    full = len(chain.contexts.ids)
    expected = float((pi[:, None] * chain.rows[:full] * code.lengths[:full]).sum())
    assert code.expected_length(chain) == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert code.code_divergence(chain) == pytest.approx(max(0.0, expected - chain.entropy_rate()), abs=1e-6)


@settings(max_examples=30)
@given(chain=chains(), scheme=st.sampled_from(SCHEMES), n=st.integers(1, 200), seed=st.integers(0, 2**16))
def test_compiled_and_interpreted_decoders_agree_on_good_and_damaged_streams(chain, scheme, n, seed):
    """The kernel compiled and as plain Python gives the same symbols, or the same DecodeError, for the
    stream, a cut stream and a stream with a bit flipped."""
    code = code_of(scheme, chain)
    bits = code.encode(sample(chain, n, seed))
    flipped = bits.copy()
    flipped[seed % len(bits)] ^= 1
    for variant in (bits, bits[:-1], flipped, bits + bitarray("1")):
        outcomes = []
        for interpreted in (False, True):
            with jit.interpreted() if interpreted else contextlib.nullcontext():
                try:
                    outcomes.append(code.decode(variant, n).tolist())
                except DecodeError as exc:
                    outcomes.append(str(exc))
        assert outcomes[0] == outcomes[1]


@settings(max_examples=30)
@given(chain=chains(), scheme=st.sampled_from(SCHEMES), n=st.integers(1, 300), seed=st.integers(0, 2**16),
       cut=st.integers(1, 64))
def test_a_truncated_stream_or_a_wrong_count_is_a_decode_error(chain, scheme, n, seed, cut):
    code = code_of(scheme, chain)
    bits = code.encode(sample(chain, n, seed))
    with pytest.raises(DecodeError):
        code.decode(bits[: max(0, len(bits) - cut)], n)
    with pytest.raises(DecodeError):
        code.decode(bits, n + 1)
    with pytest.raises(DecodeError):
        code.decode(bits + bitarray("0" * cut), n)


@settings(max_examples=40)
@given(chain=chains(max_order=2), n=st.integers(1, 300), seed=st.integers(0, 2**16), data=st.data())
def test_random_bits_decode_or_fail_cleanly(chain, n, seed, data):
    """Whatever the bits, the decoder returns n symbols or raises a DecodeError."""
    code = code_of("shannon", chain)
    raw = np.random.default_rng(seed).integers(0, 2, data.draw(st.integers(0, 2000)))
    try:
        out = code.decode(bitarray(raw.tolist()), n)
    except DecodeError:
        return
    assert out.size == n and int(out.max()) < code.size


def test_each_way_a_stream_can_fail_is_named():
    """Bits no codeword of the context's (incomplete) code starts, a codeword cut by the end, and bits
    left over, compiled and interpreted alike."""
    contexts = Contexts(3, 1, np.array([0, 1, 2, 3]), False)
    code = ContextPrefixCode(contexts, [[2, 2, 2], [1, 2, 2], [1, 2, 2], [1, 2, 2]], "shannon")
    cases = [(bitarray("011"), 2, "symbol 1: the bits at position 1 start no codeword"),
             (bitarray("01"), 2, "symbol 1 ends past the stream's 2 bits"),
             (bitarray("0100"), 2, "2 symbols use 3 bits, but the stream has 4")]
    for bits, n, match in cases:
        for interpreted in (False, True):
            with jit.interpreted() if interpreted else contextlib.nullcontext():
                with pytest.raises(DecodeError, match=match):
                    code.decode(bits, n)


def test_a_fallback_row_codes_the_contexts_not_stored():
    """A model with a fallback row: the decoder leaves it by searching the next context among the stored
    ones, and enters it from a stored row, compiled and interpreted alike."""
    rng = np.random.default_rng(5)
    for order, k in [(1, 4), (2, 3), (3, 2)]:
        full = k**order
        stored = np.sort(rng.choice(full + sum(k**j for j in range(order)), size=full // 2 + 1, replace=False))
        contexts = Contexts(k, order, stored, True)
        weights = rng.gamma(0.5, size=(contexts.rows, k)) + 1e-3
        lengths = np.array([build("huffman", w / w.sum()).lengths for w in weights])
        code = ContextPrefixCode(contexts, lengths, "huffman")
        for n in (0, 1, 2, 3, 50, 1000):
            stream = rng.integers(0, k, n).astype(np.uint8)
            bits = code.encode(stream)
            assert code.decode(bits, n).tolist() == stream.tolist()
            with jit.interpreted():
                assert code.decode(bits, n).tolist() == stream.tolist()
            assert code.symbol_costs(stream)[1].sum() == len(bits)


def test_a_symbol_after_a_context_the_model_rules_out_is_refused():
    """Order 2, every message starting with 1: the partial context "0" is not stored, so the encoder
    refuses a symbol there, and the decoder cannot get there; a message that only ends in it codes."""
    chain = MarkovChain.from_transitions([[0.5, 0.5]] * 4, order=2, initial=[0, 0, 0.5, 0.5])
    code = code_of("huffman", chain)
    with pytest.raises(CodesimError, match="symbol 1 of the stream"):
        code.encode(np.array([0, 1, 1]))
    assert code.decode(code.encode(np.array([0])), 1).tolist() == [0]
    with pytest.raises(DecodeError, match="symbol 1: the symbols before it lead to a context the model rules out"):
        code.decode(bitarray("0000"), 2)


def test_a_full_context_the_model_rules_out_is_refused_where_it_is():
    """Without a fallback, a full context that is not stored cannot code a symbol: the encoder names the
    first such symbol, wherever it falls among the tuples it packs, and the decoder stops there."""
    contexts = Contexts(3, 1, np.array([0, 1, 3]), False)  # after 0, after 1, at the start
    code = ContextPrefixCode(contexts, [[1, 2, 2], [2, 1, 2], [2, 2, 1]], "huffman")
    for at in (1, 2, 7, 8, 9, 50):
        stream = np.zeros(60, dtype=np.uint8)
        stream[at - 1] = 2
        with pytest.raises(CodesimError, match=f"symbol {at} of the stream"):
            code.encode(stream)
        assert code.decode(code.encode(stream[:at]), at).tolist() == stream[:at].tolist()
        with pytest.raises(DecodeError, match=f"symbol {at}: the symbols before it lead to a context"):
            code.decode(code.encode(stream[:at]) + bitarray("0"), at + 1)


@pytest.mark.parametrize("order", [1, 2])
def test_long_streams_pack_as_their_codewords_one_after_another(order):
    """Over several encoder steps, the tuples the packer takes at once give the bits that coding every
    symbol by its context's row gives."""
    from codesim.coders import prefix_context

    transitions = np.random.default_rng(order).dirichlet(np.ones(5), size=5**order)
    chain = MarkovChain.from_transitions(transitions, order=order)
    stream = sample(chain, 2 * prefix_context.ENCODE_STEP + 13, 4)
    code, by_rows = code_of("huffman", chain), code_of("huffman", chain)
    by_rows.__dict__["_tuple"] = 0
    assert code._tuple > 1
    bits = code.encode(stream)
    assert bits == by_rows.encode(stream)
    assert np.array_equal(code.decode(bits, stream.size), stream)
    assert len(bits) == code.symbol_costs(stream)[1].sum()


def test_a_probability_below_the_longest_codeword_is_refused_with_the_scheme_named():
    chain = MarkovChain.from_transitions([[1 - 1e-16, 1e-16, 0.0], [0.3, 0.3, 0.4], [0.3, 0.3, 0.4]], SYMBOLS)
    with pytest.raises(SchemeError, match=f"'shannon'.*1 to {MAX_CONTEXT_CODEWORD_BITS}"):
        code_of("shannon", chain)
    assert code_of("huffman-limited", chain).lengths.max() <= 15


def test_long_codewords_are_found_by_the_canonical_search():
    """Codewords longer than the lookup's bits (up to the longest a context code takes) round trip."""
    lengths = np.array([list(range(1, 48)) + [47], [1] * 2 + [2] * 0 + [48] * 46])
    lengths[1] = [1] + list(range(2, 48)) + [47]
    contexts = Contexts(48, 1, np.array([5, 48]), True)
    code = ContextPrefixCode(contexts, np.vstack([lengths, lengths[:1]]), "huffman")
    stream = np.array([47, 5, 46, 5, 0, 5, 20, 1, 2, 5, 47], dtype=np.uint8)
    bits = code.encode(stream)
    assert code.decode(bits, stream.size).tolist() == stream.tolist()
    with jit.interpreted():
        assert code.decode(bits, stream.size).tolist() == stream.tolist()


# -- configs and files -------------------------------------------------------------------------------


@settings(max_examples=20)
@given(chain=chains(), scheme=st.sampled_from(SCHEMES), n=st.integers(0, 200), seed=st.integers(0, 2**16))
def test_a_csim_file_round_trips_the_code_and_the_message(chain, scheme, n, seed):
    code = code_of(scheme, chain)
    stream = sample(chain, n, seed)
    data = container.dumps(code, code.encode(stream), n, chain.alphabet)
    header, coder, bits = container.loads(data)
    assert isinstance(coder, ContextPrefixCode) and coder.get_config() == code.get_config()
    assert container.decode_payload(header, coder, bits).tolist() == stream.tolist()


def _config():
    chain = MarkovChain.from_transitions([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]], SYMBOLS)
    return code_of("huffman", chain).get_config()


def test_a_written_config_passes_its_check():
    for scheme in SCHEMES:
        config = code_of(scheme, MarkovChain.from_transitions([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]], SYMBOLS)).get_config()
        check_config(config, 3)
        assert from_config(config).get_config() == config


@pytest.mark.parametrize("change, match", [
    (lambda c: c.update(lengths=c["lengths"][:-1]), "'coder.lengths' has 3 rows, but the code has 4 contexts"),
    (lambda c: c.update(lengths=c["lengths"] + [[1, 2, 2]]), "'coder.lengths' has 5 rows"),
    (lambda c: c.update(lengths={"a": 1}), "'coder.lengths' is an object, not a list"),
    (lambda c: c["lengths"].__setitem__(1, [1, 2]), "'coder.lengths' row 2 has 2 entries"),
    (lambda c: c["lengths"].__setitem__(1, 7), "'coder.lengths' row 2 is an integer, not a list"),
    (lambda c: c["lengths"][2].__setitem__(0, 0), "'coder.lengths' row 3 entry 1 is 0"),
    (lambda c: c["lengths"][2].__setitem__(0, MAX_CONTEXT_CODEWORD_BITS + 1), "row 3 entry 1 is 49"),
    (lambda c: c["lengths"][2].__setitem__(0, 1.0), "row 3 entry 1 is 1.0"),
    (lambda c: c["lengths"][2].__setitem__(0, True), "row 3 entry 1 is true"),
    (lambda c: c["lengths"].__setitem__(0, [1, 1, 2]), "'coder.lengths' row 1 is not a prefix code"),
    (lambda c: c["lengths"].__setitem__(3, [2, 2, 2]), "'coder.lengths' is an incomplete prefix code.*context row 4"),
    (lambda c: c.update(order=0), "'coder.order'"),
    (lambda c: c.update(order=40), "'coder.order'"),
    (lambda c: c.pop("fallback"), "'coder.fallback' is missing"),
    (lambda c: c.update(fallback=1), "'coder.fallback'"),
    (lambda c: c.update(contexts=[0, 0, 1, 3]), "'coder.contexts' entry 2"),
    (lambda c: c.update(contexts=[0, 1, 2, 4]), "'coder.contexts' entry 4"),
    (lambda c: c.update(contexts=[]), "'coder.contexts'"),
    (lambda c: c.update(fallback=True), "'coder.lengths' has 4 rows, but the code has 5 contexts"),
    (lambda c: c["params"].update(k=2), "'coder.params.k'"),
])
def test_hostile_configs_are_refused_with_the_field_named(change, match):
    config = _config()
    change(config)
    with pytest.raises(ConfigError, match=match):
        check_config(config, 3)


def test_scheme_checks_hold_in_every_context_row():
    config = {**_config(), "scheme": "fixed"}
    config["lengths"] = [[2, 2, 2]] * 4
    check_config(config, 3)
    config["lengths"][2] = [1, 2, 2]
    with pytest.raises(ConfigError, match="not a fixed-length code.*context row 3"):
        check_config(config, 3)
    limited = {**_config(), "scheme": "huffman-limited", "params": {"max_length": 2}}
    check_config(limited, 3)
    limited["lengths"][1] = [2, 2, 2]
    with pytest.raises(ConfigError, match="incomplete prefix code.*context row 2"):
        check_config(limited, 3)


def test_a_scheme_without_a_context_code_refuses_a_config_with_an_order():
    config = {**_config(), "scheme": "block-huffman", "params": {"k": 2}}
    with pytest.raises(ConfigError, match="'coder.order': scheme 'block-huffman' has no context code"):
        check_config(config, 3)


def test_inspect_shows_each_symbols_context_and_codeword(tmp_path):
    chain = MarkovChain.from_transitions([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]], SYMBOLS)
    code = code_of("huffman", chain)
    stream = np.array([2, 2, 0, 1, 1, 0])
    bits = code.encode(stream)
    path = tmp_path / "m.csim"
    path.write_bytes(container.dumps(code, bits, stream.size, chain.alphabet))
    doc, error = inspect_file(str(path), limit=5)
    assert error is None
    trace = doc["trace"]
    assert [row["context"] for row in trace] == ["(start)", "s2", "s2", "s0", "s1"]
    assert [row["symbol"] for row in trace] == ["s2", "s2", "s0", "s1", "s1"]
    assert "".join(row["codeword"] for row in trace) == bits.to01()[: trace[-1]["position"] + trace[-1]["bits"]]
    assert trace[-1]["total_bits"] == sum(row["bits"] for row in trace)
    assert [row["position"] for row in trace] == list(np.cumsum([0] + [row["bits"] for row in trace])[:-1])
    table = doc["table"]
    assert len(table) == 4 * 3 and table[0]["context"] == "s0" and table[-1]["context"] == "(start)"
    assert {row["codeword"] for row in table[:3]} == {code.codeword_in(0, x) for x in range(3)}
    assert {"context", "codeword"} <= {c[0] for c in doc["trace_columns"]}


# -- block-huffman over a chain's k-blocks ------------------------------------------------------------


@settings(max_examples=40)
@given(chain=chains(max_order=2, max_size=4, zeros=False), k=st.integers(1, 4))
def test_block_huffman_on_a_chain_is_within_one_over_k_of_the_block_entropy(chain, k):
    """H(X^k)/k <= L_k/k < H(X^k)/k + 1/k, with H(X^k) of the chain's stationary k-blocks enumerated
    from the transitions and a power-iterated stationary vector."""
    assume(len(chain.alphabet)**k <= 256)
    code = build("block-huffman", chain, k=k)
    assert isinstance(code, BlockCode) and code.k == k
    blocks = block_distribution(transition_rows(chain, chain.order), chain.order, k)
    probs = np.array([blocks[t] for t in itertools.product(range(len(chain.alphabet)), repeat=k)])
    positive = probs[probs > 0]
    block_entropy = float(-(positive * np.log2(positive)).sum())
    mean_length = float(np.dot(probs, code.tuple_code.lengths))
    assert block_entropy / k - 1e-9 <= mean_length / k < block_entropy / k + 1 / k
    assert code.expected_length(chain) == pytest.approx(mean_length / k)
    stream = sample(chain, 101, 3)
    assert code.decode(code.encode(stream), stream.size).tolist() == stream.tolist()
    check_config(code.get_config(), len(chain.alphabet))


def test_block_huffman_on_a_chain_codes_its_pairs_not_the_product_of_its_marginals():
    """A sticky chain's pairs (0, 0) and (1, 1) are likelier than the marginals' product says, and get the
    shortest codewords."""
    chain = MarkovChain.from_transitions([[0.9, 0.1], [0.2, 0.8]])
    code = build("block-huffman", chain, k=2)
    assert code.tuple_code.lengths.tolist() == [1, 3, 3, 2]


def test_given_the_models_rows_inspect_shows_q_and_the_ideal_in_each_context():
    chain = MarkovChain.from_transitions([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]], SYMBOLS)
    code = code_of("shannon", chain)
    contexts, rows = chain.context_table()
    table = code.table_rows(chain.alphabet, rows, None)
    assert [row["q"] for row in table] == rows.ravel().tolist()
    assert [row["ideal_bits"] for row in table] == pytest.approx(-np.log2(rows.ravel()))
    stream = np.array([0, 0, 1, 2, 2])
    trace = code.trace_rows(stream, chain.alphabet, rows, 5, code.encode(stream))
    at = contexts.rows_of(stream)
    assert [row["ideal_bits"] for row in trace] == pytest.approx(-np.log2(rows[at, stream]))
    assert trace[-1]["excess"] == pytest.approx(trace[-1]["total_bits"] + np.log2(rows[at, stream]).sum())
    assert code.table_rows(chain.alphabet, None, None)[0].keys() == {"context", "symbol", "codeword", "length",
                                                                       "ideal_bits"}
