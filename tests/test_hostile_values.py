"""Hostile values: numbers at the edges of double precision, strings and booleans where numbers belong,
structure at the edges (deep nesting, lone surrogates, null, 1e999, huge integers) in scenarios and in
.csim headers, messages that name the place, and block codes whose bits do not depend on --block.

Every refusal is one line on stderr naming the file and the key or field, with exit 1 (2 for a misused
command line), no traceback and no warning; what is accepted is accepted exactly, never coerced.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from codesim.sources import continuous
from codesim.coders import SchemeSpec, available
from codesim.files.container import MAX_INTEGER_DIGITS, MAX_JSON_DEPTH, parse
from codesim.sources.iid import Distribution
from codesim.errors import CodesimError
from codesim.sources.estimate import smoothed
from codesim.scenario import MAX_DEPTH, load
from codesim.simulation.simulate import simulate_many

from .conftest import SCENARIOS
from .hostile import assert_one_line_error, assert_refused, files_in, invoke, run_cli
from .files.test_container import NASA_FILE, assemble, split

NASA = str(SCENARIOS / "nasa-temperature.toml")
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

TWO = """alphabet = ["a", "b"]
[source]
probs = [0.5, 0.5]
[models.q]
probs = [0.25, 0.75]
[run]
length = 50
trials = 1
seed = 1
"""
BETA = """[source]
beta = { a = 2, b = 3 }
[models.q]
beta = { a = 3, b = 3 }
[quantise]
bins = 8
[run]
length = 50
trials = 1
seed = 1
"""
NORMAL = BETA.replace("beta = { a = 2, b = 3 }", "normal = { mean = 0, sd = 1 }").replace(
    "beta = { a = 3, b = 3 }", "normal = { mean = 1, sd = 2 }")



def scenario(tmp_path: Path, text: str, name: str = "s.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def refused_run(tmp_path, text: str, match: str, *args, code: int = 1) -> None:
    path = scenario(tmp_path, text)
    result = invoke("run", path, "-q", *args)
    assert_one_line_error(result, code, match)
    assert path in result.stderr or code == 2


# -- numbers at the edges ------------------------------------------------------------------------------


def test_probabilities_and_counts_near_the_largest_double(tmp_path):
    huge = TWO.replace("probs = [0.25, 0.75]", "probs = [1e308, 1e308]\nnormalise = true")
    result = invoke("run", scenario(tmp_path, huge), "-q", "--format", "json", "--scheme", "huffman")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["kl_bits"] == 0.0
    refused_run(tmp_path, TWO.replace("[0.25, 0.75]", "[1e308, 1e308]"),
                "[models.q] probs sum to more than the largest double, not 1")
    counts = TWO.replace("probs = [0.25, 0.75]", "counts = [1.7e308, 1.7e308]")
    assert invoke("run", scenario(tmp_path, counts), "-q", "--scheme", "huffman").exit_code == 0
    refused_run(tmp_path, TWO.replace("probs = [0.25, 0.75]", "counts = [1, " + "9" * 400 + "]"),
                "[models.q] counts entry 2 is an integer of 1329 bits: too large for a double")


@given(weights=st.lists(st.floats(0, 1), min_size=1, max_size=8).filter(lambda w: max(w) > 0),
       scale=st.floats(1e-300, 1e308))
@QUICK
def test_counts_at_any_scale_give_the_same_distribution(weights, scale):
    """Counts scaled by any factor (down to subnormal entries, up to a sum past the largest double)
    give the distribution of the unscaled counts, without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reference = Distribution.from_counts(weights).probs
        scaled = np.asarray(weights) * scale
        if scaled.max() == 0:
            return
        probs = Distribution.from_counts(scaled).probs
        # Entries that underflow to subnormals keep only their few significant bits.
        assert np.allclose(probs, reference, atol=1e-6 if scaled[scaled > 0].min() < 1e-290 else 1e-12)
        assert np.allclose(smoothed(scaled, scale), smoothed(weights, 1.0), atol=1e-6)


def test_negative_zero_is_zero():
    p = Distribution.from_probs([-0.0, 1.0])
    assert math.copysign(1.0, p.probs[0]) == 1.0
    assert continuous.Normal(-0.0, 1.0).mean == 0.0 and math.copysign(1.0, continuous.Normal(-0.0, 1).mean) == 1.0


@pytest.mark.parametrize("spec, match", [
    ("normal = { mean = 0, sd = 5e-324 }", "[source.normal] Normal sd is 4.94066e-324: codesim takes sd from 1e-150"),
    ("normal = { mean = 1e308, sd = 1 }", "[source.normal] Normal mean is 1e+308: codesim takes means from"),
    ("normal = { mean = 0, sd = 1e300 }", "[source.normal] Normal sd is 1e+300"),
    ("beta = { a = 1e308, b = 1e308 }", "[source.beta] Beta parameter a is 1e+308: codesim takes Beta parameters "
                                        "from 1e-300 to 1e+08"),
    ("beta = { a = 5e-324, b = 1 }", "[source.beta] Beta parameter a is 4.94066e-324"),
])
def test_continuous_parameters_beyond_what_double_precision_serves(tmp_path, spec, match):
    refused_run(tmp_path, BETA.replace("beta = { a = 2, b = 3 }", spec), match)


def test_a_huge_beta_is_refused_at_once_without_warnings(tmp_path):
    """In a real process, where a numpy RuntimeWarning would be printed (PYTHONWARNINGS=default)."""
    path = scenario(tmp_path, BETA.replace("beta = { a = 2, b = 3 }", "beta = { a = 1e308, b = 1e308 }"))
    outcome = run_cli("run", path, "-q")
    assert "Warning" not in outcome.stderr
    assert_refused(outcome, "Beta parameter a is 1e+308", max_seconds=10, max_mb=300)


@given(a=st.floats(5e-324, 1e308), b=st.floats(5e-324, 1e308), bins=st.integers(1, 40))
@QUICK
def test_any_beta_quantises_or_is_refused_without_a_warning(a, b, bins):
    """Every positive pair of parameters either quantises into a probability vector (no NaN, no
    negative mass) or is refused; nothing in between, and never a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            dist = continuous.Beta(a, b)
        except CodesimError:
            assert not continuous.MIN_BETA <= min(a, b) <= max(a, b) <= continuous.MAX_BETA
            return
        mass = continuous.quantise(dist, continuous.edges(dist, bins))
        assert np.all(mass >= 0) and math.isclose(mass.sum(), 1.0, rel_tol=1e-9)
        assert continuous.kl(dist, continuous.Beta(2, 2)) >= 0


@given(mean=st.floats(-1e308, 1e308), sd=st.floats(5e-324, 1e308),
       low=st.floats(-1e308, 1e308), width=st.floats(5e-324, 1e308), bins=st.integers(1, 40))
@QUICK
def test_any_normal_and_range_quantise_or_are_refused_without_a_warning(mean, sd, low, width, bins):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            dist = continuous.Normal(mean, sd)
            edges = continuous.edges((low, low + width), bins)
            q = continuous.to_distribution(dist, edges)
        except CodesimError:
            return
        assert np.all(q.probs >= 0) and math.isclose(q.probs.sum(), 1.0, rel_tol=1e-9)
        assert continuous.kl(dist, continuous.Normal(0, 1)) >= 0


@pytest.mark.parametrize("text, spec, match", [
    (BETA, ("bins = 8", 'edges = ["0", "1"]'), "[quantise] edge 1 is the string '0': expected a number"),
    (BETA, ("bins = 8", "edges = [true, 1]"), "[quantise] edge 1 is the boolean true: expected a number"),
    (NORMAL, ("bins = 8", 'range = ["-1", 1]'), "[quantise] range low is the string '-1': expected a number"),
    (BETA, ("bins = 8", 'bins = "8"'), "[quantise] bins: expected a number, got the string '8'"),
    (BETA, ("bins = 8", "bins = true"), "[quantise] bins: expected a number, got the boolean true"),
    (TWO, ("[0.25, 0.75]", '["0.25", 0.75]'), "[models.q] probs entry 1 is the string '0.25'"),
    (TWO, ("probs = [0.25, 0.75]", 'dirichlet = { alpha = "1", seed = 1 }'),
     "[models.q.dirichlet] alpha: expected a number or a list of numbers, got the string '1'"),
    (TWO, ("probs = [0.25, 0.75]", 'dirichlet = { alpha = [1, "1"], seed = 1 }'),
     "[models.q] alpha entry 2 is the string '1'"),
    (TWO, ("probs = [0.25, 0.75]", 'estimate = { samples = "10", seed = 1 }'),
     "[models.q.estimate] samples: expected a number, got the string '10'"),
    (TWO, ("probs = [0.25, 0.75]", 'estimate = { samples = 10, smoothing = "4", seed = 1 }'),
     "[models.q] smoothing is the string '4': write the number without quotes"),
    (TWO, ("trials = 1", 'trials = "1"'), "[run] trials: expected a number, got the string '1'"),
    (TWO, ("trials = 1", "trials = true"), "[run] trials: expected a number, got the boolean true"),
    (TWO, ("seed = 1", 'seed = "1"'), "[run] seed: expected an integer, got the string '1'"),
    (TWO + 'schemes = [{name = "rans", lanes = "4"}]\n', (), "[run] schemes entry 1: scheme 'rans': parameter "
     "lanes must be an integer from 1 to 65536, got the string '4'"),
    (TWO + 'schemes = [{name = "rans", lanes = true}]\n', (), "got the boolean true"),
    (TWO + 'schemes = [{name = "adaptive-arithmetic", alpha = "0.5"}]\n', (), "got the string '0.5'"),
])
def test_strings_and_booleans_where_numbers_belong_are_refused(tmp_path, text, spec, match):
    refused_run(tmp_path, text.replace(*spec) if spec else text, match)


def test_library_functions_refuse_strings_where_numbers_belong():
    for make in (lambda: continuous.check_edges(None, ["0", "1"]), lambda: Distribution.from_probs(["1"]),
                 lambda: SchemeSpec("rans", (("lanes", "4"),)).resolved(),
                 lambda: SchemeSpec("rans", (("lanes", True),)).resolved()):
        with pytest.raises(CodesimError, match="string|boolean"):
            make()


def test_whole_numbers_may_be_written_as_floats_where_they_count_something(tmp_path):
    """Counts, sizes and scheme parameters take 4 or 4.0 (as -n takes 1e6); a fraction is refused;
    a seed names a stream and takes an integer only."""
    floats = TWO.replace("length = 50", "length = 5e1").replace("trials = 1", "trials = 2.0")
    floats += 'schemes = [{name = "rans", lanes = 4.0}, "block-huffman:k=2.0"]\n'
    as_floats = invoke("run", scenario(tmp_path, floats), "-q", "--format", "json")
    as_ints = invoke("run", scenario(tmp_path, TWO.replace("trials = 1", "trials = 2"), "i.toml"), "-q",
                     "--format", "json", "--scheme", "rans:lanes=4", "--scheme", "block-huffman:k=2")
    assert as_floats.exit_code == as_ints.exit_code == 0, as_floats.output + as_ints.output
    rows = [(r["scheme"], r["bits"]) for r in json.loads(as_floats.stdout)["results"]]
    assert rows == [(r["scheme"], r["bits"]) for r in json.loads(as_ints.stdout)["results"]]
    assert SchemeSpec.parse("rans:lanes=4.0") == SchemeSpec.parse("rans:lanes=4") == SchemeSpec.parse("rans:lanes=0x4")
    refused_run(tmp_path, TWO.replace("trials = 1", "trials = 2.5"), "[run] trials: expected a whole number, got 2.5")
    refused_run(tmp_path, TWO + 'schemes = [{name = "rans", lanes = 4.5}]\n', "lanes must be an integer")
    refused_run(tmp_path, TWO.replace("seed = 1", "seed = 1.0"), "[run] seed: expected an integer, got 1.0")
    assert_one_line_error(invoke("run", NASA, "--scheme", "rans:lanes=4.5"), 2, "lanes must be an integer")


def test_a_scheme_parameter_given_twice_is_refused(tmp_path):
    assert_one_line_error(invoke("run", NASA, "-q", "--scheme", "rans:lanes=1,lanes=2"), 2,
                          "scheme 'rans:lanes=1,lanes=2': parameter lanes is given twice")
    refused_run(tmp_path, TWO + 'schemes = ["huffman", "rans:precision=12, precision=14"]\n',
                "[run] schemes entry 2: scheme 'rans:precision=12, precision=14': parameter precision is given twice")
    refused_run(tmp_path, TWO + 'schemes = [{name = "rans", lanes = 1, lanes = 2}]\n',
                "TOML syntax error: Duplicate inline table key 'lanes' (at line 10")
    with pytest.raises(CodesimError, match="given twice"):
        SchemeSpec.parse("block-huffman:k=1,k=1")


def test_a_swept_parameter_given_twice_is_refused_not_replaced():
    result = invoke("sweep", NASA, "-q", "-n", 100, "--trials", 1, "--model", "uniform", "--scheme", "block-huffman",
                    "--param", "k=1", "--param", "k=2")
    assert_one_line_error(result, 2, "parameter sweep k is given twice: list all its values in one, e.g. k=1,2")
    assert result.stdout == ""


@given(text=st.text(max_size=30))
@QUICK
def test_any_scheme_text_parses_or_is_one_codesim_error(text):
    for candidate in (text, f"rans:{text}", f"block-huffman:k={text}", f"adaptive-arithmetic:alpha={text}"):
        try:
            spec = SchemeSpec.parse(candidate)
        except CodesimError as exc:
            assert "\n" not in str(exc)
            continue
        assert all(isinstance(v, (int, float)) and math.isfinite(v) for _, v in spec.params)


@pytest.mark.parametrize("change, match", [
    (("alphabet = [\"a\", \"b\"]", "alphabet = [1, 9223372036854775808]"),
     "alphabet entry 2 is 9223372036854775808: an integer label must fit in 64 bits"),
    (("seed = 1", "seed = 18446744073709551616"), "[run] seed: a seed is an integer from 0 to 2^64 - 1"),
    (("probs = [0.25, 0.75]", "dirichlet = { seed = 18446744073709551616 }"), "[models.q.dirichlet] seed: a seed is"),
    (("trials = 1", "trials = 99999999999999999999999"), "trials 99999999999999999999999 is over the limit"),
])
def test_integers_beyond_64_bits_are_refused_where_numpy_would_hold_them(tmp_path, change, match):
    refused_run(tmp_path, TWO.replace(*change), match)


def test_the_largest_64_bit_values_are_accepted(tmp_path):
    text = TWO.replace('alphabet = ["a", "b"]', f"alphabet = [{-2**63}, {2**63 - 1}]").replace(
        "seed = 1", f"seed = {2**64 - 1}")
    path = scenario(tmp_path, text)
    assert invoke("run", path, "-q", "--scheme", "huffman").exit_code == 0
    out = tmp_path / "x.npy"
    assert invoke("sample", path, "-o", out).exit_code == 0
    assert set(np.load(out).tolist()) <= {-2**63, 2**63 - 1}
    assert_one_line_error(invoke("run", path, "-q", "--seed", 2**64), 1, "a seed is an integer from 0 to 2^64 - 1")


# -- structure at the edges ----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 400, 100_000])
def test_deeply_nested_toml_is_refused_in_one_line(tmp_path, depth):
    text = TWO + "[extra]\nx = " + "[" * depth + "]" * depth + "\n"
    refused_run(tmp_path, text, f"nested deeper than {MAX_DEPTH} levels")
    dotted = TWO + "[" + ".".join(["t"] * (depth if depth < 5000 else 5000)) + "]\n"
    refused_run(tmp_path, dotted, f"nested deeper than {MAX_DEPTH} levels")


def test_the_nesting_limit_is_exact(tmp_path):
    """[extra] is one level and each array one more: 31 arrays reach level 32, the deepest allowed, and
    are refused only for the unknown key; 32 arrays are refused for their depth."""
    nested = "[extra]\nx = " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    refused_run(tmp_path, TWO + nested, "unknown key 'extra'")
    deeper = "[extra]\nx = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    refused_run(tmp_path, TWO + deeper, f"nested deeper than {MAX_DEPTH} levels")


def test_a_long_name_in_a_message_is_cut_short(tmp_path):
    long = "m" * 100
    result = invoke("run", scenario(tmp_path, TWO), "-q", "--model", long)
    assert_one_line_error(result, 1, "no model '" + "m" * 38 + "...")
    assert long not in result.stderr


def test_toml_values_out_of_range_are_refused_in_one_line(tmp_path):
    refused_run(tmp_path, TWO.replace("seed = 1", "seed = " + "9" * 5000), "a value out of range")
    refused_run(tmp_path, TWO.replace("length = 50", "length = 1e999"), "[run] length: expected a whole number, got inf")


@pytest.mark.parametrize("command", ["run", "compare", "report"])
def test_a_files_block_that_cuts_a_longer_stream_into_too_many_blocks_names_the_file(tmp_path, command):
    path = scenario(tmp_path, TWO.replace("[run]", "[run]\nblock = 2"))
    out = ["-o", tmp_path / "r.html"] if command == "report" else []
    result = invoke(command, path, "-n", "1e6", "--scheme", "huffman", *out)
    assert_one_line_error(result, 1, f"{path}: [run] block 2 cuts a stream of 1000000 symbols into 500000 blocks")
    assert files_in(tmp_path) == {"s.toml"}


def csim_with(tmp_path: Path, old: str, new: str, name: str = "x.csim") -> str:
    """The NASA test file with ``old`` replaced by ``new`` in its header's JSON text, CRCs recomputed."""
    header, payload, n, nbits = split(NASA_FILE)
    raw = json.dumps(header).encode()
    assert old.encode() in raw
    path = tmp_path / name
    path.write_bytes(assemble(raw.replace(old.encode(), new.encode(), 1), payload, n, nbits))
    return str(path)


META = '"meta": {'
HOSTILE_HEADERS = [
    (META, META + '"x": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + ", ",
     f"field 'meta.x' entry 1 is nested deeper than {MAX_JSON_DEPTH} levels"),
    (META, META + '"x": ' + "[" * 5000 + "]" * 5000 + ", ", "nested deeper than"),
    (META, META + '"x": "a\\ud800b", ', "field 'meta.x' holds a lone surrogate, which UTF-8 cannot encode"),
    (META, META + '"\\udfff": 1, ', "a key in field 'meta' holds a lone surrogate"),
    (META, META + '"x": [1, {"y": ["\\ud800"]}], ', "field 'meta.x.y' entry 1 holds a lone surrogate"),
    ('"meta": {"scenario": "NASA", "seed": 1948}', '"meta": null', "field 'meta' is null, not an object"),
    ('"params": {}', '"params": null', "field 'coder.params' is null, not an object"),
    ('"params": {}', '"params": [1]', "field 'coder.params' is a list, not an object"),
    (META, META + '"x": 1e999, ', "field 'meta.x' is 1e999, beyond the range of a double (the format has no Infinity)"),
    (META, META + '"x": -1E+400, ', "field 'meta.x' is -1E+400, beyond the range of a double"),
    ('"alphabet": [100', '"alphabet": [1e999', "field 'alphabet' entry 1 is 1e999"),
    (META, META + '"x": ' + "9" * 4000 + ", ", f"field 'meta.x' is an integer of 4000 digits, over the limit of "
     f"{MAX_INTEGER_DIGITS}"),
    (META, META + '"x": -' + "9" * 5000 + ", ", "field 'meta.x' is an integer of 5000 digits"),
    ('"alphabet": [100', '"alphabet": [' + "1" * (MAX_INTEGER_DIGITS + 1), "field 'alphabet' entry 1 is an integer of 41"),
]


@pytest.mark.parametrize("old, new, match", HOSTILE_HEADERS)
def test_hostile_header_json_is_refused_by_decode_and_inspect_in_one_line(tmp_path, old, new, match):
    path = csim_with(tmp_path, old, new)
    before = files_in(tmp_path)
    for args in (("decode", path, "-o", tmp_path / "out.txt"), ("inspect", path),
                 ("inspect", path, "--format", "json")):
        assert_one_line_error(invoke(*args), 1, match)
        assert path in invoke(*args).stderr
    assert files_in(tmp_path) == before


def test_a_coder_that_is_null_is_refused(tmp_path):
    header, payload, n, nbits = split(NASA_FILE)
    header["coder"] = None
    path = tmp_path / "x.csim"
    path.write_bytes(assemble(header, payload, n, nbits))
    for args in (("decode", path, "-o", "-"), ("inspect", path), ("inspect", path, "--format", "json")):
        assert_one_line_error(invoke(*args), 1, "field 'coder' is null, not an object with a 'scheme' name")


PRINTABLE = [
    '"x": ' + "[" * (MAX_JSON_DEPTH - 2) + "1" + "]" * (MAX_JSON_DEPTH - 2),
    '"line\\nbreak\\u001b[31m": "tab\\there\\r\\u0000 nul"',
    '"pair": "\\ud83d\\ude00 and \\u00e9"',
    '"big": -' + "9" * MAX_INTEGER_DIGITS,
    '"tiny": 5e-324, "negzero": -0.0, "null": null, "list": [true, false, null]',
]


@pytest.mark.parametrize("entry", PRINTABLE)
def test_header_json_the_reader_accepts_every_command_prints(tmp_path, entry):
    """What the reader accepts, decode decodes and inspect prints in both formats: the text with one
    line per meta entry (a line break or an escape sequence in a string is shown escaped), the JSON
    equal to the file's own meta."""
    path = csim_with(tmp_path, META, META + entry + ", ")
    assert invoke("decode", path, "-o", tmp_path / "out.txt").exit_code == 0
    text = invoke("inspect", path)
    assert text.exit_code == 0, text.output
    assert "\x1b" not in text.stdout and "\x00" not in text.stdout and "\r" not in text.stdout
    key = json.loads("{" + entry + "}")
    meta_lines = text.stdout.split("\n\n")[0].splitlines()[8:]
    assert len(meta_lines) == len(key) + 2  # the entry's keys, then the file's own scenario and seed
    as_json = invoke("inspect", path, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["meta"] == {**key, "scenario": "NASA", "seed": 1948}


@given(meta=st.recursive(
    st.none() | st.booleans() | st.integers(-(10**MAX_INTEGER_DIGITS) + 1, 10**MAX_INTEGER_DIGITS - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10))
@settings(max_examples=60, deadline=None)
def test_any_meta_a_writer_can_store_is_printed_in_both_formats(meta):
    """dumps refuses exactly what parse refuses, and whatever it stores inspect prints."""
    from codesim.files import container
    from codesim.present import report
    from codesim.coders import build

    coder = build("huffman", [0.5, 0.5])
    try:
        data = container.dumps(coder, coder.encode(np.array([0, 1])), 2, ["a", "b"], meta={"m": meta})
    except CodesimError:
        return
    assert parse(data).header.meta == {"m": meta}
    doc = {"file": "f", "version": 1, "scheme": "huffman", "params": {}, "alphabet_size": 2, "symbols": 2,
           "payload_bits": 2, "bits_per_symbol": 1.0, "meta": {"m": meta},
           "checksums": {"header": {"crc32": "0", "ok": True}, "payload": {"crc32": "0", "ok": True}}}
    shown = 0 if isinstance(meta, dict) else 1  # the text shows a meta entry unless it is an object
    assert len(report.inspection(doc, "table").splitlines()) == 8 + shown
    json.loads(report.inspection(doc, "json"))


# -- messages that name the place ----------------------------------------------------------------------


def alphabet_of(k: int, schemes: str = "") -> str:
    return (f"alphabet = {list(range(k))}\n[source]\nuniform = true\n[models.u]\nuniform = true\n"
            f"[run]\nlength = 30\ntrials = 1\nseed = 1\n{schemes}")


@pytest.mark.parametrize("k, schemes, match", [
    (300, 'schemes = ["huffman", "block-huffman"]',
     "[run] schemes entry 2: scheme 'block-huffman': k=2 over 300 symbols makes 300^2 = 90000 tuples"),
    (20, 'schemes = [{name = "block-huffman", k = 4}]', "[run] schemes entry 1: scheme 'block-huffman': k=4 over 20"),
    (300, 'schemes = [{name = "huffman-limited", max_length = 8}]',
     "[run] schemes entry 1: scheme 'huffman-limited': max_length=8 cannot give 300 symbols"),
    (300, 'schemes = ["rans:precision=8"]', "[run] schemes entry 1: scheme 'rans': precision=8 gives 256 "
     "frequency slots, fewer than the 300 symbols; use precision >= 9"),
])
def test_a_scheme_that_cannot_code_the_alphabet_is_named_with_the_file_and_key(tmp_path, k, schemes, match):
    refused_run(tmp_path, alphabet_of(k, schemes), match)


def test_a_scheme_named_on_the_command_line_that_cannot_serve_fails_naming_the_file(tmp_path):
    path = scenario(tmp_path, alphabet_of(300))
    result = invoke("run", path, "-q", "--scheme", "huffman", "--scheme", "block-huffman:k=3")
    assert_one_line_error(result, 1, f"{path}: scheme 'block-huffman': k=3 over 300 symbols")


@given(k=st.integers(2, 2**17), precision=st.integers(1, 16))
@QUICK
def test_rans_advice_names_a_precision_rans_accepts(k, precision):
    spec = SchemeSpec.parse(f"rans:precision={precision}")
    try:
        spec.check_alphabet(k)
    except CodesimError as exc:
        message = str(exc)
        assert k > 2**precision
        if "use precision >= " in message:
            advised = int(message.rsplit(">= ", 1)[1])
            SchemeSpec.parse(f"rans:precision={advised}").check_alphabet(k)
            assert advised == math.ceil(math.log2(k))
        else:
            assert k > 2**16 and "rans codes at most 2^16 = 65536 symbols" in message
    else:
        assert k <= 2**precision


def test_default_scheme_lists_skip_what_cannot_serve_with_one_line_each(tmp_path):
    from codesim.coders import registry

    path = scenario(tmp_path, alphabet_of(20000))
    block = ("skipped scheme 'block-huffman': k=2 over 20000 symbols makes 20000^2 = 400000000 tuples, over the "
             "limit of 65536 (2^16) that keeps building the tuple code's table quick; use k <= 1")
    rans = ("skipped scheme 'rans': precision=14 gives 16384 frequency slots, fewer than the 20000 symbols; use "
            "precision >= 15")
    tunstall = ("skipped scheme 'tunstall' with bits = 8 has 256 words, fewer than the 20000 symbols of the "
                "alphabet: use bits >= 15")
    tans = ("skipped scheme 'tans': table_log=11 gives 2048 states, fewer than the 20000 symbols; use "
            "table_log >= 15")
    for command, group, skipped in [("run", (), [rans]), ("compare", (), [rans]),
                                    ("run", ("--scheme", "all"), [block, rans, tunstall, tans]),
                                    ("compare", ("--scheme", "prefix"), [block])]:
        result = invoke(command, path, "-q", "-n", "20", "--format", "json", *group)
        assert result.exit_code == 0, result.output
        assert result.stderr.strip().splitlines() == skipped
        ran = {r["scheme"] for r in json.loads(result.stdout)["results"]}
        members = registry.groups()[group[1] if group else "default"]
        assert ran == set(members) - {"block-huffman", "rans", "tunstall", "tans"}
    assert set(registry.groups()["all"]) == {s.name for s in available()}
    small = invoke("run", NASA, "-q", "-n", "20", "--trials", "1", "--scheme", "huffman")
    assert small.exit_code == 0 and small.stderr == ""


# -- block codes and --block ---------------------------------------------------------------------------


@given(k=st.integers(1, 4), n=st.integers(1, 200), blocks=st.lists(st.integers(1, 60), min_size=1, max_size=3),
       seed=st.integers(0, 2**32))
@settings(max_examples=40, deadline=None)
def test_block_huffman_bits_do_not_depend_on_the_block_size(k, n, blocks, seed):
    """Blocks are cut at multiples of k, so a block code's tuples never straddle two blocks and its
    bits add up to those of the whole stream coded as one message (no block here reaches the
    2^21 symbols at which a jump table appears)."""
    p = Distribution.from_probs([0.6, 0.3, 0.1])
    q = Distribution.from_probs([0.2, 0.3, 0.5])
    specs = [f"block-huffman:k={k}", "block-huffman:k=3", "huffman"]
    whole = [m.bits for m in simulate_many(p, {"q": q}, specs, length=n, trials=2, seed=seed, block=n)]
    for block in blocks:
        cut = [m.bits for m in simulate_many(p, {"q": q}, specs, length=n, trials=2, seed=seed, block=block)]
        assert cut == whole


def test_block_huffman_through_the_command_line_with_several_blocks():
    bits = set()
    for block in ("1", "7", "1000", "1048576"):
        result = invoke("run", NASA, "-q", "-n", "10001", "--trials", "1", "--model", "matched", "--block", block,
                        "--scheme", "block-huffman:k=3", "--format", "json")
        assert result.exit_code == 0, result.output
        bits.add(tuple(json.loads(result.stdout)["results"][0]["bits"]))
    assert len(bits) == 1


def test_scenario_library_load_refuses_what_the_command_line_refuses(tmp_path):
    path = scenario(tmp_path, TWO.replace("seed = 1", "seed = 1.5"))
    with pytest.raises(CodesimError, match=r"\[run\] seed: expected an integer, got 1.5"):
        load(path)


@pytest.mark.parametrize("args, match", [
    (("converge", NASA, "--lengths", "1e400"), "'1e400' holds a number that is not finite"),
    (("converge", NASA, "--lengths", "10,nan"), "'10,nan' holds a number that is not finite"),
    (("compare", "--p", "nan,1", "--q", "0.5,0.5"), "'nan,1' holds a number that is not finite"),
    (("compare", "--p", "0.5,0.5", "--q", "0.5,inf"), "'0.5,inf' holds a number that is not finite"),
    (("run", NASA, "--scheme", "rans:lanes=1e400"), "lanes must be an integer from 1 to 65536, got inf"),
    (("run", NASA, "--scheme", "adaptive-arithmetic:alpha=nan"), "alpha must be a number from 0.0001 to 1000, got nan"),
])
def test_non_finite_numbers_on_the_command_line_are_usage_errors(args, match):
    assert_one_line_error(invoke(*args, "-q"), 2, match)


def test_probabilities_near_the_largest_double_on_the_command_line():
    result = invoke("compare", "--p", "1e308,1e308", "--q", "0.5,0.5", "-q")
    assert_one_line_error(result, 2, "--p: probs sum to more than the largest double, not 1")


def test_a_model_a_scheme_cannot_serve_is_named_with_the_scheme(tmp_path):
    """A probability of 5e-324 asks Shannon for a 1074-bit codeword, over the decoders' 256."""
    text = TWO.replace("probs = [0.25, 0.75]", "probs = [5e-324, 1]") + 'schemes = ["huffman", "shannon"]\n'
    refused_run(tmp_path, text, "model 'q': scheme 'shannon': code length 1 is 1074 bits")
    p, q = Distribution.from_probs([0.5, 0.5]), Distribution.from_probs([5e-324, 1.0])
    with pytest.raises(CodesimError, match="model 'tiny': scheme 'shannon-fano-elias': code length 1 is 1075"):
        simulate_many(p, {"tiny": q}, ["shannon-fano-elias"], length=10, trials=1, seed=1)


@pytest.mark.parametrize("alpha, match", [
    ("1e308", "[models.q] alpha adds up to more than the largest double"),
    ("[1e308, 1e308]", "[models.q] alpha adds up to more than the largest double"),
    ("9" * 400, "[models.q] alpha is an integer of 1329 bits: too large for a double"),
    ("1e-300", "[models.q] the Dirichlet draw underflowed to all zeros"),
])
def test_dirichlet_alphas_at_the_edges(tmp_path, alpha, match):
    text = TWO.replace("probs = [0.25, 0.75]", f"dirichlet = {{ alpha = {alpha}, seed = 1 }}")
    if "underflowed" in match:  # a tiny alpha puts all mass on one symbol, or underflows: never a warning
        result = invoke("run", scenario(tmp_path, text), "-q", "--scheme", "huffman")
        assert result.exit_code == 0 or match in result.stderr, result.output
        return
    refused_run(tmp_path, text, match)
    assert invoke("run", scenario(tmp_path, text.replace(alpha, "1e300"), "ok.toml"), "-q",
                  "--scheme", "huffman").exit_code == 0


@pytest.mark.parametrize("name", ["huffman", "block-huffman", "rans"])
def test_labels_with_line_breaks_and_escapes_print_escaped_in_text_and_exact_in_json(tmp_path, name):
    from codesim.files import container
    from codesim.coders import build

    labels = ["a\nb", "\x1b[31mred", "tab\tx", "\U0001f600"]
    coder = build(name, [0.4, 0.3, 0.2, 0.1])
    stream = np.array([0, 1, 2, 3, 1, 0, 2])
    path = tmp_path / "x.csim"
    path.write_bytes(container.dumps(coder, coder.encode(stream), stream.size, labels))
    text = invoke("inspect", path)
    assert text.exit_code == 0, text.output
    assert "\x1b" not in text.stdout and "\t" not in text.stdout and '"a\\nb"' in text.stdout
    table = text.stdout.split("Code table:\n")[1].split("\n\n")[0].splitlines()
    assert len(table) == 2 + len(labels)  # header, rule, one line per symbol
    doc = json.loads(invoke("inspect", path, "--format", "json").stdout)
    assert [row["symbol"] for row in doc["table"]] == labels
