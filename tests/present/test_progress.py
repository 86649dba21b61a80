"""The progress line: it names what runs, never reaches the terminal's last column (so it never wraps and
can be redrawn in place), erases what a longer line left behind, and clears itself at the end."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codesim.present import progress
from codesim.present.progress import CLEAR, DELAY_SECONDS, Progress, running


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _draws(stream: Terminal) -> list[str]:
    """The lines drawn, each after its clearing sequence."""
    return [part for part in stream.getvalue().split(CLEAR) if part]


@settings(max_examples=200, deadline=None)
@given(width=st.integers(1, 200), done=st.integers(0, 10**9), total=st.integers(1, 10**9),
       what=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=120))
def test_the_line_never_reaches_the_last_column(width, done, total, what):
    bar = Progress(total, what=what, stream=io.StringIO(), enabled=False)
    bar.done = done
    line = bar.line(5.0, width)
    assert len(line) <= max(1, width - 1) and "\n" not in line


def test_a_narrow_terminal_gets_a_line_that_fits_and_still_names_what_runs():
    now = [0.0]
    term = Terminal()
    what = running("run", ["huffman", "arithmetic"], ["q"])
    with Progress(1000, stream=term, clock=lambda: now[0], what=what, width=lambda: 40) as advance:
        now[0] = DELAY_SECONDS + 1
        advance(500)
        now[0] += 1
        advance(100)
    draws = _draws(term)
    assert len(draws) == 2 and all(len(line) < 40 for line in draws)
    assert all(line.startswith("run: huffman, arith") and "...  " in line and line.endswith("s left")
               for line in draws)
    assert "60%" in draws[1]
    assert term.getvalue().startswith(CLEAR) and term.getvalue().endswith(CLEAR)  # each draw erases the last


def test_a_wide_terminal_shows_the_bar_and_the_counts_and_a_very_narrow_one_cuts_the_name():
    bar = Progress(1000, "symbols", what="sweep: huffman / models uniform, swapped", enabled=False)
    bar.done = 500
    wide = bar.line(10.0, 200)
    assert wide.startswith("sweep: huffman / models uniform, swapped  [") and "5.0e+02/1.0e+03 symbols" in wide
    assert "#" * 15 + "-" * 15 in wide and wide.endswith("10 s left")
    assert bar.line(10.0, 30) == "sweep: hu...   50%  10 s left"
    assert bar.line(10.0, 20) == "sweep: huf...   50%"
    assert bar.line(10.0, 4) == "50%"


@pytest.mark.parametrize("schemes, models, said", [
    (["huffman"], ["q"], "run: huffman / model q"),
    (["huffman", "rans"], ["a", "b"], "run: huffman, rans / models a, b"),
    (["ctw"], [], "run: ctw"),
])
def test_what_runs_is_named_by_command_schemes_and_models(schemes, models, said):
    assert running("run", schemes, models) == said


@settings(max_examples=100, deadline=None)
@given(names=st.lists(st.text(max_size=20), min_size=1, max_size=3))
def test_a_name_a_terminal_would_act_on_is_shown_escaped(names):
    """A model named by its file may hold a line break or an escape sequence: the line stays one line."""
    what = running("run", ["huffman"], names)
    assert what.isprintable()
    assert all(name in what for name in names if name.isprintable())


@pytest.mark.parametrize("width", [1, 2, 3])
def test_a_terminal_too_narrow_for_the_percentage_gets_nothing_not_a_part_of_it(width):
    bar = Progress(1000, what="run: huffman", enabled=False)
    bar.done = 660
    assert bar.line(10.0, width) == ""
    assert bar.line(10.0, 5) == "66%"


def test_a_terminal_of_zero_columns_is_a_terminal_of_unknown_width(monkeypatch):
    """A terminal whose size was never set says 0 columns: the width is then the environment's (COLUMNS)."""
    monkeypatch.setattr(progress.os, "get_terminal_size", lambda fd: progress.os.terminal_size((0, 0)))
    monkeypatch.setenv("COLUMNS", "100")

    class SizeUnset(Terminal):
        def fileno(self):
            return 2

    assert progress.terminal_width(SizeUnset()) == 100
