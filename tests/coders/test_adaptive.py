"""Adaptive coders (adaptive-arithmetic, adaptive-huffman): round trips, the KT regret bound, Vitter's
bound against the static Huffman code, learning a skewed source, configs and decoding errors."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import codesim.coders.adaptive  # noqa: F401  (registers the schemes)
import codesim.coders.vitter  # noqa: F401
from codesim.coders import build, from_config
from codesim.coders.adaptive import AdaptiveArithmeticCoder
from codesim.coders.kernels.vitter import SPARES
from codesim.coders.vitter import AdaptiveHuffmanCoder, _VitterTree
from codesim.coders.prefix import huffman_lengths
from codesim.errors import CodesimError, DecodeError
from codesim.measures import entropy

from ..conftest import NASA_P

SCHEMES = ["adaptive-arithmetic", "adaptive-huffman"]


def empirical_entropy_bits(stream: np.ndarray, k: int) -> float:
    """n H(empirical distribution of the stream), in bits."""
    counts = np.bincount(stream, minlength=k)
    used = counts[counts > 0].astype(np.float64)
    return float(-(used * np.log2(used / stream.size)).sum()) if stream.size else 0.0


def static_huffman_bits(stream: np.ndarray, k: int) -> int:
    """S: what the two-pass Huffman code of the stream's own counts spends (0 for one distinct symbol)."""
    counts = np.bincount(stream, minlength=k)
    used = counts[counts > 0]
    if used.size <= 1:
        return 0
    return int((huffman_lengths(used / used.sum()) * used).sum())


@st.composite
def skewed_streams(draw, max_k=30, max_n=500):
    """(k, stream): alphabets of 1..max_k, streams of 0..max_n symbols from a Dirichlet draw (very
    skewed to nearly uniform), sometimes sorted into runs."""
    k = draw(st.integers(1, max_k), label="k")
    n = draw(st.integers(0, max_n), label="n")
    concentration = draw(st.sampled_from([0.02, 0.2, 1.0, 20.0]), label="concentration")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    stream = rng.choice(k, n, p=rng.dirichlet(np.full(k, concentration)))
    if draw(st.booleans(), label="sorted"):
        stream = np.sort(stream)
    return k, stream


# -- round trips --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCHEMES)
@given(case=skewed_streams(), alpha=st.sampled_from([0.5, 1.0, 0.1, 3.0]))
@settings(max_examples=60, deadline=None)
def test_decode_inverts_encode_for_any_alphabet_and_stream(name, case, alpha):
    """decode(encode(s)) == s for alphabets 1..30 and streams 0..500, skewed ones included, also by a
    coder rebuilt from the config (the decoder needs nothing but k and the parameters)."""
    k, stream = case
    coder = build(name, np.full(k, 1.0 / k), **({"alpha": alpha} if name == "adaptive-arithmetic" else {}))
    bits = coder.encode(stream)
    assert coder.decode(bits, stream.size).tolist() == stream.tolist()
    again = from_config(json.loads(json.dumps(coder.get_config())))
    assert again.encode(stream) == bits
    assert again.decode(bits, stream.size).tolist() == stream.tolist()


@pytest.mark.parametrize("name", SCHEMES)
def test_long_streams_cross_chunk_boundaries_and_little_endian_bits_decode(name):
    """Streams longer than the loops' chunk of 2^16 symbols round-trip; bits given little-endian decode."""
    stream = np.random.default_rng(5).choice(8, 70_000, p=NASA_P)
    coder = build(name, NASA_P)
    bits = coder.encode(stream)
    assert np.array_equal(coder.decode(bits, stream.size), stream)
    from bitarray import bitarray

    little = bitarray(bits.to01(), endian="little")
    assert np.array_equal(coder.decode(little, stream.size), stream)


@pytest.mark.parametrize("name", SCHEMES)
def test_a_one_symbol_alphabet_costs_nothing(name):
    """With k = 1 the symbol is known: 0 bits for any n, and a stream with bits is refused."""
    coder = build(name, [1.0])
    assert len(coder.encode(np.zeros(1000, dtype=np.uint8))) == 0
    assert coder.decode(coder.encode(np.zeros(7, dtype=np.uint8)), 7).tolist() == [0] * 7
    from bitarray import bitarray

    with pytest.raises(DecodeError, match="trailing"):
        coder.decode(bitarray("0"), 3)


# -- the contract for schemes without q ---------------------------------------------------------------


@pytest.mark.parametrize("name", SCHEMES)
def test_q_only_gives_the_alphabet_size(name):
    """Two different models of the same size build the same code: same bits, uniform implied r (the
    initial model), code divergence 0."""
    stream = np.array([3, 1, 3, 3, 0, 2, 3, 3])
    a, b = build(name, [0.7, 0.1, 0.1, 0.1]), build(name, [0.0, 0.0, 0.0, 1.0])
    assert a.encode(stream) == b.encode(stream)
    assert a.get_config() == b.get_config() and a.get_config()["size"] == 4
    assert a.implied.tolist() == [0.25] * 4
    assert a.code_divergence([0.5, 0.25, 0.125, 0.125]) == 0.0


def test_expected_length_is_the_long_run_rate():
    """adaptive-arithmetic tends to H(p); adaptive-huffman to the Huffman code of p, with the 0-node as
    a weight-0 leaf while a symbol p rules out stays unseen; one symbol costs nothing."""
    arithmetic, huffman = build("adaptive-arithmetic", [0.25] * 4), build("adaptive-huffman", [0.25] * 4)
    dyadic = [0.5, 0.25, 0.125, 0.125]
    assert arithmetic.expected_length(dyadic) == pytest.approx(1.75) == huffman.expected_length(dyadic)
    skewed = [0.7, 0.1, 0.1, 0.1]
    assert arithmetic.expected_length(skewed) == pytest.approx(entropy(skewed))
    assert huffman.expected_length(skewed) == pytest.approx(1.5)  # lengths 1, 2, 3, 3
    assert huffman.expected_length([1.0, 0.0, 0.0, 0.0]) == 1.0  # the symbol and the 0-node
    assert huffman.expected_length([0.5, 0.5, 0.0, 0.0]) == pytest.approx(1.5)  # (0.5, 0.5, 0): 1, 2, 2
    assert build("adaptive-huffman", [1.0]).expected_length([1.0]) == 0.0


# -- adaptive-arithmetic: the estimator and its regret ------------------------------------------------


def test_alpha_is_used_as_an_exact_fraction():
    """The model is kept in integers: weight d c(x) + a with alpha = a / d exactly."""
    assert (AdaptiveArithmeticCoder(3, 0.5).pseudo, AdaptiveArithmeticCoder(3, 0.5).step) == (1, 2)
    assert (AdaptiveArithmeticCoder(3, 1.0).pseudo, AdaptiveArithmeticCoder(3, 1.0).step) == (1, 1)
    assert (AdaptiveArithmeticCoder(3, 0.1).pseudo, AdaptiveArithmeticCoder(3, 0.1).step) == (1, 10)
    assert (AdaptiveArithmeticCoder(3, 2.5).pseudo, AdaptiveArithmeticCoder(3, 2.5).step) == (5, 2)


def test_the_estimators_probabilities_by_hand():
    """KT on 0,0,1 over {0,1}: 1/2 * 3/4 * 1/6 = 1/16, 4 bits; Laplace: 1/2 * 2/3 * 1/4 = 1/12."""
    stream = np.array([0, 0, 1])
    assert AdaptiveArithmeticCoder(2, 0.5).ideal_bits(stream) == pytest.approx(4.0)
    assert AdaptiveArithmeticCoder(2, 1.0).ideal_bits(stream) == pytest.approx(math.log2(12))


@pytest.mark.parametrize("k, p_kind", [(2, "skewed"), (3, "uniform"), (8, "nasa"), (30, "dirichlet")])
def test_kt_regret_stays_within_its_bound_on_random_streams(k, p_kind):
    """bits - n H(empirical) <= (k-1)/2 log2 n + log2 k + 2 + n eps (KT's regret bound, plus the range
    coder's termination and rounding), at lengths up to 20000; and bits >= ideal >= n H(empirical)."""
    rng = np.random.default_rng(k)
    p = {"skewed": [0.97, 0.03], "uniform": [1 / 3] * 3, "nasa": NASA_P,
         "dirichlet": rng.dirichlet(np.full(k, 0.5))}[p_kind]
    coder = AdaptiveArithmeticCoder(k, 0.5)
    for n in (1, 10, 100, 1000, 20_000):
        stream = rng.choice(k, n, p=p)
        bits = len(coder.encode(stream))
        floor = empirical_entropy_bits(stream, k)
        ideal = coder.ideal_bits(stream)
        # ideal is computed with lgamma in floats: compared with a tolerance of 1e-6 bits
        assert floor - 1e-6 <= ideal <= bits + 1e-6 and bits < coder.max_bits(stream)
        bound = coder.regret_bound(n)
        assert bound == pytest.approx((k - 1) / 2 * math.log2(n) + math.log2(k))
        assert ideal - floor <= bound + 1e-6
        assert bits - floor <= bound + 2 + n * coder.rounding_loss


def worst_regret(k: int, n: int, alpha: float) -> float:
    """The largest -log2 P_alpha(s) - n H(empirical) over all streams of n symbols, exactly.

    It depends only on the counts and is a sum over symbols of g(c) = c log2 c - log2 Gamma(c + alpha) /
    Gamma(alpha) plus a term of n alone, so a knapsack over the symbols finds the worst counts.
    """
    ln2 = math.log(2)
    g = [(c * math.log2(c) if c else 0.0) - (math.lgamma(c + alpha) - math.lgamma(alpha)) / ln2
         for c in range(n + 1)]
    best = np.array(g)
    for _ in range(k - 1):
        best = np.array([max(best[m - c] + g[c] for c in range(m + 1)) for m in range(n + 1)])
    return (math.lgamma(n + k * alpha) - math.lgamma(k * alpha)) / ln2 - n * math.log2(n) + best[n]


@pytest.mark.parametrize("alpha", [0.5, 1.0, 0.2, 3.0])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_regret_bound_holds_for_the_worst_stream_of_each_length(alpha, k):
    """regret_bound(n) >= the exact worst-case regret over every stream of length n (n <= 60): the
    cited KT bound and the derived ones for other alpha are checked against the truth, not samples."""
    coder = AdaptiveArithmeticCoder(k, alpha)
    for n in (1, 2, 3, 5, 10, 25, 60):
        assert worst_regret(k, n, alpha) <= coder.regret_bound(n) + 1e-9
    if alpha == 0.5:  # one symbol costs exactly log2 k, which is the bound at n = 1: it is tight there
        assert coder.regret_bound(1) == pytest.approx(worst_regret(k, 1, alpha))


@pytest.mark.parametrize("version", [1, 2])
def test_counts_are_halved_past_the_limit_and_the_stream_still_round_trips(version):
    """With a small limit the model halves its counts (deterministically, in encoder and decoder alike):
    round trips hold, the bits stay within ideal + 2 + n eps of the halving model, and the regret bound
    says inf once halving can happen."""

    class SmallLimit(AdaptiveArithmeticCoder):
        max_totals = {1: 1 << 10, 2: 1 << 10}

    coder = SmallLimit(5, 0.5, version=version)
    stream = np.random.default_rng(3).choice(5, 5000, p=[0.6, 0.2, 0.1, 0.05, 0.05])
    bits = coder.encode(stream)
    assert np.array_equal(coder.decode(bits, stream.size), stream)
    assert coder.ideal_bits(stream) <= len(bits) + 1e-6 and len(bits) < coder.max_bits(stream)
    assert coder.exact_symbols == (1024 - 5) // 2 + 1
    assert coder.regret_bound(coder.exact_symbols) < math.inf == coder.regret_bound(coder.exact_symbols + 1)


def test_the_estimator_is_exact_beyond_any_message():
    """Counts are first halved after (max_total - k a) / d symbols: past 10^11 for KT over 65536 symbols
    (10^14 in version 1), and past 2^23 for any allowed alpha (d <= 2^16, k a <= 2^39), so within every
    message of a file the model is the exact add-alpha estimator."""
    assert AdaptiveArithmeticCoder(65536, 0.5).exact_symbols > 10**11
    assert AdaptiveArithmeticCoder(65536, 0.5, version=1).exact_symbols > 10**14
    worst = AdaptiveArithmeticCoder(2, 1 / 65535 + 1)  # the largest denominator alpha can have
    assert worst.step > 60000 and worst.exact_symbols > 1 << 23
    with pytest.raises(CodesimError, match="limit of 2\\^40"):
        AdaptiveArithmeticCoder(1 << 20, 999.9999)


def test_the_rounding_loss_is_bounded_by_the_largest_total():
    """eps = -log2(1 - T / 2^58) for the largest total T a symbol is coded with: under 5.6e-6 bits with
    T = max_total = 2^40, and what max_bits uses for a stream of n symbols is that of T = k a + d (n - 1)."""
    coder = AdaptiveArithmeticCoder(256, 0.5)
    assert (coder.state_bits, coder.digit_bits, coder.max_total) == (62, 4, 1 << 40)
    assert coder.rounding_loss == pytest.approx(-math.log2(1 - 2.0**-18)) and coder.rounding_loss < 5.6e-6
    stream = np.zeros(1000, dtype=np.uint8)
    largest = 256 + 2 * 999
    assert coder.max_bits(stream) == pytest.approx(coder.ideal_bits(stream) + 2 - 1000 * math.log2(1 - largest / 2.0**58))


# -- adaptive-huffman: Vitter's algorithm Lambda ------------------------------------------------------


def check_tree(tree: _VitterTree, counts: list[int]) -> None:
    """Lambda's invariants: slots in use are contiguous with keys (2 weight + internal) non-decreasing,
    so weights never decrease and leaves precede internal nodes of their weight; siblings pair up with
    the right child in the odd slot from the root; each internal weight is its children's sum; leaves
    weigh their symbol's count; block leaders and the 0-node are where the tree says."""
    key, node, parent, root = tree.key, tree.node, tree.parent, tree.root
    used = [s for s in range(root + 1) if key[s] >= 0]
    assert used == list(range(used[0], root + 1))
    keys = [key[s] for s in used]
    assert keys == sorted(keys)
    # A key's slots share one block id, other keys have other ids, and an id's leader is its key's
    # highest slot; the ids no block has are the spare ones.
    blocks = {K: {int(tree.block[s]) for s in used if key[s] == K} for K in set(keys)}
    assert all(len(ids) == 1 for ids in blocks.values())
    keys_of = {ids.pop(): K for K, ids in blocks.items()}
    assert len(keys_of) == len(blocks)
    assert {K: tree.lead[b] for b, K in keys_of.items()} == {K: max(s for s in used if key[s] == K)
                                                              for K in set(keys)}
    assert sorted([*keys_of, *tree.spare[1 : tree.state[SPARES] + 1]]) == list(range(root + 1))
    for s in used:
        if key[s] & 1:
            c = node[s]
            assert (root - c) % 2 == 1 and used[0] <= c - 1 and c < s
            assert parent[c] == parent[c - 1] == s
            assert key[s] >> 1 == (key[c] >> 1) + (key[c - 1] >> 1)
        elif node[s] < 0:
            assert s == tree.zero == used[0] and key[s] == 0
        else:
            assert tree.leaf[node[s]] == s and key[s] >> 1 == counts[node[s]]
    unseen = [x for x in range(len(counts)) if counts[x] == 0]
    assert [x for x in range(len(counts)) if tree.leaf[x] < 0] == unseen and tree.remaining == len(unseen)
    assert [tree.rank(x) for x in unseen] == list(range(len(unseen)))


@given(case=skewed_streams(max_k=16, max_n=200))
@settings(max_examples=60, deadline=None)
def test_the_tree_keeps_lambdas_invariants_after_every_symbol(case):
    """After each update the tree is a Huffman tree of the counts in Vitter's Lambda order."""
    k, stream = case
    tree, counts = _VitterTree(k), [0] * k
    for x in stream.tolist():
        tree.update(x)
        counts[x] += 1
        check_tree(tree, counts)


@given(case=skewed_streams(max_k=40, max_n=2000))
@settings(max_examples=80, deadline=None)
def test_codewords_take_fewer_than_t_bits_more_than_the_static_huffman_code(case):
    """Vitter (1987): Lambda's codewords for t symbols take D < S + t bits, S the two-pass Huffman
    code's bits for the stream's own counts (the ranks of first occurrences are counted apart)."""
    k, stream = case
    coder = AdaptiveHuffmanCoder(k)
    codeword_bits = len(coder.encode(stream)) - coder.escape_bits(stream)
    assert codeword_bits <= static_huffman_bits(stream, k) + max(stream.size - 1, 0)


@pytest.mark.parametrize("k, t", [(2, 500), (5, 500), (13, 1000)])
def test_an_adversary_feeding_the_longest_codeword_meets_the_bound(k, t):
    """The bound is best possible (Vitter): always sending a symbol whose current codeword is longest
    (a new one every fifth step) makes D - S exactly t - 1."""
    tree, stream = _VitterTree(k), []
    for i in range(t):
        seen = [x for x in range(k) if tree.leaf[x] >= 0]
        pool = seen if seen and i % 5 else range(k)
        x = max(pool, key=lambda y: tree.codeword(tree.leaf[y] if tree.leaf[y] >= 0 else tree.zero)[1])
        tree.update(x)
        stream.append(x)
    stream = np.array(stream)
    coder = AdaptiveHuffmanCoder(k)
    codeword_bits = len(coder.encode(stream)) - coder.escape_bits(stream)
    assert codeword_bits - static_huffman_bits(stream, k) == t - 1


def test_the_bound_leaves_out_the_indices_of_new_letters():
    """Why the README states Vitter's bound for the codewords only: 256 letters each sent once cost
    S = 2048 bits two-pass, and Lambda's codewords stay under S + t, but with the indices of the new
    letters (log2 of the unseen letters' number each) the whole stream does not."""
    k = 256
    stream = np.random.default_rng(1987).permutation(k)
    coder = AdaptiveHuffmanCoder(k)
    total, ranks, static = len(coder.encode(stream)), coder.escape_bits(stream), static_huffman_bits(stream, k)
    assert static == 8 * k
    assert total - ranks < static + k <= total
    assert ranks == sum(math.floor(math.log2(u)) + _long_rank(u, r) for u, r in _unseen_ranks(stream, k))


def _unseen_ranks(stream, k):
    """(number of unseen letters, the letter's rank among them) at each first occurrence."""
    unseen = list(range(k))
    for x in stream:
        if x in unseen:
            yield len(unseen), unseen.index(x)
            unseen.remove(x)


def _long_rank(u: int, r: int) -> int:
    """1 when rank r among u takes the longer of a truncated binary code's two lengths (never when u is a
    power of 2: then every rank is short)."""
    short = (1 << (math.floor(math.log2(u)) + 1)) - u  # ranks below this take floor(log2 u) bits
    return int(r >= short)


def test_first_occurrences_are_an_escape_and_a_truncated_binary_rank():
    """Over 5 symbols, the first symbol is the empty 0-node codeword plus its rank among 5 in truncated
    binary (ranks 0..2 take 2 bits, 3..4 take 3); a repeat then costs its one-bit codeword."""
    coder = AdaptiveHuffmanCoder(5)
    assert coder.encode(np.array([1])).to01() == "01"
    assert coder.encode(np.array([4])).to01() == "111"
    assert coder.encode(np.array([4, 4])).to01() == "1111"
    assert coder.escape_bits(np.array([4, 4, 0])) == 3 + 2  # 0 is then rank 0 of 4 unseen: 2 bits


# -- both learn ---------------------------------------------------------------------------------------


def test_both_coders_learn_a_skewed_source():
    """On 50000 symbols of p = (0.9, 0.05, 0.05): adaptive-arithmetic's bits per symbol come within 0.05
    of H(p) = 0.569, adaptive-huffman's within the Huffman code's own redundancy (L = 1.1) of it."""
    p = np.array([0.9, 0.05, 0.05])
    stream = np.random.default_rng(1948).choice(3, 50_000, p=p)
    arithmetic = len(build("adaptive-arithmetic", p).encode(stream)) / stream.size
    huffman = len(build("adaptive-huffman", p).encode(stream)) / stream.size
    assert abs(arithmetic - entropy(p)) < 0.05
    huffman_length = float(np.dot(p, huffman_lengths(p)))
    assert huffman_length == pytest.approx(1.1)
    assert huffman - entropy(p) <= (huffman_length - entropy(p)) + 0.01
    assert build("adaptive-huffman", p).expected_length(p) == pytest.approx(huffman_length)


# -- configs and errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCHEMES)
def test_config_is_scheme_params_and_size_and_rebuilds_the_coder(name):
    """adaptive-arithmetic's config records its version, 2 (its bitstream changed); a config without
    one is version 1 and rebuilds a coder of version 1."""
    coder = build(name, np.full(6, 1 / 6))
    config = coder.get_config()
    versioned = {"version": 2} if name == "adaptive-arithmetic" else {}
    assert config == {"scheme": name, "params": coder.params, "size": 6, **versioned}
    assert json.loads(json.dumps(config)) == config
    again = from_config(config)
    assert type(again) is type(coder) and again.get_config() == config
    if versioned:
        old = from_config({key: value for key, value in config.items() if key != "version"})
        assert old.version == 1 and "version" not in old.get_config()
        with pytest.raises(CodesimError, match="version"):
            from_config({**config, "version": 3})


@pytest.mark.parametrize("config, message", [
    ({"scheme": "adaptive-huffman", "params": {}}, "size"),
    ({"scheme": "adaptive-huffman", "params": {}, "size": 0}, "alphabet size"),
    ({"scheme": "adaptive-huffman", "params": {}, "size": True}, "alphabet size"),
    ({"scheme": "adaptive-huffman", "params": {}, "size": 2.5}, "alphabet size"),
    ({"scheme": "adaptive-huffman", "params": {}, "size": 1 << 40}, "alphabet size"),
    ({"scheme": "adaptive-huffman", "params": {}, "size": 3, "lengths": [1, 2, 2]}, "no field 'lengths'"),
    ({"scheme": "adaptive-huffman", "params": [], "size": 3}, "params"),
    ({"scheme": "adaptive-huffman", "params": {"alpha": 1}, "size": 3}, "no parameter 'alpha'"),
    ({"scheme": "adaptive-arithmetic", "params": {"alpha": 0}, "size": 3}, "alpha"),
    ({"scheme": "adaptive-arithmetic", "params": {"alpha": "x"}, "size": 3}, "alpha"),
])
def test_bad_configs_are_refused_with_a_message(config, message):
    with pytest.raises(CodesimError, match=message):
        from_config(config)


@pytest.mark.parametrize("name", SCHEMES)
def test_truncated_trailing_and_foreign_bits_are_decode_errors(name):
    """Cut short, one bit added, a wrong symbol count, a negative or non-integer count, not a bitarray:
    each a DecodeError, never another exception."""
    coder = build(name, NASA_P)
    stream = np.random.default_rng(2).choice(8, 400, p=NASA_P)
    bits = coder.encode(stream)
    for bad, n in [(bits[:-1], 400), (bits[: len(bits) // 2], 400), (bits + bits[:1], 400),
                   (bits + bits, 400), (bits, 401), (bits, 10**12), (bits[:0], 5)]:
        with pytest.raises(DecodeError):
            coder.decode(bad, n)
    for n in (-1, 2.5, "3"):
        with pytest.raises(DecodeError):
            coder.decode(bits, n)
    with pytest.raises(DecodeError):
        coder.decode(bits.tobytes(), 400)


@pytest.mark.parametrize("name", SCHEMES)
@given(seed=st.integers(0, 2**32 - 1), nbits=st.integers(0, 300), n=st.integers(0, 120),
       k=st.integers(1, 9))
@settings(max_examples=150, deadline=None)
def test_arbitrary_bits_decode_only_to_the_stream_that_encodes_to_them(name, seed, nbits, n, k):
    """Random bits either raise DecodeError or decode to a stream whose encoding is exactly those bits:
    the decoder accepts nothing the encoder would not write."""
    from bitarray import bitarray

    bits = bitarray(np.random.default_rng(seed).integers(0, 2, nbits).tolist(), endian="big")
    coder = build(name, np.full(k, 1 / k))
    try:
        stream = coder.decode(bits, n)
    except DecodeError:
        return
    assert stream.size == n and coder.encode(stream) == bits


def test_adaptive_huffman_codeword_lengths_add_up_to_its_bits():
    """Each symbol's codeword length, as the tree stood when it came, sums to the encoded size, and
    every prefix of the stream encodes to exactly the bits its lengths say."""
    from codesim.coders import build

    coder = build("adaptive-huffman", np.ones(6) / 6)
    stream = np.random.default_rng(4).integers(0, 6, 500)
    lengths = coder.codeword_lengths(stream)
    assert lengths.size == stream.size and lengths.sum() == len(coder.encode(stream))
    for i in (1, 7, 50, 499):
        assert len(coder.encode(stream[:i])) == lengths[:i].sum()
