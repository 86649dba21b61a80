"""The coder contract: every registered scheme's coder checks its own configs, bounds its own payloads, gives
its own rows for inspect and names its own bench peers, so the file container, inspection and bench know no
scheme and no coder class."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import codesim
from codesim.coders import Coder, available, build, check_config, get
from codesim.coders.block import BlockCode
from codesim.coders.lz78 import LZ78Coder
from codesim.coders.tunstall import TunstallCode
from codesim.coders.config import MAX_TABLE_ENTRIES
from codesim.errors import ConfigError, SchemeError
from codesim.simulation import bench

from ..conftest import NASA_LEVELS, NASA_P, prob_vectors
from .test_schemes import params_for

NAMES = [s.name for s in available()]
PACKAGE = Path(codesim.__file__).resolve().parent
#: The modules that must ask coders instead of knowing them.
GENERIC = ["files/container.py", "files/inspection.py", "simulation/bench.py", "present/report.py"]


def _strings(tree: ast.AST) -> list[str]:
    """Every string constant of a module's code, docstrings left out (they may show an example)."""
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


def _imported(tree: ast.AST, module: str) -> list[tuple[str, object]]:
    """(name, object) of everything a module imports from codesim's packages."""
    out = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level \
                else node.module
            if source.startswith("codesim"):
                mod = importlib.import_module(source)
                out += [(f"{source}.{alias.name}", getattr(mod, alias.name, None)) for alias in node.names]
        elif isinstance(node, ast.Import):
            out += [(alias.name, importlib.import_module(alias.name)) for alias in node.names
                    if alias.name.startswith("codesim")]
    return out


@pytest.mark.parametrize("path", GENERIC)
def test_the_generic_modules_name_no_scheme_and_import_no_coder_class(path):
    """Adding a coder family touches none of them: no registered scheme's name appears in their code (as a
    string or quoted inside one), and nothing they import is a coder class or a coder family's module."""
    module = "codesim." + path[:-3].replace("/", ".")
    tree = ast.parse((PACKAGE / path).read_text())
    for text in _strings(tree):
        for name in NAMES:
            assert text != name and f"'{name}'" not in text and f'"{name}"' not in text, (path, text)
    families = {type(build(name, [0.5, 0.5])).__module__ for name in NAMES} | {"codesim.coders.prefix"}
    for name, obj in _imported(tree, module):
        assert not (isinstance(obj, type) and issubclass(obj, Coder) and obj is not Coder), (path, name)
        assert getattr(obj, "__name__", None) not in families and name not in families, (path, name)


def test_the_source_check_can_fail():
    """The checker sees a scheme name and a coder class where a module has them."""
    tree = ast.parse("from codesim.coders.prefix_code import PrefixCode\nKINDS = {'huffman': 1}\n")
    assert "huffman" in _strings(tree)
    assert any(obj is importlib.import_module("codesim.coders.prefix_code").PrefixCode
               for _, obj in _imported(tree, "codesim.files.container"))


@pytest.mark.parametrize("name", NAMES)
def test_every_scheme_names_the_coder_class_that_checks_its_configs(name):
    assert get(name).coder is not None and issubclass(get(name).coder, Coder)


@pytest.mark.parametrize("name", NAMES)
@given(q=prob_vectors(max_size=12), data=st.data())
@settings(max_examples=25, deadline=None)
def test_every_coder_accepts_its_own_config_and_its_stream_keeps_to_its_bounds(name, q, data):
    """check_config passes what get_config writes; a stream's bits lie within bit_bounds, where a code has
    them; the table has a row per symbol, and the trace a row per unit up to the limit, its running ideal
    adding up the ideal lengths of the symbols it shows; the coder declares exactly the columns of its rows
    (inspect shows the declared ones: a column left out would be lost)."""
    coder = build(name, q, **params_for(name, data))
    check_config(coder.get_config(), q.size)
    n = data.draw(st.integers(0, 200), label="n")
    stream = np.random.default_rng(n).integers(0, q.size, n)
    bits = coder.encode(stream)
    bounds = coder.bit_bounds(n)
    assert bounds is None or bounds[0] <= len(bits) <= bounds[1]
    labels = [f"s{i}" for i in range(q.size)]
    rows = coder.table_rows(labels, q, None)
    assert all(row.keys() == {key for key, *_ in coder.table_columns} - {"p"} for row in rows)
    assert [row["symbol"] for row in rows] == labels
    assert all(row["ideal_bits"] == (-math.log2(p) if p > 0 else math.inf) for row, p in zip(rows, q.tolist()))
    limit = data.draw(st.integers(0, 30), label="limit")
    trace = coder.trace_rows(stream, labels, q, limit, bits)
    order = stream
    if isinstance(coder, BlockCode):  # the leftover symbols are coded first, then the tuples
        whole = n - n % coder.k
        order = np.concatenate([stream[whole:], stream[:whole]])
    units = n // coder.k + n % coder.k if isinstance(coder, BlockCode) else n
    units = coder.parse(stream)[0].size if isinstance(coder, LZ78Coder) else units  # a row per phrase
    units = len(bits) // coder.bits if isinstance(coder, TunstallCode) else units  # a row per word
    assert len(trace) == min(limit, units)
    assert all(row.keys() == {key for key, *_ in coder.trace_columns} for row in trace)
    if trace:
        shown = sum(len(row.get("symbols", [None])) for row in trace)
        with np.errstate(divide="ignore"):
            ideal = float(np.sum(-np.log2(q[order[:shown]])))
        assert trace[-1]["total_ideal"] == pytest.approx(ideal)


@pytest.mark.parametrize("name", NAMES)
def test_every_coder_refuses_a_version_it_does_not_read(name):
    coder = build(name, NASA_P)
    config, newer = coder.get_config(), max(coder.versions) + 1
    reads = ", ".join(map(str, coder.versions))
    with pytest.raises(ConfigError, match=rf"field 'coder.version' is {newer}: scheme '{name}' reads version "
                                          rf"{reads} \(written by a newer codesim\?\)"):
        check_config({**config, "version": newer}, 8)
    with pytest.raises(ConfigError, match="field 'coder.version' is 1, which a config says") as info:
        check_config({**config, "version": 1}, 8)
    assert info.value.corrupt


@pytest.mark.parametrize("name", NAMES)
def test_every_coder_refuses_a_missing_or_foreign_field(name):
    config = build(name, NASA_P).get_config()
    table = next(key for key in config if key not in ("scheme", "params"))
    with pytest.raises(ConfigError, match=f"field 'coder.{table}' is missing") as info:
        check_config({k: v for k, v in config.items() if k != table}, 8)
    assert info.value.corrupt
    with pytest.raises(ConfigError, match=f"field 'coder.extra' is not part of a '{name}' config"):
        check_config({**config, "extra": 1}, 8)


@pytest.mark.parametrize("name", ["adaptive-arithmetic", "adaptive-huffman"])
def test_a_learning_coder_checks_its_alphabet_size(name):
    config = build(name, NASA_P).get_config()
    with pytest.raises(ConfigError, match="field 'coder.size' is 8, but the alphabet has 7 labels"):
        check_config(config, 7)
    with pytest.raises(ConfigError, match="field 'coder.size' is 8.0: an integer"):
        check_config({**config, "size": 8.0}, 8)


def test_an_unknown_scheme_is_named_in_the_field():
    with pytest.raises(ConfigError, match=r"field 'coder.scheme': unknown scheme 'hufman' \(did you mean"):
        check_config({"scheme": "hufman", "params": {}, "lengths": [1, 1]}, 2)


@pytest.mark.parametrize("name", NAMES)
def test_every_coder_s_bench_peers_are_peers_bench_runs(name):
    assert set(build(name, NASA_P).bench_peers) <= set(bench.PEERS)


def test_prefix_stream_and_block_coders_keep_their_peers():
    """The bitarray peer for every prefix code, constriction beside rans and arithmetic, none for block codes."""
    peers = {name: build(name, NASA_P).bench_peers for name in NAMES}
    assert peers["huffman"] == peers["fixed"] == peers["huffman-limited"] == ("bitarray",)
    assert peers["rans"] == ("constriction ans",) and peers["arithmetic"] == ("constriction range",)
    assert peers["block-huffman"] == ()


@pytest.mark.parametrize("name", NAMES)
def test_a_coder_with_the_bitarray_peer_gives_it_codewords_and_others_refuse(name):
    """The bitarray peer asks the contract for each symbol's codeword and for the bits before them: a code
    whose short stream is its codewords one after another gives both, a code without codewords says so."""
    coder = build(name, NASA_P)
    stream = np.random.default_rng(0).choice(8, size=40, p=NASA_P)
    bits = coder.encode(stream)
    if "bitarray" in coder.bench_peers:
        assert coder.jump_table_bits(bits, stream.size) == 0
        assert bits.to01() == "".join(coder.codeword(s) for s in stream.tolist())
    else:
        with pytest.raises(SchemeError, match=f"scheme '{name}' gives no symbol a codeword"):
            coder.codeword(0)


@pytest.mark.parametrize("name", NAMES)
@given(value=st.integers(-(2**70), 2**70) | st.sampled_from([0, 1, 15, 16, 32, 33, 256, 257, 65536, 65537]))
@settings(max_examples=60, deadline=None)
def test_a_file_s_parameter_and_a_command_line_s_meet_the_same_bounds(name, value):
    """One bound check: Param.strict (a file's JSON) accepts an integer exactly when Param.convert (the
    command line, a scenario) does."""
    for param in get(name).params:
        try:
            param.convert(name, value)
            converts = True
        except SchemeError:
            converts = False
        try:
            param.strict(name, value)
            strict = True
        except ConfigError:
            strict = False
        assert strict == converts, (param.name, value)


def test_a_table_longer_than_any_coder_builds_is_refused_before_its_entries_are_read():
    with pytest.raises(ConfigError, match=f"has {MAX_TABLE_ENTRIES + 1} entries, over the limit"):
        check_config({"scheme": "huffman", "params": {}, "lengths": [None] * (MAX_TABLE_ENTRIES + 1)}, 8)


def test_inspect_rows_of_a_huffman_code():
    """The shape inspect prints: codeword and length per symbol; per symbol its codeword and where it starts."""
    code = build("huffman", NASA_P)
    rows = code.table_rows(NASA_LEVELS, np.array(NASA_P), None)
    assert rows[1] == {"symbol": 105, "q": 0.4, "codeword": "0", "length": 1, "ideal_bits": -math.log2(0.4)}
    stream = np.array([1, 0, 1])
    trace = code.trace_rows(stream, NASA_LEVELS, np.array(NASA_P), 5, code.encode(stream))
    assert [(row["position"], row["codeword"]) for row in trace] == [(0, "0"), (1, "10"), (3, "0")]
    assert trace[-1]["total_bits"] == 4.0 and trace[-1]["excess"] == pytest.approx(4 - trace[-1]["total_ideal"])


def test_a_scheme_whose_configs_no_coder_class_would_check_is_refused_at_registration():
    from codesim.coders.registry import Scheme, register

    huffman = get("huffman")
    loose = Scheme(name="loose-huffman", summary="restored by a plain function", build=huffman.build,
                   restore=lambda config: huffman.restore(config))
    with pytest.raises(ValueError, match="restore must be a Coder class's from_config"):
        register(loose)
    assert "loose-huffman" not in [s.name for s in available()]
