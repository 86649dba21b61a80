"""The README stays true: its commands, its Python example, its scheme list, and CI's test command."""

import inspect
import math
import re

from codesim.coders import available
from codesim.scenario import RunSettings
from codesim.simulate import DEFAULT_LENGTH, DEFAULT_TRIALS, MAX_LENGTH, MAX_TRIALS, simulate

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTALL_AND_RUN = "pip install . && codesim run scenarios/nasa-temperature.toml"
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
