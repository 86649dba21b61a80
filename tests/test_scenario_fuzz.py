"""A fuzz of scenario parsing, as test_container.py fuzzes the .csim reader: the shipped scenarios with
keys deleted, duplicated under other names, given values of other types and extreme numbers, wrapped in
deep nesting, or with their TOML text's bytes damaged, and plain random bytes. Each goes through
``codesim.scenario.load`` (some through the command line too): only a CodesimError may escape, its
message is one line, and every example finishes within the deadline.

The suite runs a few hundred examples in a few seconds. For a long run, set the number of examples per
test:

    CODESIM_FUZZ_EXAMPLES=20000 pytest tests/test_scenario_fuzz.py
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import signal
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings, strategies as st

from codesim.cli import main
from codesim.errors import CodesimError
from codesim.scenario import load

from .conftest import SCENARIOS

EXAMPLES = int(os.environ.get("CODESIM_FUZZ_EXAMPLES", "0")) or None
#: A slow example fails the test (deadline); one that never ends is stopped by an alarm and fails too.
ALARM_SECONDS = 20


def fuzz(default: int):
    return settings(max_examples=EXAMPLES or default, deadline=timedelta(seconds=3),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


def _shipped() -> dict[str, dict]:
    """The shipped scenarios as parsed TOML, their file paths made absolute (the fuzz writes elsewhere)."""
    docs = {}
    for path in sorted(SCENARIOS.glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        for table in [doc.get("source", {}), *doc.get("models", {}).values()]:
            if isinstance(table.get("file"), str):
                table["file"] = str((SCENARIOS / table["file"]).resolve())
        docs[path.name] = doc
    return docs


SHIPPED = _shipped()
TEXTS = {path.name: path.read_bytes() for path in sorted(SCENARIOS.glob("*.toml"))}


# -- a TOML writer for mutated documents ------------------------------------------------------------------


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"


def to_toml(doc: dict) -> str:
    """Top-level keys as ``key = value`` lines, tables inline: any document, at any depth."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in doc.items())


# -- mutations ----------------------------------------------------------------------------------------------

EXTREMES = [
    0, -1, 1, 2, 3, 64, 65536, 65537, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, 10**300,
    0.0, -0.0, 0.5, 1.5, 2.0, 1e6, 1e11, 1e12, 1e-300, 5e-324, 2.2250738585072014e-308, 1e150, 1e151, 1e308,
    -1e308, 1.7976931348623157e308, math.inf, -math.inf, math.nan,
    True, False, "", "0", "1", "0.5", "4", "none", "kt", "laplace", "byte", "char", "word", "huffman",
    "x" * 500, "\x00", "\u00e9\U0001f600", [], {}, [1, "a"], [[0.5, 0.5]], {"a": 1}, [True, 1],
    ["huffman"], ["block-huffman:k=16"], ["rans:precision=1"], ["rans:lanes=1,lanes=2"], [{"name": "rans", "lanes": "4"}],
    [{"name": "huffman-limited", "max_length": 1}], [{"lanes": 4}], {"a": 2, "b": 3}, {"mean": 0, "sd": 5e-324},
    {"alpha": 1e-300, "seed": 1}, {"samples": 10, "seed": 1}, [0, 1e308], list(range(70)),
    {"theta": 0.5}, {"s": 1.01, "max": 65535}, {"mean": 1e6},
]
# Copied: the fuzz changes values in place, and EXTREMES must stay as it is for the next example.
leaves = (st.sampled_from(EXTREMES).map(copy.deepcopy) | st.integers() | st.floats() | st.text(max_size=12) | st.booleans())
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.sampled_from(["a", "b", "probs", "counts", "seed", "alpha", "name", "k", "x"]) | st.text(max_size=5),
    inner, max_size=4), max_leaves=8)
KEYS = ["title", "alphabet", "source", "models", "run", "quantise", "probs", "counts", "uniform", "dirichlet",
        "estimate", "beta", "normal", "file", "unit", "smoothing", "normalise", "length", "trials", "seed",
        "schemes", "bins", "range", "edges", "samples", "alpha", "a", "b", "mean", "sd", "name", "extra",
        "geometric", "poisson", "zeta", "theta", "s", "max"]


def _places(doc) -> list[tuple[object, object]]:
    """Every (container, key or index) in the document, so a mutation can reach any value."""
    out, stack = [], [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            out.append((node, key))
            if isinstance(value, (dict, list)):
                stack.append(value)
    return out


#: Training samples are drawn in load(): their bound is a work limit with its own tests, so the fuzz
#: keeps them small enough that an example's time is the parser's, not the sampler's.
MAX_FUZZ_SAMPLES = 10**5


def _small_samples(doc) -> None:
    for node, key in _places(doc):
        if key == "samples" and isinstance(node, dict) and isinstance(node[key], (int, float)) \
                and not isinstance(node[key], bool) and not node[key] <= MAX_FUZZ_SAMPLES:
            node[key] = MAX_FUZZ_SAMPLES


@st.composite
def mutated(draw) -> dict:
    doc = copy.deepcopy(SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))])
    for _ in range(draw(st.integers(1, 4))):
        places = _places(doc)
        if not places:
            break
        node, key = draw(st.sampled_from(places))
        op = draw(st.sampled_from(["delete", "replace", "replace", "rename", "copy", "nest", "add"]))
        if op == "delete":
            del node[key]
        elif op == "replace":
            node[key] = draw(values)
        elif op == "nest":
            for _ in range(draw(st.integers(1, 60))):
                node[key] = [node[key]] if draw(st.booleans()) else {"x": node[key]}
        elif isinstance(node, dict):
            new = draw(st.sampled_from(KEYS) | st.text(max_size=6))
            if op == "rename":
                node[new] = node.pop(key)
            elif op == "copy":
                node[new] = copy.deepcopy(node[key])
            else:
                node[new] = draw(values)
        else:
            node.append(copy.deepcopy(node[key]) if op == "copy" else draw(values))
    _small_samples(doc)
    return doc


@st.composite
def damaged_text(draw) -> bytes:
    text = bytearray(TEXTS[draw(st.sampled_from(sorted(TEXTS)))])
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "repeat"]))
        if op == "flip" and at < len(text):
            text[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            text[at:at] = draw(st.sampled_from([b"[", b"]", b"{", b"}", b"=", b'"', b"\n", b"#", b".", b",",
                                                b"\\u", b"\\ud800", b"1e999", b"9" * 5000, b"\xff", b"\x00",
                                                b"[x]\n", b"a = 1\n"]) | st.binary(max_size=8))
        elif op == "delete":
            del text[at : at + draw(st.integers(1, 20))]
        else:
            text[at:at] = text[at : at + draw(st.integers(1, 200))] * draw(st.integers(1, 50))
    return bytes(text)


# -- the checks ---------------------------------------------------------------------------------------------


class _Alarm(Exception):
    pass


def _ring(signum, frame):
    raise _Alarm(f"an example ran for over {ALARM_SECONDS} s")


@pytest.fixture
def alarm():
    """Stops an example that never ends (a deadline only judges examples that do)."""
    old = signal.signal(signal.SIGALRM, _ring)
    yield lambda: signal.alarm(ALARM_SECONDS)
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def loads_or_refuses(tmp_path: Path, data: bytes, start) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_bytes(data)
    start()
    try:
        load(path)
    except CodesimError as exc:
        message = str(exc)
        assert message.startswith(str(path)) and "\n" not in message and "\r" not in message, message
        assert len(message) < 2000, message[:200]
    finally:
        signal.alarm(0)


@given(doc=mutated())
@example(doc={**SHIPPED["nasa-temperature.toml"], "run": {"schemes": [{"name": "rans", "lanes": "4"}]}})
@example(doc={**SHIPPED["beta-likelihood-ratio.toml"], "quantise": {"edges": ["0", "1"]}})
@fuzz(300)
def test_mutated_scenarios_load_or_are_refused_in_one_line(tmp_path, alarm, doc):
    loads_or_refuses(tmp_path, to_toml(doc).encode("utf-8", "surrogatepass"), alarm)


@given(data=damaged_text())
@example(data=b"a = " + b"[" * 100_000 + b"]" * 100_000)
@example(data=b"a = " + b"{b = " * 2000 + b"1" + b"}" * 2000)
@fuzz(200)
def test_damaged_scenario_text_is_refused_in_one_line(tmp_path, alarm, data):
    loads_or_refuses(tmp_path, data, alarm)


@given(data=st.binary(max_size=300))
@fuzz(100)
def test_random_bytes_are_refused_in_one_line(tmp_path, alarm, data):
    loads_or_refuses(tmp_path, data, alarm)


@given(doc=mutated())
@fuzz(15)
def test_mutated_scenarios_through_the_command_line(tmp_path, alarm, doc):
    """`codesim sample` reads the scenario and draws from it: exit 0, or one line and exit 1."""
    path = tmp_path / "fuzz.toml"
    path.write_bytes(to_toml(doc).encode("utf-8", "surrogatepass"))
    alarm()
    try:
        result = CliRunner().invoke(main, ["sample", str(path), "-n", "5", "-o", "-"])
    finally:
        signal.alarm(0)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code:
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), result.stderr


def test_the_writer_round_trips_the_shipped_scenarios():
    """The fuzz's TOML writer is faithful: the shipped documents come back as they were."""
    for doc in SHIPPED.values():
        assert tomllib.loads(to_toml(doc)) == doc
