"""One output path: every command that prints a table takes --format and -o through one option, and
every format writes the same records with the same field names."""

import csv
import dataclasses
import io
import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from codesim.cli import main
from codesim.coders import available, build, registry
from codesim.files import container
from codesim.present import report
from codesim.scenario import load
from codesim.simulation.simulate import Measurement

from .conftest import SCENARIOS
from .hostile import assert_one_line_error

NASA = str(SCENARIOS / "nasa-temperature.toml")
RUN = ["--model", "uniform", "--scheme", "huffman", "--scheme", "arithmetic", "-n", "500", "--trials", "2", "-q"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def csim(tmp_path_factory):
    path = tmp_path_factory.mktemp("inspect") / "s.csim"
    result = invoke("encode", NASA, "--model", "uniform", "--scheme", "huffman", "-n", "50", "-o", path)
    assert result.exit_code == 0, result.output
    return path


#: Each table command's arguments, the key of its records in JSON, and fields every record has.
COMMANDS = {
    "run": ([NASA, *RUN], "results", {"model", "scheme", "bits_per_symbol", "ci95", "verified", "bits"}),
    "compare": ([NASA, *RUN], "results", {"model", "scheme", "rank", "ci95", "code_loss_bits", "verified"}),
    "converge": ([NASA, *RUN, "--lengths", "10,100"], "points",
                 {"model", "scheme", "length", "bits_ci95", "llr_ci95", "verified"}),
    "sweep": ([NASA, *RUN, "--mix", "0:1:3"], "points", {"model", "t", "scheme", "ci95", "excess_bits_per_symbol"}),
    "schemes": ([], "results", {"name", "summary", "groups", "params"}),
    "bench": (["-n", "1000", "--scheme", "huffman", "--source", "nasa", "--no-peers"], "results",
              {"scheme", "source", "length", "verified", "overhead_bits_per_symbol"}),
    "inspect": (["{csim}", "--symbols", "3"], "table", {"symbol", "q", "codeword", "length"}),
}


def _args(command, csim):
    args, key, fields = COMMANDS[command]
    return [command, *(str(csim) if a == "{csim}" else a for a in args)], key, fields


def test_every_command_that_prints_a_table_is_covered():
    listed = {name for name, cmd in main.commands.items() if any(p.name == "fmt" for p in cmd.params)}
    assert listed - {"sample", "decode", "report"} == set(COMMANDS)  # those three write files of their own kind
    for name in COMMANDS:
        params = {p.name: p for p in main.commands[name].params}
        assert list(params["fmt"].type.choices) == list(report.FORMATS)
        assert {"output", "force"} <= set(params)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_json_and_csv_hold_the_same_records_with_the_same_fields(command, csim):
    args, key, fields = _args(command, csim)
    as_json = invoke(*args, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.stdout, parse_constant=lambda c: pytest.fail(f"non-JSON token {c}"))
    records = doc[key]
    assert records and all(fields <= set(r) for r in records)
    as_csv = invoke(*args, "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == len(records)
    for record, row in zip(records, rows):
        for name, value in record.items():
            if name.endswith("ci95"):  # an interval: two columns in CSV, a two-element array in JSON
                assert name not in row
                low, high = row[f"{name}_low"], row[f"{name}_high"]
                assert (value is None and low == high == "") or [float(low), float(high)] == pytest.approx(value)
            elif isinstance(value, bool):  # booleans: JSON's true/false, one spelling in every CSV
                assert row[name] == json.dumps(value)
            elif isinstance(value, list) and value and all(isinstance(v, int) for v in value):
                assert row[name] == " ".join(map(str, value))
            elif isinstance(value, (list, dict)):  # anything else nested: compact JSON in one cell
                assert row[name] == json.dumps(value, separators=(",", ":"))
            elif value is None:
                assert row[name] == ""
            elif "per_second" in name or "ratio" in name:  # timings: two runs differ
                assert float(row[name]) > 0
            elif isinstance(value, (int, float)) and value is not None:
                assert float(row[name]) == pytest.approx(value)
            elif isinstance(value, str):
                assert row[name] == value


@pytest.mark.parametrize("fmt", ["table", "markdown"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_table_and_markdown_show_every_record(command, fmt, csim):
    args, key, _ = _args(command, csim)
    records = json.loads(invoke(*args, "--format", "json").stdout)[key]
    result = invoke(*args, "--format", fmt)
    assert result.exit_code == 0, result.output
    first = records[0].get("scheme", records[0].get("name", records[0].get("symbol")))
    assert str(first) in result.stdout
    if fmt == "markdown":
        assert "|---" in result.stdout


def test_inspect_still_takes_text_and_prints_what_table_prints(csim):
    text = invoke("inspect", csim, "--format", "text")
    assert text.exit_code == 0 and text.stdout == invoke("inspect", csim).stdout
    assert text.stdout.startswith("file            ")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_output_file_is_written_whole_and_never_overwritten_without_force(command, csim, tmp_path):
    args, _, _ = _args(command, csim)
    target = tmp_path / "out.json"
    result = invoke(*args, "--format", "json", "-o", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    json.loads(target.read_text())
    assert sorted(os.listdir(tmp_path)) == ["out.json"]  # no temporary file left beside it
    target.write_text("keep")
    refused = invoke(*args, "--format", "json", "-o", target)
    assert_one_line_error(refused, 1, "already exists; use --force")
    assert target.read_text() == "keep"
    forced = invoke(*args, "--format", "json", "-o", target, "--force")
    assert forced.exit_code == 0, forced.output
    json.loads(target.read_text())


def test_an_output_that_cannot_be_written_is_refused_before_the_work(tmp_path):
    (tmp_path / "dir").mkdir()
    result = invoke("run", NASA, *RUN, "-o", tmp_path / "dir")
    assert_one_line_error(result, 1, "is a directory")
    assert invoke("run", NASA, *RUN, "-o", "-").stdout == invoke("run", NASA, *RUN).stdout


def test_the_default_set_is_a_fixed_group_declared_by_the_schemes():
    groups = registry.groups()
    assert groups["default"] == ("fixed", "shannon", "huffman", "arithmetic", "rans")
    assert groups["stream"] == ("arithmetic", "rans")
    assert set(groups["learners"]) == {"adaptive-arithmetic", "adaptive-huffman", "ctw", "lz78"}
    assert "huffman" in groups["prefix"] and "arithmetic" not in groups["prefix"]
    assert groups["all"] == tuple(s.name for s in available())
    for scheme in available():
        assert set(scheme.groups) <= set(groups) - {"all"}


def test_a_scheme_registered_with_a_group_s_name_is_refused():
    with pytest.raises(ValueError, match="names both a scheme and a group"):
        registry.register(dataclasses.replace(registry.get("huffman"), name="prefix"))
    with pytest.raises(ValueError, match="names both a scheme and a group"):
        registry.register(dataclasses.replace(registry.get("huffman"), name="x", groups=("huffman",)))


def test_groups_select_their_schemes_once_each_in_order():
    specs, unfit = registry.select(["rans", "stream", "default"])
    assert [s.name for s in specs] == ["rans", "arithmetic", "fixed", "shannon", "huffman"] and unfit == {}
    with pytest.raises(Exception, match=r"unknown scheme or group 'prefx' \(did you mean 'prefix'\?\)"):
        registry.select(["prefx"])
    assert_one_line_error(invoke("run", NASA, "--scheme", "stram"), 2, "did you mean 'stream'")


def test_scheme_groups_on_the_command_line():
    result = invoke("run", NASA, "--model", "uniform", "-n", "300", "--trials", "2", "-q", "--scheme", "learners",
                    "--scheme", "huffman", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]
    # Rows of the model come first; the schemes that learn follow, once each, with no model.
    assert [(r["model"], r["scheme"]) for r in rows] == [
        ("uniform", "huffman"), *((None, name) for name in registry.groups()["learners"])]
    assert "prefix" in invoke("run", "--help").stdout


@pytest.mark.parametrize("group", ["prefix", "learners", "all"])
def test_encode_takes_one_scheme_not_a_group(tmp_path, group):
    out = tmp_path / "g.csim"
    result = invoke("encode", NASA, "--model", "uniform", "--scheme", group, "-o", out)
    assert_one_line_error(result, 2, f"'{group}' is a group of schemes; this command takes one scheme")
    assert not out.exists()


def test_a_run_without_schemes_anywhere_uses_the_default_set(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('alphabet = ["a", "b", "c"]\n[source]\nprobs = [0.5, 0.25, 0.25]\n[models.q]\nuniform = true\n')
    result = invoke("run", path, "-n", "200", "--trials", "2", "-q", "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert [r["scheme"] for r in json.loads(result.stdout)["results"]] == list(registry.groups()["default"])


def test_a_group_s_scheme_that_cannot_be_built_from_a_model_is_skipped_with_one_line(tmp_path):
    path = tmp_path / "tiny.toml"  # q(c) = 1e-300: Shannon's length for it is far past any decoder's limit
    path.write_text('alphabet = ["a", "b", "c"]\n[source]\nprobs = [0.5, 0.25, 0.25]\n'
                    "[models.q]\nprobs = [0.5, 0.5, 1e-300]\n")
    with pytest.raises(Exception):
        build("shannon", [0.5, 0.5, 1e-300])
    result = invoke("run", path, "-n", "200", "--trials", "2", "-q", "--format", "json")
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("skipped scheme 'shannon'") and "(model 'q')" in line for line in lines)
    ran = [r["scheme"] for r in json.loads(result.stdout)["results"]]
    assert "shannon" not in ran and "huffman" in ran
    named = invoke("run", path, "-n", "200", "--trials", "2", "-q", "--scheme", "shannon")
    assert named.exit_code == 1 and "shannon" in named.stderr  # named on its own: an error, as before


# -- rows without a model (schemes that learn) ------------------------------------------------------------
#: What a learner's measurement has none of: the model, and every figure of it.
MODEL_FIELDS = ("model", "expected_bits_per_symbol", "ideal_bits_per_symbol", "sample_kl_bits", "cross_entropy_bits",
                "kl_bits", "code_kl_bits", "model_order")


@pytest.fixture(scope="module")
def with_learner():
    from codesim.scenario import for_command
    from codesim.simulation.simulate import simulate_many

    sc, _ = for_command(load(NASA), ("uniform",), ("huffman", "adaptive-arithmetic"), length=300, trials=2)
    return sc, simulate_many(sc.source, sc.models, sc.run.schemes, length=300, trials=2, seed=1)


def _cells(text: str, fmt: str, scheme: str) -> list[str]:
    """The cells of the row of ``scheme`` in a table or Markdown, by the header's columns."""
    lines = text.splitlines()
    if fmt == "markdown":
        row = next(x for x in lines if f"| {scheme} |" in x)
        return [c.strip() for c in row.strip("|").split("|")]
    at = next(i for i, x in enumerate(lines) if f" {scheme} " in f" {x} ")
    head = max(i for i in range(at) if lines[i].startswith(("model ", "rank ")))  # the row's own section
    rule, row = lines[head + 1], lines[at]
    spans, at = [], 0
    for dashes in rule.split("  "):
        start = rule.index(dashes, at)
        spans.append((start, start + len(dashes)))
        at = start + len(dashes)
    return [row[a:b].strip() for a, b in spans]


def test_a_learner_has_no_model_figures_in_any_format(with_learner):
    """A learner's row: null in JSON, empty in CSV, blank cells under the model's columns in a table and in
    Markdown (where a model's undefined figure says n/a), and one line saying so under the table."""
    sc, ms = with_learner
    learner = next(m for m in ms if m.scheme == "adaptive-arithmetic")
    assert all(getattr(learner, name) is None for name in MODEL_FIELDS) and learner.entropy_bits > 0
    head = report.header(sc)
    for render, columns in ((report.render, report.COLUMNS), (report.render_compare, report.COMPARE_COLUMNS)):
        doc = json.loads(render("json", head, ms, "t"))
        row = next(r for r in doc["results"] if r["scheme"] == "adaptive-arithmetic")
        assert all(row[name] is None for name in MODEL_FIELDS) and row["bits_per_symbol"] > 0
        assert not any("results" in n and ".model" in n for n in doc["notes"])
        rows = list(csv.DictReader(io.StringIO(render("csv", head, ms, "t"))))
        row = next(r for r in rows if r["scheme"] == "adaptive-arithmetic")
        assert all(row[name] == "" for name in MODEL_FIELDS) and row["bits_per_symbol"] and row["entropy_bits"]
        for fmt in ("table", "markdown"):
            text = render(fmt, head, ms, "t")
            cells = dict(zip([c.head for c in columns], _cells(text, fmt, "adaptive-arithmetic")))
            assert all(cells[c.head] == "" for c in columns if c.model_only), cells
            assert all(cells[c.head] not in ("", "n/a") for c in columns if not c.model_only and c.head != "95% CI")
            modelled = dict(zip([c.head for c in columns], _cells(text, fmt, "huffman")))
            assert all(modelled[c.head] not in ("", "n/a") for c in columns), modelled
            assert "None" not in text and "n/a" not in _cells(text, fmt, "adaptive-arithmetic")
    table = report.render("table", head, ms, "t")
    assert "Model 'None'" not in table and "Model 'uniform' costs D(p||q)" in table
    assert table.count("takes no model") == 1
    assert "adaptive-arithmetic learns from the message and takes no model, so its row has no model figures" in table
    compared = report.render_compare("table", head, ms, "t")
    assert "Schemes that learn (no model)" in compared and compared.count("takes no model") == 1
    assert ("adaptive-arithmetic learns from the message and takes no model: its row leaves the model's columns "
            "blank (D(p||q) and excess-D).") in compared


def test_encode_with_a_learner_refuses_a_model_and_never_says_it_coded_from_one(tmp_path):
    """A model given to a scheme that learns would be ignored, so it is refused as a misused command line
    (exit 2, one line); without --model the summary says the scheme learned as it coded."""
    target = tmp_path / "a.csim"
    refused = invoke("encode", NASA, "--scheme", "adaptive-huffman", "--model", "swapped", "-n", "100", "-o", target)
    assert refused.exit_code == 2 and not target.exists()
    (line,) = refused.stderr.strip().splitlines()
    assert "scheme 'adaptive-huffman' learns as it codes and takes no model: leave out --model" in line
    done = invoke("encode", NASA, "--scheme", "adaptive-huffman", "-n", "100", "-o", target)
    assert done.exit_code == 0 and "learning as it codes (no model)" in done.stdout + done.stderr
    assert "from model" not in done.stderr + done.stdout


def test_a_learner_runs_once_whatever_the_number_of_models():
    """With several models, a scheme that learns is one row (it takes none of them), after the models' rows."""
    out = json.loads(invoke("run", NASA, "--model", "uniform", "--model", "swapped", "--scheme", "huffman",
                            "--scheme", "adaptive-huffman", "-n", "300", "--trials", "2", "-q",
                            "--format", "json").stdout)
    assert [(r["model"], r["scheme"]) for r in out["results"]] == [
        ("uniform", "huffman"), ("swapped", "huffman"), (None, "adaptive-huffman")]


def test_summary_says_nothing_about_a_model_for_rows_without_one(with_learner):
    _, ms = with_learner
    said = report.summary(ms)
    assert not any("None" in s for s in said)
    assert sum("D(p||q)" in s and "Model" in s for s in said) == 1  # the one model's sentence only


def test_the_run_figure_gives_rows_without_a_model_a_group_of_their_own(with_learner):
    pytest.importorskip("matplotlib")
    from codesim.present import page, plots

    sc, ms = with_learner
    ax = plots.run_figure(ms, "t").axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == 2 and labels[0].startswith("uniform") and labels[1] == plots.LEARNERS_TICK
    # One dashed H(p,q) mark, for the model; the learners' group has none to compare against.
    assert sum(len(c.get_segments()) for c in ax.collections if c.get_linestyle()[0][1]) == 1
    learner = [m for m in ms if m.model is None][0]
    heights = [bar.get_height() for c in ax.containers if hasattr(c, "patches") for bar in c.patches]
    assert learner.bits_per_symbol in heights
    assert plots.run_figure([learner], "t").axes[0].get_xticklabels()[0].get_text() == plots.LEARNERS_TICK
    text = page.render("markdown", sc, ms, [], report.summary(ms))
    assert "|  | adaptive-arithmetic |" in text and "### Model 'None'" not in text


def test_inspect_json_keeps_the_whole_document(csim):
    doc = json.loads(invoke("inspect", csim, "--format", "json").stdout)
    assert doc["scheme"] == "huffman" and doc["table"] and doc["trace"] and doc["notes"] == []
    assert container.decode_file(str(csim))[1].size == doc["symbols"]


@pytest.mark.parametrize("command, extra", [("converge", ["--lengths", "50,100"]), ("sweep", ["--mix", "0,1"])])
def test_the_models_note_appears_only_when_a_row_has_a_model(command, extra):
    base = [command, NASA, "--model", "uniform", "-n", "100", "--trials", "2", "-q", *extra]
    alone = invoke(*base, "--scheme", "learners").stdout
    both = invoke(*base, "--scheme", "learners", "--scheme", "huffman").stdout
    note = report.CONVERGE_NOTE if command == "converge" else report.SWEEP_NOTE
    learners = "adaptive-arithmetic, adaptive-huffman, ctw and lz78 learn from the message and take no model"
    assert note not in alone and alone.count(learners) == 1
    assert note in both and both.count(learners) == 1 and both.count("take no model") == 1


def test_inspect_json_notes_each_value_written_as_null_once_by_its_place(tmp_path):
    code = build("huffman", [0.5, 0.25, 0.25])
    path = tmp_path / "z.csim"
    path.write_bytes(container.dumps(code, code.encode(np.array([0, 1, 0, 1])), 4, ["a", "b", "c"],
                                     model=[0.5, 0.5, 0.0]))
    doc = json.loads(invoke("inspect", path, "--format", "json").stdout)
    assert doc["table"][2]["ideal_bits"] is None
    assert doc["notes"] == ["table[2].ideal_bits is inf (written as null: JSON has no infinity or NaN)"]
