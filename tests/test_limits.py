"""Work and memory bounded by the input, checked before the work; decode time bounded per scheme.

Every size a file, a scenario or the command line can claim is refused at its documented limit with one
line naming where it came from, before anything of that size is drawn, allocated or decoded.
"""

from __future__ import annotations

import importlib.util
import json
import time

import numpy as np
import pytest
from bitarray import bitarray

from codesim.files import container
from codesim.coders import available, build
from codesim.coders.base import MAX_SYMBOLS
from codesim.coders.prefix_code import PrefixCode
from codesim.files.container import MAX_ALPHABET_CHARS, MAX_LABEL_CHARS, MAX_META_CHARS, ContainerError, dumps, loads
from codesim.sources.iid import Distribution
from codesim.errors import CodesimError
from codesim.simulation.experiments import MAX_LENGTHS, MAX_PARAM_VALUES
from codesim.files.inspection import MAX_TRACE_SYMBOLS, inspect_file
from codesim.simulation.parallel import MAX_JOBS, check_jobs
from codesim.coders.registry import ALL, select
from codesim.scenario import MAX_MODELS
from codesim.simulation.simulate import (BLOCK, MAX_BLOCKS, MAX_LENGTH, MIN_CODE_ENTRIES, check_codes, code_message,
                                      learns, simulate_many)
from .files import test_container as layout
from .hostile import assert_one_line_error, assert_refused, files_in, invoke, run_cli

NASA = "scenarios/nasa-temperature.toml"


def encoded(name: str, size: int, stream, **params) -> bytes:
    coder = build(name, np.full(size, 1.0 / size), **params)
    stream = np.asarray(stream)
    return dumps(coder, coder.encode(stream), stream.size, list(range(size)))


def claiming(data: bytes, symbols: int) -> bytes:
    """``data`` with its symbol count changed (CRCs recomputed): the payload stays what it was."""
    header, payload, _, nbits = layout.split(data)
    return layout.assemble(header, payload, symbols, nbits)


# -- decode time: each scheme's own symbol limit -------------------------------------------------------

#: (scheme, alphabet size, parameters): every class of coder, at the parameters that lower its limit.
LIMITED = [
    ("arithmetic", 4, {"precision": 32}),
    ("rans", 4, {"lanes": 1, "precision": 16}),
    ("rans", 4, {"lanes": 63}),
    ("adaptive-arithmetic", 2, {"alpha": 1e-4}),
    ("adaptive-arithmetic", 300, {}),
    ("adaptive-huffman", 2, {}),
    ("adaptive-huffman", 65536, {}),
    ("adaptive-huffman", 1000, {}),
]


@pytest.mark.parametrize("name, size, params", LIMITED)
def test_a_file_just_over_its_schemes_limit_is_refused_at_once(name, size, params):
    """limit + 1 symbols: refused naming the scheme and the limit, without decoding; at the limit the
    same file is refused only for what its payload lacks, never for its size."""
    data = encoded(name, size, [0, 1, 1], **params)
    limit = loads(data)[1].symbol_limit()
    assert 0 < limit < MAX_SYMBOLS
    start = time.monotonic()
    with pytest.raises(ContainerError, match=rf"x\.csim: {limit + 1} symbols are over scheme '{name}''s limit "
                                             rf"of {limit} symbols per message"):
        loads(claiming(data, limit + 1), "x.csim")
    assert time.monotonic() - start < 1.0
    try:
        header, coder, bits = loads(claiming(data, limit), "x.csim")
    except ContainerError as exc:
        assert "limit" not in str(exc)


@pytest.mark.parametrize("scheme", [s.name for s in available()])
@pytest.mark.parametrize("size", [2, 300])
def test_every_scheme_refuses_one_symbol_over_its_limit(scheme, size):
    """Registry-wide: a file of any scheme claiming one symbol more than its coder's limit is refused,
    by the scheme's limit or, where that is the file's, from the fixed fields before the JSON."""
    params = {"k": 1} if scheme == "block-huffman" and size > 256 else {}  # 300^2 tuples: over its table
    params = {"bits": 9} if scheme == "tunstall" and size > 256 else params  # 2^8 words hold 256 symbols
    data = encoded(scheme, size, [0, 1, 1], **params)
    limit = loads(data)[1].symbol_limit()
    if limit == MAX_SYMBOLS:
        match = f"symbol count {limit + 1} is over the limit of {MAX_SYMBOLS}"
    else:
        match = f"{limit + 1} symbols are over scheme '{scheme}''s limit of {limit} symbols per message"
    with pytest.raises(ContainerError, match=match):
        loads(claiming(data, limit + 1), "x.csim")


def test_the_limits_are_the_documented_ones():
    """The README's table: symbols per message by scheme and parameters (checked against the coders)."""
    limit = lambda name, k=8, **params: build(name, np.full(k, 1.0 / k), **params).symbol_limit()
    assert limit("huffman") == limit("block-huffman", k=3) == MAX_SYMBOLS == 1 << 24
    assert limit("arithmetic", precision=32) == 1 << 20
    assert limit("rans", lanes=1) == limit("rans") == limit("rans", lanes=65536) == 1 << 22
    assert limit("adaptive-arithmetic", k=256) == 1 << 20 and limit("adaptive-arithmetic", k=257) == 1 << 18
    assert limit("adaptive-huffman", k=64) == 1 << 20 and limit("adaptive-huffman", k=1024) == 1 << 16
    assert limit("adaptive-huffman", k=65536) == 1 << 13


@pytest.mark.parametrize("scheme", [s.name for s in available()])
def test_every_scheme_codes_a_default_block_within_the_files_limit(scheme):
    """A run's default block of 2^22 symbols is within the limits of the prefix codes and rans at their
    default parameters (for alphabets up to 64 symbols), so they code a block as one message; the
    others code it as messages of their limit. No limit is over the file's."""
    for k in (2, 64):
        coder = build(scheme, np.full(k, 1.0 / k))
        assert coder.symbol_limit() <= MAX_SYMBOLS
        if isinstance(coder, PrefixCode) or scheme == "rans":
            assert BLOCK <= coder.symbol_limit()


def test_the_writer_refuses_what_the_reader_would():
    coder = build("rans", [0.5, 0.5], lanes=1)
    with pytest.raises(ContainerError, match=r"cannot write a \.csim file: 4194305 symbols are over scheme "
                                             r"'rans''s limit of 4194304 symbols per message"):
        dumps(coder, bitarray(64), (1 << 22) + 1, ["a", "b"])


def test_a_file_at_the_limit_decodes_and_one_over_is_refused_by_decode_and_inspect(tmp_path):
    """adaptive-huffman over 65536 symbols, the slowest decoder per symbol, holds 8192 symbols: a file
    of exactly that many, all distinct (its worst case: the tree grows with every symbol), decodes
    within the ten-second promise; the same file claiming one more is refused by decode and inspect in a
    fraction of a second."""
    limit = 1 << 13
    stream = np.random.default_rng(3).permutation(1 << 16)[:limit].astype(np.uint16)
    data = encoded("adaptive-huffman", 1 << 16, stream)
    ok, over = tmp_path / "ok.csim", tmp_path / "over.csim"
    ok.write_bytes(data)
    over.write_bytes(claiming(data, limit + 1))
    outcome = run_cli("decode", ok, "-o", tmp_path / "ok.txt", timeout=30)
    assert outcome.exit_code == 0 and outcome.seconds < 10, (outcome.stderr, outcome.seconds)
    assert (tmp_path / "ok.txt").read_text().split() == [str(s) for s in stream.tolist()]
    for args in (["decode", over, "-o", tmp_path / "over.txt"], ["inspect", over]):
        outcome = run_cli(*args, timeout=20)
        assert_refused(outcome, f"{limit + 1} symbols are over scheme 'adaptive-huffman''s limit of {limit}",
                       max_seconds=5)
    assert not (tmp_path / "over.txt").exists()


def test_a_stream_longer_than_a_schemes_limit_is_coded_as_messages_of_the_limit():
    """code_message (run, converge, sweep) clamps a block to the coder's limit: the bits are those of
    the consecutive messages."""
    coder = build("huffman", [0.5, 0.3, 0.2])
    coder.symbol_limit = lambda: 100
    stream = np.random.default_rng(1).integers(0, 3, 250).astype(np.uint8)
    bits, ok = code_message(coder, stream)[:2]
    assert ok and bits == sum(len(coder.encode(stream[lo : lo + 100])) for lo in (0, 100, 200))
    adaptive = build("adaptive-arithmetic", [0.5, 0.5])
    adaptive.symbol_limit = lambda: 100
    whole = len(adaptive.encode(np.zeros(250, dtype=np.uint8)))
    assert code_message(adaptive, np.zeros(250, dtype=np.uint8))[0] > whole  # three messages learn afresh


# -- labels, meta, header --------------------------------------------------------------------------------


def nasa_with(change) -> bytes:
    return layout.with_header(layout.NASA_FILE, change)


def test_the_longest_label_is_bounded():
    def labels(longest):
        return lambda h: h["alphabet"].__setitem__(2, "x" * longest)

    loads(nasa_with(labels(MAX_LABEL_CHARS)))
    with pytest.raises(ContainerError, match=rf"field 'alphabet' entry 3 is \"xxx.*: {MAX_LABEL_CHARS + 1} "
                                             rf"characters, over the limit of {MAX_LABEL_CHARS} for one label"):
        loads(nasa_with(labels(MAX_LABEL_CHARS + 1)))
    with pytest.raises(ContainerError, match="entry 1 is an integer of 400 digits, over the limit of 40"):
        loads(nasa_with(lambda h: h["alphabet"].__setitem__(0, int("1234" * 100))))
    with pytest.raises(ContainerError, match="cannot write.*over the limit of 256 for one label"):
        coder = build("huffman", [0.5, 0.5])
        dumps(coder, coder.encode(np.array([0])), 1, ["a", "b" * 300])


def test_the_labels_total_size_is_bounded():
    """16 characters per label over the largest alphabet: a few-KB file cannot make every copy of its
    alphabet (and each chunk of decoded labels) take megabytes per symbol."""
    k = MAX_ALPHABET_CHARS // MAX_LABEL_CHARS + 1
    coder = build("fixed", np.full(k, 1.0 / k))

    def labels(last):
        return [f"{i:0{MAX_LABEL_CHARS}d}" for i in range(k - 1)] + ["y" * last]

    exact = MAX_ALPHABET_CHARS - (k - 1) * MAX_LABEL_CHARS
    dumps(coder, coder.encode(np.array([0])), 1, labels(exact))
    with pytest.raises(ContainerError, match=rf"alphabet has over {MAX_ALPHABET_CHARS} characters of labels "
                                             rf"\(the limit, at entry {k}\)"):
        dumps(coder, coder.encode(np.array([0])), 1, labels(exact + 1))


def test_meta_is_bounded():
    text = "m" * (MAX_META_CHARS - len('{"note":""}'))
    loads(nasa_with(lambda h: h.__setitem__("meta", {"note": text})))
    with pytest.raises(ContainerError, match=rf"field 'meta' takes {MAX_META_CHARS + 1} characters of JSON, "
                                             rf"over the limit of {MAX_META_CHARS}"):
        loads(nasa_with(lambda h: h.__setitem__("meta", {"note": text + "m"})))


def test_coder_params_are_bounded_even_in_a_damaged_header():
    """inspect shows a header's params when its CRC fails and nothing else is checked: they are bounded
    as meta is."""
    def huge(h):
        h["coder"]["params"] = {"x": [[]] * MAX_META_CHARS}

    data = nasa_with(huge)
    header_end = 32 + int.from_bytes(data[12:16], "little")
    damaged = data[:header_end] + bytes(4) + data[header_end + 4 :]
    for bad in (data, damaged):
        with pytest.raises(ContainerError, match=r"field 'coder.params' takes \d+ characters of JSON, over the "
                                                 rf"limit of {MAX_META_CHARS}"):
            container.parse(bad)


@pytest.mark.parametrize("command", [["decode", "-o", "out.txt"], ["inspect", "--format", "json"]])
def test_a_header_at_the_size_limit_made_of_small_objects_is_refused_within_bounds(tmp_path, command):
    """8 MiB of empty lists in meta (about 2.8 million objects for the JSON parser): refused by the meta
    limit in about a second and a few hundred MB, not printed."""
    lists = (container.MAX_HEADER_BYTES - 200) // 3
    raw = ('{"coder":{"scheme":"huffman","params":{},"lengths":[1,1]},"alphabet":["a","b"],"meta":{"m":['
           + ",".join(["[]"] * lists) + "]}}").encode()
    assert len(raw) <= container.MAX_HEADER_BYTES
    path = tmp_path / "lists.csim"
    path.write_bytes(layout.assemble(raw, b"\0", 1, 1))
    outcome = run_cli(command[0], path, *command[1:], cwd=tmp_path, timeout=30)
    assert_refused(outcome, "lists.csim: field 'meta' takes", max_seconds=8, max_mb=500)
    assert files_in(tmp_path) == {"lists.csim"}


@pytest.mark.parametrize("scheme", ["huffman", "shannon"])
def test_inspecting_the_largest_header_is_bounded(tmp_path, scheme):
    """65536 labels of 16 four-byte characters with q, p and a long meta: the largest alphabet with the
    most label text the limits allow inspects as JSON in seconds and a few hundred MB; with "shannon",
    every codeword 256 bits long (the longest code table to show) and no symbols."""
    k = 1 << 16
    rng = np.random.default_rng(2)
    q, p = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))
    coder = build("huffman", q) if scheme == "huffman" else PrefixCode([256] * k, "shannon")
    stream = rng.integers(0, k, 100 if scheme == "huffman" else 0)
    labels = [chr(0x10000 + i % 50000) * 12 + f"{i:04x}" for i in range(k)]
    data = dumps(coder, coder.encode(stream), stream.size, labels, model=q, source=p,
                 meta={"note": "x" * (MAX_META_CHARS - 20)})
    assert len(data) < container.MAX_HEADER_BYTES
    path = tmp_path / "big.csim"
    path.write_bytes(data)
    outcome = run_cli("inspect", path, "--format", "json", timeout=60)
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.seconds < 10 and outcome.peak_mb < 700, (outcome.seconds, outcome.peak_mb)
    assert len(json.loads(outcome.stdout)["table"]) == k
    if scheme == "huffman" and importlib.util.find_spec("matplotlib"):
        # Drawn as steps past a readable number of bars: 65536 bars took 50 s and 800 MB.
        outcome = run_cli("inspect", path, "--plot", tmp_path / "code.png", timeout=60)
        assert outcome.exit_code == 0, outcome.stderr
        assert outcome.seconds < 10 and outcome.peak_mb < 700, (outcome.seconds, outcome.peak_mb)


def test_the_annotated_view_is_bounded_and_its_worst_case_is_quick(tmp_path):
    """An arithmetic row holds every bit emitted so far, so rows grow with the stream (10^5 of them took
    24 GB): --symbols is refused past MAX_TRACE_SYMBOLS, and at it the costliest rows (precision 32 over
    65536 symbols, up to 32 bits each) print in seconds."""
    k = 1 << 16
    q = np.random.default_rng(1).dirichlet(np.full(k, 0.01))
    coder = build("arithmetic", q, precision=32)
    stream = np.random.default_rng(2).integers(0, k, MAX_TRACE_SYMBOLS + 10)
    path = tmp_path / "a.csim"
    path.write_bytes(dumps(coder, coder.encode(stream), stream.size, list(range(k)), model=q))
    assert_one_line_error(invoke("inspect", path, "-k", MAX_TRACE_SYMBOLS + 1), 2,
                          f"'--symbols' / '-k': {MAX_TRACE_SYMBOLS + 1} is not in the range 0<=x<={MAX_TRACE_SYMBOLS}")
    with pytest.raises(CodesimError, match=f"shows 0 to {MAX_TRACE_SYMBOLS} symbols, not 10000"):
        inspect_file(str(path), 10_000)
    for fmt in ("text", "json"):
        outcome = run_cli("inspect", path, "-k", MAX_TRACE_SYMBOLS, "--format", fmt, keep_stdout=False, timeout=60)
        assert outcome.exit_code == 0, outcome.stderr
        # 520 MB: about 300 for the rows and the process, 115 for numba, which decoding the file loads
        assert outcome.seconds < 10 and outcome.peak_mb < 520, (outcome.seconds, outcome.peak_mb)


@pytest.mark.parametrize("scheme, size, params", [("ctw", 1 << 16, {"depth": 32}), ("lz78", 1 << 16, {})])
def test_the_annotated_view_of_a_learner_is_quick_at_the_most_symbols(tmp_path, scheme, size, params):
    """A learner's cost of symbol i depends on every symbol before it: the view of MAX_TRACE_SYMBOLS
    symbols is worked out in one pass over them (as prefixes one by one, ctw's took 30 s compiled, and
    minutes in Python, at depth 32)."""
    stream = np.random.default_rng(3).integers(0, size, MAX_TRACE_SYMBOLS + 10)
    path = tmp_path / "learner.csim"
    path.write_bytes(encoded(scheme, size, stream, **params))
    outcome = run_cli("inspect", path, "-k", MAX_TRACE_SYMBOLS, "--format", "json", timeout=60)
    assert outcome.exit_code == 0, outcome.stderr
    assert len(json.loads(outcome.stdout)["trace"]) == MAX_TRACE_SYMBOLS
    assert outcome.seconds < 10 and outcome.peak_mb < 700, (outcome.seconds, outcome.peak_mb)


# -- sizes on the command line and in scenarios ----------------------------------------------------------


@pytest.mark.parametrize("args, code, match", [
    (["sample", NASA, "-n", "1e10", "-o", "{out}"], 2, f"--length 10000000000 is over the limit of {MAX_SYMBOLS}"),
    (["bench", "-n", "1e10", "--scheme", "huffman"], 2, "--length 10000000000 is over the limit of 1e+08"),
    (["encode", NASA, "--model", "uniform", "-n", str(MAX_SYMBOLS + 1), "-o", "{out}"], 2,
     f"--length {MAX_SYMBOLS + 1} is over"),
    (["encode", NASA, "--model", "uniform", "--scheme", "arithmetic", "-n", str((1 << 20) + 1), "-o", "{out}"], 2,
     "--length 1048577: a .csim file cannot hold it: 1048577 symbols are over scheme 'arithmetic''s limit"),
    (["converge", NASA, "--lengths", ",".join(map(str, range(1, MAX_LENGTHS + 2)))], 2,
     f"{MAX_LENGTHS + 1} lengths, over the limit of {MAX_LENGTHS}"),
    (["converge", NASA, "--lengths", "10,1e12"], 1, "length 1000000000000 is over the limit of 1e+11"),
    (["converge", NASA, "--lengths", "10,inf"], 2, "'--lengths': '10,inf' holds a number that is not finite"),
    (["sweep", NASA, "--mix", "0:1:1000000000"], 2, "the count must be from 1 to 1001, got 1000000000"),
    (["sweep", NASA, "--mix", "0:1:" + "9" * 5000], 2, "got a 5000-digit number"),
    (["sweep", NASA, "--param", "k=" + ",".join(["2"] * (MAX_PARAM_VALUES + 1))], 2,
     f"parameter sweep k: {MAX_PARAM_VALUES + 1} values, over the limit of {MAX_PARAM_VALUES}"),
    (["sweep", NASA, "--mix", "0:1:1001", "--scheme", "block-huffman", "--param", "k=" + ",".join(["1", "2"] * 10)], 1,
     "1001 mix values x 20 scheme variants = 20020 points per model, over the limit of 10000"),
    (["run", NASA, "-n", "1e7", "--block", "1", "--scheme", "huffman"], 1,
     f"block 1 cuts a stream of 10000000 symbols into 10000000 blocks, over the limit of {MAX_BLOCKS:.0e}"),
    (["converge", NASA, "-n", "1e7", "--block", "2", "--scheme", "huffman"], 1, "into 5000000 blocks"),
    (["run", NASA, "-n", "1e9", "--trials", "101", "--scheme", "huffman"], 1,
     f"length 1000000000 x trials 101 = 101000000000 symbols is over the limit of {MAX_LENGTH:.0e}"),
    (["run", NASA, "--trials", "100000", "-j", "100000"], 2,
     f"'--jobs' / '-j': jobs 100000 is over the limit of {MAX_JOBS} processes"),
    (["report", NASA, "-j", str(MAX_JOBS + 1), "-o", "{out}"], 2, f"jobs {MAX_JOBS + 1} is over the limit"),
    (["converge", NASA, "--scheduler", "local", "-j", str(MAX_JOBS + 1)], 2, f"jobs {MAX_JOBS + 1} is over the limit"),
])
def test_sizes_are_refused_before_the_work(tmp_path, args, code, match):
    out = tmp_path / "out"
    result = invoke(*[a.replace("{out}", str(out)) for a in args])
    assert_one_line_error(result, code, match)
    assert result.seconds < 5, result.seconds  # well within the general bound: nothing was started
    assert files_in(tmp_path) == set()


@pytest.mark.parametrize("args, code", [
    (["run", NASA, "-n", "1e308"], 1), (["run", NASA, "--trials", "1e308"], 1), (["bench", "-n", "1e308"], 2),
    (["converge", NASA, "--lengths", "10,1e308"], 1), (["sample", NASA, "-n", "1e308", "-o", "-"], 1),
    (["encode", NASA, "--model", "uniform", "-n", "1e308", "-o", "{out}"], 1),
])
def test_a_number_at_the_float_limit_is_named_as_written_not_in_its_309_digits(tmp_path, args, code):
    result = invoke(*[a.replace("{out}", str(tmp_path / "out")) for a in args])
    assert_one_line_error(result, code, " 1e+308 is over the limit of ")
    assert len(result.stderr) < 250, result.stderr
    assert files_in(tmp_path) == set()


def test_a_whole_number_past_a_doubles_range_is_named_by_its_size():
    from codesim import run

    with pytest.raises(CodesimError, match="length an integer of 1329 bits is over the limit") as refused:
        run(NASA, length=10**400)
    assert len(str(refused.value)) < 250


@pytest.mark.parametrize("models, schemes, command", [
    (1000, ["huffman"], "run"),        # a model each, over a small alphabet: the pair tables
    (600, ["huffman"], "compare"),
    (1, ["huffman"] * 600, "converge"),  # one task's schemes
    (1, ["block-huffman:k=16"] * 40, "sweep"),  # 2^16 tuples each
])
def test_codes_held_at_once_are_bounded_before_any_is_built(tmp_path, models, schemes, command):
    probs = ",".join(["0.5", "0.5"])
    if command == "compare":
        args = ["compare", "--p", probs, *[a for _ in range(models) for a in ("--q", probs)]]
    else:
        text = 'alphabet = ["a", "b"]\n[source]\nprobs = [0.5, 0.5]\n' + "".join(
            f"[models.m{i}]\nuniform = true\n" for i in range(models))
        (tmp_path / "many.toml").write_text(text)
        args = [command, tmp_path / "many.toml", *(["--mix", "0"] if command == "sweep" else [])]
    result = invoke(*args, "-n", 10, "--trials", 1, "-q", *[a for s in schemes for a in ("--scheme", s)])
    each = 1 << 16 if "k=16" in schemes[0] else MIN_CODE_ENTRIES
    assert_one_line_error(result, 1, f"codes held at once, with {models * len(schemes) * each} table entries")
    assert "over the limit of 2097152" in result.stderr and result.stdout == ""
    assert result.seconds < 5 and result.peak_mb < 50, (result.seconds, result.peak_mb)


@pytest.mark.parametrize("models, labels, mix, match", [
    (200, 2, "0:1:1001", "200 models x 1001 mix values x 1 scheme variants = 200200 points, over the limit of 100000"),
    (2, 65536, "0:1:1001", "2 models x 1001 mix values are 2002 distributions over 65536 symbols, 131203072 "
                           "values, over the limit of 16777216"),
])
def test_a_sweep_over_many_models_is_bounded_in_all(tmp_path, models, labels, mix, match):
    text = (f"alphabet = [{', '.join(map(str, range(labels)))}]\n[source]\nuniform = true\n"
            + "".join(f"[models.m{i}]\nuniform = true\n" for i in range(models)))
    (tmp_path / "many.toml").write_text(text)
    result = invoke("sweep", tmp_path / "many.toml", "--mix", mix, "-n", 10, "--trials", 1, "-q",
                    "--scheme", "arithmetic")
    assert_one_line_error(result, 1, match)
    assert result.stdout == ""


@pytest.mark.parametrize("models, labels, match", [
    (MAX_MODELS + 1, 2, f"[models] has {MAX_MODELS + 1} models, over the limit of {MAX_MODELS}"),
    (257, 65536, "[models] has 257 models over 65536 symbols, 16842752 probabilities, over the limit of 16777216"),
])
def test_a_scenarios_models_are_bounded_before_any_is_made(tmp_path, models, labels, match):
    path = tmp_path / "many.toml"
    path.write_text(f"alphabet = [{', '.join(map(str, range(labels)))}]\n[source]\nuniform = true\n"
                    + "".join(f"[models.m{i}]\nuniform = true\n" for i in range(models)))
    for command in (["run"], ["sample", "-o", tmp_path / "out.txt"]):
        result = invoke(command[0], path, *command[1:])
        assert_one_line_error(result, 1, f"{path}: {match}")
    assert files_in(tmp_path) == {"many.toml"}


def test_the_largest_alphabet_takes_two_models_with_every_scheme_that_serves_it():
    """Schemes that learn are built once each, not once per model, and those without a table per symbol
    (ctw's context trees, a dictionary, a compressor: built per message) count nothing."""
    every = select([ALL], 65536)[0]
    learning = sum(map(learns, every))
    assert learning >= 3
    check_codes(every, 65536, 2)
    codes = 3 * (len(every) - learning) + learning
    with pytest.raises(CodesimError, match=rf"3 models x {len(every)} schemes over 65536 symbols make {codes} codes "
                                           r"held at once \(a scheme that learns is built once\)"):
        check_codes(every, 65536, 3)


def test_the_library_refuses_more_processes_than_the_limit():
    p = Distribution.from_probs([0.5, 0.5])
    for call in (lambda: check_jobs(MAX_JOBS + 1),
                 lambda: simulate_many(p, {"q": p}, ["huffman"], length=10, trials=MAX_JOBS + 1, seed=1,
                                       jobs=MAX_JOBS + 1)):
        with pytest.raises(CodesimError, match=f"jobs {MAX_JOBS + 1} is over the limit of {MAX_JOBS} processes"):
            call()


def test_a_scenarios_length_over_the_whole_stream_limit_names_the_file(tmp_path):
    scenario = tmp_path / "long.toml"
    scenario.write_text('alphabet = ["a", "b"]\n[source]\nprobs = [0.5, 0.5]\n[models.q]\nuniform = true\n'
                        "[run]\nlength = 1e9\n")
    result = invoke("sample", scenario, "-o", tmp_path / "x.txt")
    assert_one_line_error(result, 1, f"{scenario}: [run] length 1000000000 is over the limit of {MAX_SYMBOLS}")
    assert files_in(tmp_path) == {"long.toml"}


@pytest.mark.parametrize("samples", ["1e30", "1000000001"])
def test_estimate_samples_are_bounded(tmp_path, samples):
    scenario = tmp_path / "est.toml"
    scenario.write_text('alphabet = ["a", "b"]\n[source]\nprobs = [0.5, 0.5]\n'
                        f"[models.q]\nestimate = {{ samples = {samples}, seed = 1 }}\n")
    result = invoke("run", scenario, "-n", "100", "--scheme", "huffman")
    assert_one_line_error(result, 1, "[models.q.estimate] samples")
    assert "over the limit of 1e+09" in result.stderr and result.seconds < 5


def test_a_high_order_estimate_from_many_samples_is_refused_before_counting(tmp_path):
    """Order 20 from 10^9 samples counts 2.1*10^10 contexts (minutes): refused at once, by name."""
    scenario = tmp_path / "est.toml"
    scenario.write_text('alphabet = ["a", "b"]\n[source]\nmarkov = { transitions = [[0.8, 0.2], [0.3, 0.7]] }\n'
                        "[models.q]\nestimate = { samples = 1e9, order = 20, seed = 1 }\n")
    result = invoke("run", scenario, "-n", "100", "--scheme", "huffman")
    assert_one_line_error(result, 1, "[models.q.estimate] samples: 1000000000 samples at order 20 count "
                          "21000000000 contexts")
    assert "over the limit of 2e+09" in result.stderr and result.seconds < 5


def test_out_of_memory_is_one_line(tmp_path):
    """A last resort: sizes within their limits that this machine cannot hold end as one line."""
    outcome = run_cli("bench", "-n", MAX_SYMBOLS, "--scheme", "rans", "--no-peers", "--source", "zipf256",
                      address_space_mb=200, timeout=60, cwd=tmp_path)
    assert_refused(outcome, "out of memory in 'codesim bench'", max_seconds=30, max_mb=250)
    assert files_in(tmp_path) == set()


def test_bench_refuses_more_work_than_its_limit_before_drawing_a_stream():
    from codesim.simulation.bench import MAX_BENCH_SYMBOLS

    lengths = ["-n", "1e7"] * 20 + ["-n", "2e7"]  # 2.2 * 10^8 symbols a scheme and source
    result = invoke("bench", *lengths, "--scheme", "huffman", "--repeats", 10, "--no-peers")
    assert_one_line_error(result, 1, f"bench would time {22 * 10**7 * 10 * 2} symbols")
    assert f"over the limit of 2^32 = {MAX_BENCH_SYMBOLS}" in result.stderr
    assert result.seconds < 2
