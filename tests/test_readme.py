"""The README stays true: its commands, its Python example, its scheme list, and CI's test command."""

import importlib
import inspect
import math
import re

from codesim.coders import available
from codesim.scenario import RunSettings
from codesim.simulation.simulate import DEFAULT_LENGTH, DEFAULT_TRIALS, MAX_LENGTH, MAX_TRIALS, simulate

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTALL_AND_RUN = "pip install '.[fast]' && codesim run scenarios/nasa-temperature.toml"
INSTALL_AND_TEST = "pip install '.[test]' && pytest"


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```")[1]
    assert INSTALL_AND_RUN in first_block and INSTALL_AND_TEST in first_block
    assert (ROOT / "scenarios/nasa-temperature.toml").is_file()


def test_ci_runs_the_readme_test_command():
    assert INSTALL_AND_TEST in (ROOT / ".ci/run").read_text()


def test_readme_python_examples_run(capsys):
    """Every ```python block runs, in order, in one namespace (their asserts are checks)."""
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert "3.0" in capsys.readouterr().out


def test_every_registered_scheme_is_documented():
    for scheme in available():
        assert f"| `{scheme.name}` |" in README, f"scheme {scheme.name} missing from the README's table"
        for param in scheme.params:
            assert param.name in README


def test_every_shipped_scenario_is_listed():
    for path in (ROOT / "scenarios").glob("*.toml"):
        assert f"scenarios/{path.name}" in README


def test_every_source_file_compiles_without_a_warning():
    """Python 3.12 prints SyntaxWarnings (an invalid escape in a docstring) to a user's stderr on first import."""
    import warnings

    for path in sorted((ROOT / "codesim").rglob("*.py")) + sorted((ROOT / "tests").rglob("*.py")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_the_documented_run_defaults_and_limits_are_the_code_s():
    assert f"(default {DEFAULT_LENGTH}, at most 1e{round(math.log10(MAX_LENGTH))})" in README
    assert f"(default {DEFAULT_TRIALS}, at most {MAX_TRIALS})" in README
    signature = inspect.signature(simulate).parameters
    assert (signature["length"].default, signature["trials"].default) == (DEFAULT_LENGTH, DEFAULT_TRIALS)
    assert (RunSettings().length, RunSettings().trials) == (DEFAULT_LENGTH, DEFAULT_TRIALS)


def test_the_scheme_table_states_every_parameter_with_its_default():
    for scheme in available():
        row = next(line for line in README.splitlines() if line.startswith(f"| `{scheme.name}` |"))
        documented = dict(re.findall(r"`(\w+)` \(default ([^)]+)\)", row.split("|")[2]))
        assert documented == {p.name: f"{p.default:g}" for p in scheme.params}, scheme.name


def _power(value: int) -> str:
    """How the limits table writes a number: 2^k for a power of two, 10^k for a power of ten."""
    if value & (value - 1) == 0:
        return f"2^{value.bit_length() - 1}"
    return f"10^{round(math.log10(value))}"


def test_the_limits_table_states_the_limits_the_code_enforces():
    from codesim.simulation import bench, experiments, parallel
    from codesim.files import container, inspection, streamio
    from codesim.sources import estimate
    from codesim import scenario
    from codesim.sources import files as textsource

    sim = importlib.import_module("codesim.simulation.simulate")  # the package's name 'simulate' is the function

    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[1] for line in README.splitlines()
            if line.startswith("| ") and line.count(" | ") >= 2}
    expected = {
        "symbols in a file": f"2^24 ({container.MAX_SYMBOLS})",
        "alphabet": f"{container.MAX_ALPHABET} labels",
        "longest label": f"{container.MAX_LABEL_CHARS} characters",
        "labels' total size": f"{_power(container.MAX_ALPHABET_CHARS)} characters",
        "`meta`, and `coder.params`": f"{container.MAX_META_CHARS} characters",
        "header": f"{container.MAX_HEADER_BYTES >> 20} MiB",
        "payload": f"{_power(container.MAX_PAYLOAD_BITS)} bits",
        "annotated symbols (`inspect --symbols`)": f"{inspection.MAX_TRACE_SYMBOLS}",
        "scenario file": f"{scenario.MAX_SCENARIO_BYTES >> 20} MiB",
        "a scenario's `file = ...`": f"{_power(textsource.MAX_UNIT_FILE_BYTES)} bytes, and {textsource.MAX_UNITS} "
                                     "distinct units",
        "stream length in a run": f"{_power(sim.MAX_LENGTH)} symbols",
        "models in a scenario": f"{scenario.MAX_MODELS}, and {_power(scenario.MAX_MODEL_VALUES)} probabilities",
        "trials": _power(sim.MAX_TRIALS),
        "symbols one `bench` times": _power(bench.MAX_BENCH_SYMBOLS),
        "processes (`--jobs`, and `--scheduler local`'s workers)": f"{parallel.MAX_JOBS}",
        "blocks per stream": _power(sim.MAX_BLOCKS),
        "a stream held whole (`sample`, `encode`)": f"{_power(sim.MAX_WHOLE_STREAM)} symbols",
        "a `bench` stream": f"{_power(bench.MAX_BENCH_LENGTH)} symbols",
        "`estimate` samples": _power(estimate.MAX_SAMPLES),
        "`converge` lengths": f"{experiments.MAX_LENGTHS}",
        "`sweep`": f"{experiments.MAX_MIX} mix values, {experiments.MAX_PARAM_VALUES} values per swept parameter",
    }
    assert f"nesting deeper than {scenario.MAX_DEPTH} levels" in README
    assert container.MAX_JSON_DEPTH == scenario.MAX_DEPTH  # one sentence states both
    for row, value in expected.items():
        assert rows[row].startswith(value), (row, rows[row], value)
    assert rows["symbol file (`encode --input`, text or `.npy`, or standard input)"].startswith(
        f"{_power(streamio.MAX_SYMBOL_FILE_BYTES)} bytes, and at most {_power(container.MAX_SYMBOLS)} lines")
