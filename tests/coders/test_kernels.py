"""The sequential kernels and the models the range coder asks: the Fenwick tree against sums by hand,
the adaptive model's two ways to its intervals, one range-coding loop for every model, and kernels that
are plain functions running on numpy arrays as on lists."""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

import codesim
from codesim import jit
from codesim.coders import build, from_config, models, rangecoder_v1
from codesim.coders.kernels import ctw, fenwick, integer, lz78, prefix, rangecoder, tans, trie, tunstall, vitter
from codesim.coders.adaptive import AdaptiveArithmeticCoder
from codesim.coders.frequencies import quantise
from codesim.coders.rangecoder import ArithmeticCoder
from codesim.errors import DecodeError

PACKAGE = Path(codesim.__file__).resolve().parent
KERNELS = [ctw, fenwick, integer, lz78, prefix, rangecoder, tans, trie, tunstall, vitter]


@given(st.lists(st.integers(0, 1 << 40), min_size=1, max_size=40), st.data())
@settings(max_examples=100)
def test_fenwick_sums_finds_and_adds_match_plain_sums(weights, data):
    """below(x) is the sum of the weights under x; find(t) the last symbol whose start is <= t, for
    every t below the total; add keeps both true, as does a rebuild."""
    tree = [0] * (fenwick.tree_span(len(weights)) + 1)
    fenwick.build.py_func(weights, tree, 0, len(weights), len(tree) - 1)
    for _ in range(3):
        starts = np.concatenate(([0], np.cumsum(weights, dtype=object)))
        assert [fenwick.below(tree, x) for x in range(len(weights))] == starts[:-1].tolist()
        total = int(starts[-1])
        for target in data.draw(st.lists(st.integers(0, max(total - 1, 0)), max_size=10)):
            if total:
                x, rest = fenwick.find(tree, target)
                assert starts[x] <= target < starts[x + 1] and rest == target - starts[x]
        x = data.draw(st.integers(0, len(weights) - 1))
        step = data.draw(st.integers(0, 1000))
        weights[x] += step
        fenwick.add(tree, x, step)
    again = [0] * len(tree)
    fenwick.build.py_func(weights, again, 0, len(weights), len(again) - 1)
    assert again == tree


@given(st.integers(1, 300), st.lists(st.integers(0, 299), max_size=200))
@settings(max_examples=100)
def test_earlier_counts_match_counting_by_hand(k, values):
    """For each position: how many earlier symbols are below it, and how many equal it."""
    x = np.array([v % k for v in values], dtype=np.int64)
    below, same = models.earlier_counts(x, k)
    assert below.tolist() == [int(np.sum(x[:i] < x[i])) for i in range(x.size)]
    assert same.tolist() == [int(np.sum(x[:i] == x[i])) for i in range(x.size)]


@given(k=st.integers(1, 300), alpha=st.sampled_from([(1, 2), (1, 1), (1, 10), (7, 3)]),
       limit_bits=st.integers(6, 62), data=st.data())
@settings(max_examples=80, deadline=None)
def test_counted_and_stepped_intervals_agree(k, alpha, limit_bits, data):
    """The adaptive model's intervals for a known stream, counted at once (no halving ahead) or
    stepped symbol by symbol (halvings included), are the same, chunk after chunk; and each is what
    interval() says before update() learns the symbol."""
    pseudo, step = alpha
    limit = max(1 << limit_bits, 2 * (k * pseudo + step))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    chunks = [rng.choice(k, data.draw(st.integers(0, 300)), p=rng.dirichlet(np.full(k, 0.3)))
              for _ in range(3)]
    counted = models.AdaptiveModel(k, pseudo, step, limit)
    stepped = models.AdaptiveModel(k, pseudo, step, limit)
    by_hand = models.AdaptiveModel(k, pseudo, step, limit)
    for chunk in chunks:
        starts, sizes, totals = counted.intervals(chunk)
        m = chunk.size
        s2, z2, t2 = [0] * m, [0] * m, [0] * m
        stepped.total = fenwick.adaptive_intervals(chunk.tolist(), stepped.sizes, stepped.tree, stepped.total,
                                                   step, limit, pseudo, s2, z2, t2)
        assert (starts, sizes, list(totals)) == (s2, z2, t2)
        for i, x in enumerate(chunk.tolist()):
            assert by_hand.interval(x) == (s2[i], z2[i], t2[i])
            assert by_hand.find(s2[i]) == by_hand.find(s2[i] + z2[i] - 1) == x
            by_hand.update(x)
        counted._sync()
        assert counted.sizes == stepped.sizes == by_hand.sizes and counted.tree == stepped.tree
        assert counted.total == stepped.total == by_hand.total


def test_the_static_model_gives_each_symbol_its_quantised_frequency():
    coder = build("arithmetic", [0.5, 0.3, 0.2], precision=10)
    model = coder._model()
    for x in range(3):
        start, size, total = model.interval(x)
        assert (size, total) == (int(coder.freqs[x]), 1 << 10) and start == int(coder.starts[x])
        assert model.find(start) == model.find(start + size - 1) == x


def test_the_range_coding_loop_is_written_once(monkeypatch):
    """Renormalisation (`while rng < bottom`) appears once in the encoding and once in the decoding
    kernel, for every model, and once in each of version 1's loops; both arithmetic schemes encode and
    decode through those functions."""
    found = {path.relative_to(PACKAGE).as_posix(): path.read_text().count("while rng < bottom")
             for path in PACKAGE.rglob("*.py")}
    assert {path: count for path, count in found.items() if count} == {"coders/kernels/rangecoder.py": 2,
                                                                       "coders/rangecoder_v1.py": 2}
    calls = []
    for module, names in ((rangecoder, ("encode", "decode")), (rangecoder_v1, ("encode_loop", "decode_loop"))):
        for name in names:
            original = getattr(module, name)
            monkeypatch.setattr(module, name, lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a))
    stream = np.array([0, 1, 2, 1, 0, 0])
    for scheme in ("arithmetic", "adaptive-arithmetic"):
        coder = build(scheme, [0.5, 0.3, 0.2])
        for version, expected in ((2, ["encode", "decode"]), (1, ["encode_loop", "decode_loop"])):
            config = {key: value for key, value in coder.get_config().items() if key != "version"}
            restored = from_config(config if version == 1 else coder.get_config())
            calls.clear()
            assert restored.decode(restored.encode(stream), stream.size).tolist() == stream.tolist()
            assert calls == expected, (scheme, version)


@pytest.mark.parametrize("module", KERNELS, ids=lambda m: m.__name__)
def test_kernels_are_plain_functions(module):
    """No class, no dict or set built, no nested function in a kernel module: only functions over
    sequences and ints (so a compiler such as numba's njit can take them; it has no int.bit_length)."""
    tree = ast.parse(inspect.getsource(module))
    banned = (ast.ClassDef, ast.Dict, ast.Set, ast.DictComp, ast.SetComp, ast.Lambda, ast.ListComp,
              ast.GeneratorExp)
    assert not [type(node).__name__ for node in ast.walk(tree) if isinstance(node, banned)]
    assert not [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "bit_length"]
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            assert not [n for n in ast.walk(node) if isinstance(n, ast.FunctionDef) and n is not node]


def test_fenwick_kernels_run_on_numpy_arrays_as_on_lists():
    """The same kernels over int64 arrays give the same tables as over lists."""
    results = []
    for as_array in (False, True):
        conv = (lambda v: np.array(v, dtype=np.int64)) if as_array else list
        weights = conv([3, 1, 4, 1, 5])
        fen = conv([0] * 9)
        # the kernels compiled take arrays; lists go to the plain functions
        build_tree, halve = (fenwick.build, fenwick.halve) if as_array else (fenwick.build.py_func, fenwick.halve.py_func)
        build_tree(weights, fen, 0, 5, 8)
        fenwick.add(fen, 2, 7)
        found = fenwick.find(fen, 9)
        total = halve(weights, 0, 5, 1, 1)
        build_tree(weights, fen, 0, 5, 8)
        results.append([list(map(int, fen)), found, total, list(map(int, weights))])
    assert results[0] == results[1]


def test_fenwick_kernels_compile_with_numba_unchanged(monkeypatch):
    """Where numba is installed, its njit takes the Fenwick kernels as written."""
    numba = pytest.importorskip("numba")
    for name, function in vars(fenwick).copy().items():
        if inspect.isfunction(function) and function.__module__ == fenwick.__name__:
            monkeypatch.setattr(fenwick, name, numba.njit(function))
    weights, tree = np.array([3, 1, 4, 1, 5], dtype=np.int64), np.zeros(9, dtype=np.int64)
    fenwick.build(weights, tree, 0, 5, 8)
    assert fenwick.find(tree, 7) == (2, 3) and fenwick.find(tree, 8) == (3, 0) and fenwick.below(tree, 4) == 9


# -- the range coder's kernels, compiled and interpreted -----------------------------------------------


class Narrow(ArithmeticCoder):
    """One-bit digits in a 12-bit state: carries through long runs of ones on every stream."""

    registers = {2: (12, 1)}


class TwoBit(ArithmeticCoder):
    registers = {2: (15, 2)}


class Halving(AdaptiveArithmeticCoder):
    """Counts halved past a total of 2^10, in a 24-bit state with 4-bit digits."""

    registers = {2: (24, 4)}
    max_totals = {2: 1 << 10}


@pytest.mark.skipif(not jit.enabled(), reason="numba is not installed (or NUMBA_DISABLE_JIT is set)")
@given(data=st.data(), make=st.sampled_from([
    lambda q: build("arithmetic", q), lambda q: build("arithmetic", q, precision=32),
    lambda q: Narrow(quantise(q, 9), 9), lambda q: TwoBit(quantise(q, 10), 10),
    lambda q: build("adaptive-arithmetic", q), lambda q: build("adaptive-arithmetic", q, alpha=0.01),
    lambda q: Halving(q.size, 0.5)]))
@settings(max_examples=60, deadline=None)
def test_range_kernels_compiled_and_interpreted_give_the_same_bits(data, make):
    """The same coder, its kernels compiled (over arrays) and interpreted (over lists): the same bits and
    the same symbols back, for models and streams that force carries (narrow states, runs of the last
    symbol, a symbol of frequency 1), halvings and a growing buffer; garbage is refused alike."""
    k = data.draw(st.integers(2, 300), label="k")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    q = rng.dirichlet(np.full(k, data.draw(st.sampled_from([0.05, 1.0]), label="concentration")))
    stream = rng.choice(k, data.draw(st.integers(0, 400), label="n"), p=q)
    stream[: data.draw(st.integers(0, stream.size), label="run")] = k - 1
    compiled = make(q)
    bits = compiled.encode(stream)
    garbage = bitarray(rng.integers(0, 2, data.draw(st.integers(0, 200), label="garbage")).tolist(), endian="big")
    outcomes = [_outcome(compiled, garbage, stream.size)]
    with jit.interpreted():
        plain = make(q)
        assert plain.encode(stream) == bits
        assert plain.decode(bits, stream.size).tolist() == stream.tolist()
        outcomes.append(_outcome(plain, garbage, stream.size))
    assert compiled.decode(bits, stream.size).tolist() == stream.tolist()
    assert outcomes[0] == outcomes[1]


def _outcome(coder, bits, n):
    try:
        return coder.decode(bits, n).tolist()
    except DecodeError as error:
        return str(error)


@given(data=st.data(), make=st.sampled_from([
    lambda k: build("adaptive-arithmetic", np.full(k, 1 / k)),
    lambda k: build("adaptive-arithmetic", np.full(k, 1 / k), alpha=0.01), lambda k: Halving(k, 0.5),
    lambda k: build("adaptive-arithmetic", np.full(k, 1 / k), order=1), lambda k: Halving(k, 0.5, order=1)]))
@settings(max_examples=40, deadline=None)
def test_the_adaptive_decoders_two_descents_agree(data, make):
    """The decoding kernel's Fenwick descent as compiled code runs it (masks) and as the interpreter
    runs it (branches), both as plain Python: the stream back, the same registers and context row, and
    weights whose Fenwick tree is the tree each leaves (each context's, with contexts), on streams and
    on garbage alike."""
    k = data.draw(st.integers(2, 300), label="k")
    coder = make(k)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    stream = rng.choice(k, data.draw(st.integers(0, 300), label="n"), p=rng.dirichlet(np.full(k, 0.2)))
    garbage = data.draw(st.booleans(), label="garbage")
    bits = bitarray(rng.integers(0, 2, 300).tolist()) if garbage else coder.encode(stream)
    W, U = coder.state_bits, coder.digit_bits
    end = W + len(bits) // U * U
    data_bytes = list(bits.tobytes()) + [0] * ((end + W) // 8 + 3 - len(bits.tobytes()))
    diff = int.from_bytes(bytes(data_bytes[:8]), "big") >> (64 - W)
    results = []
    for branchless in (False, True):
        model = coder._model()
        starts, sizes, lookup, _, tree = model.tables()
        starts, sizes, lookup, tree = (list(map(int, table)) for table in (starts, sizes, lookup, tree))
        follow, context = (None, None) if model.follow is None else (list(map(int, t)) for t in (model.follow,
                                                                                                  model.context))
        out = [0] * stream.size
        result = rangecoder.decode.py_func(data_bytes, W, end, out, stream.size, diff, 1 << W, W, U, 0, starts, sizes,
                                           lookup, 0, tree, model.total, model.step, model.limit, model.pseudo,
                                           branchless, follow, context)
        rows = 1 if follow is None else len(follow)
        rebuilt = [0] * len(tree)
        for row in range(rows):
            fenwick.build.py_func(sizes, rebuilt, row, len(sizes) // rows, len(tree) // rows - 1)
        assert tree == rebuilt
        results.append((result, out, sizes, context))
    assert results[0] == results[1]
    if not garbage:
        assert results[0][0][0] == stream.size and results[0][1] == stream.tolist()
