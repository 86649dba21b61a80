"""Every example in the help of the codesim command and of each of its subcommands runs and exits 0."""

import shlex

import click
import pytest
from click.testing import CliRunner

from codesim.cli import main

from .conftest import ROOT


def help_examples(command: click.Command, path: str = "codesim") -> list[tuple[str, list[str]]]:
    """(where, arguments) of every ``codesim ...`` line in the help of ``command`` and of the commands
    under it, in the order a reader meets them."""
    found = [(path, shlex.split(line.strip())[1:]) for line in (command.help or "").splitlines()
             if line.strip().startswith("codesim ")]
    for name, sub in getattr(command, "commands", {}).items():
        found += help_examples(sub, f"{path} {name}")
    return found


EXAMPLES = help_examples(main)


def test_every_command_has_an_example():
    with_examples = {where for where, _ in EXAMPLES}
    assert with_examples == {"codesim"} | {f"codesim {name}" for name in main.commands}


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A working directory that sees the checkout's files (scenarios, the README, the package's sources)
    and keeps what the examples write."""
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_help_example_runs(checkout):
    """Run in turn, an example that reads what another writes (`decode stream.csim`) after it."""
    pending = list(EXAMPLES)
    while pending:
        ready = [(where, args) for where, args in pending if all(
            (checkout / arg).exists() for arg in args if arg.endswith(".csim") and not _written(args, arg))]
        assert ready, f"examples that read a file no example writes: {pending}"
        for where, args in ready:
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 0, f"{where}: codesim {shlex.join(args)}\n{result.output}"
            pending.remove((where, args))


def _written(args: list[str], name: str) -> bool:
    return any(flag in ("-o", "--output", "--plot") and value == name for flag, value in zip(args, args[1:]))
