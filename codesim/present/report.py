"""Measurements -> text: aligned tables, JSON, CSV, Markdown, and sentences saying what they show.

Pure formatting: nothing here computes a measure. JSON follows RFC 8259 strictly, so a value that is
not finite (D(p||q) = inf when q rules out a symbol p emits) is written as null and explained in
``notes``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import counted
from ..simulation.simulate import Measurement
from ..version import version
from . import terms

if TYPE_CHECKING:
    from ..scenario import Scenario

FORMATS = ("table", "json", "csv", "markdown")


# -- cells ----------------------------------------------------------------------------------------------
def _number(x: float, digits: int = 4) -> str:
    if x is None:
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if math.isnan(x):
        return "n/a"
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.0000"


def show(value: Any) -> str:
    """A value as a table cell: numbers to four decimals, an interval as [low, high], a boolean as
    yes or NO (a failure stands out), nothing (a learner's model, an undefined figure) as n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, float) for v in value):
        return f"[{value[0]:.4f}, {value[1]:.4f}]"
    return str(value)


def _one_trial(value: Any) -> str:
    return "n/a (1 trial)" if value is None else show(value)


def _length(n: int) -> str:
    """A stream length: 1e+06 for a power of ten from 1000 on, the whole number otherwise (1048576, not
    1e+06; 1 and 100, not 1e+00 and 1e+02)."""
    short = f"{n:.0e}"
    return short if n >= 1000 and float(short) == n else str(n)


def _millions(value: float) -> str:
    return f"{value / 1e6:.2f}"


@dataclass(frozen=True)
class Column:
    """A column of a table or Markdown view: its heading, and its cell for a record."""

    head: str
    field: str
    cell: Callable[[Any], str] = show
    whole: bool = False  # the cell is made from the whole record, not only from its field
    #: A figure of the model q: blank in the row of a scheme that learns (``model`` None), which has no
    #: model; a blank cell says "not applicable", where n/a says a figure is undefined.
    model_only: bool = False

    def of(self, record: Mapping[str, Any]) -> str:
        if self.model_only and learner_row(record):
            return ""
        return self.cell(record if self.whole else record[self.field])


def learner_row(record: Mapping[str, Any]) -> bool:
    """Whether a record is the row of a scheme that learns: it has a ``model`` field, and it is None."""
    return "model" in record and record["model"] is None


def _model(head: str, name: str, cell: Callable[[Any], str] = show) -> Column:
    """A column of a figure of the model (blank in a learner's row)."""
    return Column(head, name, cell, model_only=True)


#: The columns of ``codesim run`` (and of the report page).
COLUMNS = (
    _model("model", "model"), Column("scheme", "scheme"), Column("bits/sym", "bits_per_symbol"),
    Column("95% CI", "ci95", _one_trial), _model("expected", "expected_bits_per_symbol"),
    Column("H(p)", "entropy_bits"), _model("H(p,q)", "cross_entropy_bits"), _model("D(p||q)", "kl_bits"),
    Column("excess", "excess_bits_per_symbol"), _model("D(p||r)", "code_kl_bits"), Column("verified", "verified"),
)

#: Columns of ``codesim compare``, after the rank.
COMPARE_COLUMNS = (
    Column("rank", "rank"), Column("scheme", "scheme"), Column("bits/sym", "bits_per_symbol"),
    Column("95% CI", "ci95", _one_trial), Column("excess", "excess_bits_per_symbol"), _model("D(p||q)", "kl_bits"),
    _model("excess-D", "code_loss_bits"), Column("enc Msym/s", "encode_symbols_per_second", _millions),
    Column("dec Msym/s", "decode_symbols_per_second", _millions), Column("verified", "verified"),
)

#: Fields of a run's records (JSON and CSV), in order; those added later come after the first ones, so
#: a CSV reader that counts columns still finds them. For a source with memory the figures of p and q
#: are rates (see :mod:`codesim.present.terms`); ``model_order`` is how many symbols of context the
#: model looks at (0: i.i.d.; null for a scheme that learns); ``limit_bits_per_symbol`` what a scheme
#: that learns tends to, ``scheme_note`` how a scheme codes where its bits need it said, and
#: ``digits_per_symbol`` the digits of a D-ary code (null for a binary one).
FIELDS = (
    "model", "scheme", "length", "trials", "bits_per_symbol", "ci95", "expected_bits_per_symbol",
    "ideal_bits_per_symbol", "sample_kl_bits", "entropy_bits", "cross_entropy_bits", "kl_bits",
    "code_kl_bits", "excess_bits_per_symbol", "verified", "marginal_entropy_bits", "memory_bits", "model_order",
    "limit_bits_per_symbol", "scheme_note", "digits_per_symbol", "bits",
)


def named(columns: Sequence[Column], words: terms.Terms) -> tuple[Column, ...]:
    """``columns`` (headed for an i.i.d. source) with the headings of ``words``' kind of source."""
    return tuple(replace(c, head=words.heading(c.head)) for c in columns)


# -- one writer per format ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Section:
    """Records shown as one table, under a line of their own when ``intro`` is given."""

    records: Sequence[Mapping[str, Any]]
    columns: Sequence[Column]
    intro: str = ""
    left: int = 2  # leading columns of words, left-aligned; the others are right-aligned


@dataclass(frozen=True)
class Output:
    """What a command prints, in a form every writer takes.

    ``records`` are flat (one level of fields, the same names in every format): JSON gives them as they
    are, under ``key`` beside the ``header`` fields, with ``notes``; CSV gives one row each. Both record
    the :data:`PROVENANCE`, the seed taken from the header (none: nothing was drawn). Table and Markdown
    show the title and the setting (beside the title; under it when the sections have lines of their
    own, as compare's models do), the ``sections``, then ``words`` (a list in Markdown) and ``notes`` (as
    they are); a ``description`` goes between the title and the tables, wrapped. ``text`` replaces the
    table view of a command whose view is not a table (schemes, inspect).
    """

    records: Sequence[Mapping[str, Any]]
    sections: Sequence[Section] = ()
    header: Mapping[str, Any] | None = None
    key: str = "results"
    title: str = ""
    setting: str = ""
    words: Sequence[str] = ()
    notes: Sequence[str] = ()
    text: str | None = None
    description: str = ""


def write(fmt: str, out: Output) -> str:
    """``out`` in one of FORMATS."""
    if fmt == "json":
        return to_json(out)
    if fmt == "csv":
        return to_csv(out)
    if fmt == "markdown":
        return _markdown(out)
    if fmt == "table":
        return out.text if out.text is not None else _table(out)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def grid(section: Section) -> list[str]:
    """A section as aligned columns: the first ``left`` left-aligned, the rest right-aligned."""
    return _grid([c.head for c in section.columns], _cells(section), section.left)


def pipes(section: Section) -> list[str]:
    """A section as a Markdown pipe table, aligned as :func:`grid` aligns it."""
    return _pipes([c.head for c in section.columns], _cells(section), section.left)


def _cells(section: Section) -> list[list[str]]:
    # A name with a line break (a model named by its file) would split its row: shown escaped.
    return [[printable(c.of(r)) for c in section.columns] for r in section.records]


def _table(out: Output) -> str:
    if any(s.intro for s in out.sections):
        lines = [out.title, out.setting, ""]
        for s in out.sections:
            lines += [s.intro, *grid(s), ""]
        return "\n".join(lines + [*out.words, *out.notes])
    heading = f"{out.title} ({out.setting})" if out.setting else out.title
    lines = [heading, ""] if heading else []
    lines += [*_wrapped(out.description), ""] if out.description.strip() else []
    lines += [line for s in out.sections for line in grid(s)]
    after = [*out.words, *out.notes]
    return "\n".join(lines + (["", *after] if after else []))


def _wrapped(text: str, width: int = 100) -> list[str]:
    """Paragraphs (blank-line separated) refilled to ``width`` columns, a blank line between them."""
    out: list[str] = []
    for paragraph in (p for p in text.strip().split("\n\n") if p.strip()):
        out += [*([""] if out else []), *textwrap.wrap(" ".join(paragraph.split()), width, break_on_hyphens=False)]
    return out


def _markdown(out: Output) -> str:
    if any(s.intro for s in out.sections):
        lines = [f"## {out.title}", *([out.setting] if out.setting else []), ""]
        for s in out.sections:
            lines += [s.intro, *pipes(s), ""]
        return "\n".join(lines + [*(f"- {w}" for w in out.words), *out.notes])
    lines = [f"## {out.title}", ""] if out.title else []
    lines += [out.setting, ""] if out.setting else []
    lines += [" ".join(out.description.split()), ""] if out.description.strip() else []
    lines += [line for s in out.sections for line in pipes(s)]
    after = [*(f"- {w}" for w in out.words), *out.notes]
    return "\n".join(lines + (["", *after] if after else []))


def _is_interval(name: str) -> bool:
    return name.endswith("ci95")


#: What every JSON and CSV output records of where its figures came from: the codesim that made them,
#: and the seed their streams were drawn from (null, an empty cell, where nothing was drawn).
PROVENANCE = ("codesim_version", "seed")


def provenance(out: Output) -> dict[str, Any]:
    """``out``'s :data:`PROVENANCE`: this codesim's version, and the seed its header gives."""
    return {"codesim_version": version(), "seed": (out.header or {}).get("seed")}


def to_csv(out: Output) -> str:
    """One row per record, the fields in order; an interval (a field named ...ci95) becomes two columns,
    ..._low and ..._high, after the others, and a list of numbers (per-trial bits) is joined by spaces
    in the columns after them. The last two columns are the :data:`PROVENANCE`, the same in every row
    (added last, so that a reader counting columns finds the others where they were). Any other nested
    value is written as compact JSON."""
    records = out.records
    if not records:
        return ""
    stamp = provenance(out)
    names = list(records[0])
    # A column of numbers lists in every record (not only the first, whose list may be empty).
    lists = [n for n in names if not _is_interval(n) and any(r[n] for r in records)
             and all(isinstance(r[n], (list, tuple)) and all(_is_number(v) for v in r[n]) for r in records)]
    intervals = [n for n in names if _is_interval(n)]
    plain = [n for n in names if n not in lists and n not in intervals]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*plain, *(f"{n}_{end}" for n in intervals for end in ("low", "high")), *lists, *stamp])
    for r in records:
        cells = [_csv_cell(r[n]) for n in plain]
        for n in intervals:
            cells += list(r[n]) if r[n] is not None else ["", ""]
        cells += [" ".join(map(str, r[n])) for n in lists]
        writer.writerow(cells + ["" if v is None else _csv_cell(v) for v in stamp.values()])
    return buf.getvalue().rstrip("\n")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"  # as JSON spells them, so a CSV reader sees one spelling
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(_finite(value, "", []), separators=(",", ":"))
    return value


def _finite(value: Any, path: str, notes: list[str]) -> Any:
    """The value with non-finite floats replaced by null, each replacement noted."""
    if isinstance(value, float) and not math.isfinite(value):
        notes.append(f"{path} is {value} (written as null: JSON has no infinity or NaN)")
        return None
    if isinstance(value, (list, tuple)):
        return [_finite(v, f"{path}[{i}]", notes) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _finite(v, f"{path}.{k}" if path else k, notes) for k, v in value.items()}
    return value


def to_json(out: Output) -> str:
    """Strict JSON (RFC 8259): one object, the :data:`PROVENANCE` first, then the header's fields, the
    records under ``key`` and ``notes`` naming each value written as null because it is not finite."""
    notes: list[str] = []
    records = [_finite(dict(r), f"{out.key}[{i}]", notes) for i, r in enumerate(out.records)]
    # The header's fields sit at the top level, beside the records (which it may hold too: inspect's).
    header = {k: v for k, v in (out.header or {}).items() if k != out.key}
    doc = {**provenance(out), **_finite(header, "", notes), out.key: records, "notes": notes}
    return json.dumps(doc, indent=2, allow_nan=False)


def _pipes(header: list[str], rows: list[list[str]], left: int) -> list[str]:
    """A Markdown pipe table: the first ``left`` columns left-aligned, the rest right-aligned."""
    marks = ["---" if i < left else "---:" for i in range(len(header))]
    cell = lambda text: text.replace("|", "\\|")
    return ["| " + " | ".join(map(cell, header)) + " |", "|" + "|".join(marks) + "|",
            *("| " + " | ".join(map(cell, r)) + " |" for r in rows)]


def _grid(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    """Aligned columns: the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(c.ljust(w) if i < left else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(header), line(["-" * w for w in widths]), *map(line, rows)]


# -- run and compare ------------------------------------------------------------------------------------
def header(scenario: "Scenario") -> dict[str, Any]:
    """The fields a run's JSON gives before its results: the scenario, and the run's settings (the seed
    among them, which JSON and CSV record beside the version, see :data:`PROVENANCE`)."""
    run = scenario.run
    return {"scenario": {"title": scenario.title, "description": scenario.description.strip(),
                         "path": scenario.path, "remarks": list(scenario.remarks), **scenario.figures},
            "length": run.length, "trials": run.trials, "seed": run.seed}


def record(m: Measurement) -> dict[str, Any]:
    """A measurement as a flat record of FIELDS."""
    d = m.to_dict()
    return {k: d[k] for k in FIELDS}


def stream_setting(head: Mapping[str, Any], words: terms.Terms, length: bool = True) -> str:
    """The run's stream setting beside the title: its length, trials and seed; for a file, which is
    coded as it is (nothing drawn, so no seed to show), that it is the file's own message."""
    if words.file and length:
        return f"{counted(head['length'], 'symbol')}: the file's own message, coded once"
    if words.file:  # converge codes its first symbols, sweep all of it
        return f"the file's own message of {counted(head['length'], 'symbol')}, nothing drawn"
    trials = f"{counted(head['trials'], 'trial')}, seed {head['seed']}"
    return f"{counted(head['length'], 'symbol')} x {trials}" if length else trials


def summary(measurements: Sequence[Measurement]) -> list[str]:
    """Sentences saying what the table shows: the floor (the entropy rate, H(p) for an i.i.d. source),
    the memory of a source that has some, each model's cost in extra bits, and what the schemes that
    learn (rows without a model) spent. A file has no known entropy rate: its order-0 entropy H0 is
    said to be no floor, and codes that spend less than it are explained."""
    if not measurements:
        return []
    words = terms.of(measurements)
    lines = _opening(measurements[0], words)
    by_model: dict[str | None, list[Measurement]] = {}
    for m in measurements:
        by_model.setdefault(m.model, []).append(m)
    for model, ms in by_model.items():
        lines.append(_cost(model, ms, words))
        if model is None:
            lines += _learning(ms, words)
    beaten = [m for m in measurements if m.bits_per_symbol < m.entropy_bits]
    if words.file and beaten:
        shown = ", ".join(m.scheme + (f" with {m.model}" if m.model else "") + f" ({m.bits_per_symbol:.3f})"
                          for m in beaten)
        lines.append(f"{shown} spend{'s' if len(beaten) == 1 else ''} less than H0: the file has memory that "
                     "order 0 does not see (a symbol depends on the symbols before it), which a model of order "
                     "k, or a scheme that learns, uses.")
    lines += _scheme_notes(measurements)
    lines.append(EXCESS_NOTES[words.kind])
    if any(not m.verified for m in measurements):
        lines.append("WARNING: some streams did not decode back to the original (verified = NO).")
    return lines


#: The last sentence of a run's words: what excess means, per kind of source.
EXCESS_NOTES = {
    "iid": "Excess = measured bits/sym - H(p). A prefix code spends whole bits, so its expected excess is "
           "D(p||r) + log2(1/c), with r(x) = 2^-l(x)/c the distribution its lengths assume (D^-l(x)/c for "
           "digits of radix D); a coder "
           "spending -log2 q(x) per symbol would show exactly D(p||q).",
    "memory": "Excess = measured bits/sym - H, the entropy rate. A prefix code spends whole bits, so its expected "
              "excess is its D(p||r) rate plus its Kraft slack, with r(x | context) = 2^-l/c what its lengths "
              "assume in each context (for a code without contexts, the memory plus D(marginal||r)); a coder "
              "spending -log2 q(x | context) per symbol would show exactly the model's D(p||q) rate.",
    "file": "Excess = measured bits/sym - H0. A prefix code spends whole bits, so its expected excess over H0 is "
            "D(p||r) + log2(1/c), with p the file's frequencies and r(x) = 2^-l(x)/c (D^-l(x)/c for radix D) the "
            "distribution its "
            "lengths assume; a coder spending -log2 q(x) per symbol would show exactly D(p||q) for an order-0 "
            "model, and H(p,q) - H0 for a model with memory.",
}


def _opening(m: Measurement, words: terms.Terms) -> list[str]:
    """What the least a code can spend is, and the source's memory where it has some."""
    h = m.entropy_bits
    if words.file:
        return [f"H0 = {h:.4f} bits per symbol: the file's order-0 entropy (its symbols' frequencies); "
                "the file has no known entropy rate."]
    if not words.memory:
        return [f"H(p) = {h:.4f} bits per symbol: no code spends less on average."]
    return [f"Entropy rate H = {h:.4f} bits per symbol: no code spends less on average.",
            f"One symbol on its own has entropy H(X) = {m.marginal_entropy_bits:.4f} bits, so an i.i.d. model "
            f"loses at least memory = H(X) - H = {m.memory_bits:.4f} bits per symbol: the dependence between "
            "successive symbols that it ignores."]


def _cost(model: str | None, ms: Sequence[Measurement], words: terms.Terms) -> str:
    """One model's cost in theory beside what its schemes spent over the floor."""
    over = words.floor
    spent = ", ".join(f"{m.scheme} {m.excess_bits_per_symbol:+.3f}" for m in ms)
    first = ms[0]
    kl, order = first.kl_bits, first.model_order
    if model is None:
        one = len(ms) == 1
        return (f"{_names(ms)} learn{'s' * one} from the message and take{'s' * one} no model, so "
                f"{'its row has' if one else 'their rows have'} no model figures (blank); measured excess over "
                f"{over}: {spent}.")
    if kl is None or math.isnan(kl):
        hpq = first.cross_entropy_bits
        if words.file and order and hpq is not None:
            return (f"Model '{model}' looks at {counted(order, 'symbol')} of context: its ideal cost "
                    f"on the file is H(p,q) = {hpq:.3f} bits per symbol, {hpq - first.entropy_bits:+.3f} against "
                    f"H0; measured excess over H0: {spent}.")
        return f"Model '{model}': measured excess over {over}: {spent}."
    if math.isinf(kl):
        where = " in some context" if words.memory else ""
        return (f"Model '{model}' gives probability 0 to a symbol the source emits{where}, so {words.kl} = inf: "
                f"a code spending -log2 q(x) could not encode it at all. The codes here still give that "
                f"symbol a codeword, so the measured bits stay finite (excess over {over}: {spent}).")
    if kl == 0:
        return (f"Model '{model}' is the source itself ({words.kl} = 0); what remains is each code's own "
                f"loss: {spent} bits per symbol over {over}.")
    if words.memory and order == 0:
        memory = first.memory_bits
        return (f"Model '{model}' is i.i.d., so it pays for the memory it ignores: its KL divergence rate is "
                f"memory + D(marginal||q) = {memory:.3f} + {max(0.0, kl - memory):.3f} = {kl:.3f} extra bits "
                f"per symbol in theory; measured excess over {over}: {spent}.")
    if words.memory:
        looks = f" (order {order})" if order else ""
        return (f"Model '{model}'{looks} costs its KL divergence rate, D(p||q) rate = {kl:.3f} extra bits per "
                f"symbol in theory; measured excess over {over}: {spent}.")
    return (f"Model '{model}' costs D(p||q) = {kl:.3f} extra bits per symbol in theory; measured excess over "
            f"{over}: {spent}.")


def _learning(ms: Sequence[Measurement], words: terms.Terms) -> list[str]:
    """What the excess of the schemes that learn is made of: the memory a scheme does not model (its limit
    over the entropy rate) and its regret (its bits over its limit, the price of learning at this length);
    for the schemes without a known limit, whether they found the source's memory at all."""
    lines = []
    known = [m for m in ms if m.limit_bits_per_symbol is not None]
    if known:
        parts = []
        for m in known:
            regret = m.bits_per_symbol - m.limit_bits_per_symbol
            parts.append(f"{m.scheme} {m.limit_bits_per_symbol - m.entropy_bits:.3f} {'-' if regret < 0 else '+'} "
                         f"{abs(regret):.3f}")
        lines.append(f"Each one's excess is what it tends to as the stream grows, over {words.floor} (memory it "
                     "does not model, and any loss of its code itself), plus its regret, what learning costs at "
                     f"this length (below 0 where the streams happened to cost less than on average): "
                     f"{'; '.join(parts)}.")
    unknown = [m for m in ms if m.limit_bits_per_symbol is None]
    if unknown and words.memory:
        found = [m for m in unknown if m.bits_per_symbol < m.marginal_entropy_bits]
        missed = [m for m in unknown if m.bits_per_symbol >= m.marginal_entropy_bits]
        h1 = f"H(X) = {unknown[0].marginal_entropy_bits:.3f}"
        if found:
            gains = sorted(m.marginal_entropy_bits - m.bits_per_symbol for m in found)
            share = f"{gains[0]:.3f}" if len(found) == 1 else f"{gains[0]:.3f} to {gains[-1]:.3f}"
            lines.append(f"{_names(found)} spend{'s' * (len(found) == 1)} less than {h1}, the least an i.i.d. code "
                         f"averages, so {'it' if len(found) == 1 else 'they'} found at least {share} of the "
                         f"{found[0].memory_bits:.3f} bits of memory (what {'it' if len(found) == 1 else 'they'} "
                         "spend also pays for learning and for the format).")
        if missed:
            lines.append(f"{_names(missed)} spend{'s' * (len(missed) == 1)} at least {h1}: whatever memory they "
                         "found, learning and their format cost more.")
    elif unknown and not words.file:
        one = len(unknown) == 1
        lines.append(f"The source has no memory to find: what {_names(unknown)} spend{'s' * one} over {words.floor} "
                     f"is what learning and {'its' if one else 'their'} format cost.")
    return lines


def _scheme_notes(ms: Sequence[Measurement]) -> list[str]:
    """How the schemes code, where it needs saying beside their bits (``scheme_note``): a line per note,
    naming the schemes it is said of (each once, whatever models it ran with)."""
    notes: dict[str, list[str]] = {}
    for m in ms:
        if m.scheme_note and m.scheme not in notes.setdefault(m.scheme_note, []):
            notes[m.scheme_note].append(m.scheme)
    return [f"{_names(names, ', ')}: {note}." for note, names in notes.items()]


def _names(items, last: str = " and ") -> str:
    """Scheme labels (of measurements, or strings) as a list in words."""
    names = [getattr(m, "scheme", m) for m in items]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + last + names[-1]


def render(fmt: str, head: Mapping[str, Any], measurements: Sequence[Measurement], title: str = "") -> str:
    """``codesim run``: one row per (model, scheme), and what the numbers show, under the scenario's
    description (the lesson the run is there to show)."""
    words = summary(measurements) + list(head.get("scenario", {}).get("remarks", []))
    records = [record(m) for m in measurements]
    columns = named(COLUMNS, terms.of(measurements))
    return write(fmt, Output(records, [Section(records, columns)], header=head, title=title,
                             setting=stream_setting(head, terms.of(measurements)), words=words,
                             description=head.get("scenario", {}).get("description", "")))


def ranked(measurements: Sequence[Measurement]) -> list[tuple[int, Measurement]]:
    """(rank, measurement) per model, fewest measured bits first; models keep their order."""
    out: list[tuple[int, Measurement]] = []
    for model in dict.fromkeys(m.model for m in measurements):
        group = sorted((m for m in measurements if m.model == model), key=lambda m: m.bits_per_symbol)
        out += list(enumerate(group, 1))
    return out


def _compare_intro(m: Mapping[str, Any], words: terms.Terms) -> str:
    figures = f"{words.entropy} = {_number(m['entropy_bits'])}"
    if m["model"] is None:
        return f"Schemes that learn (no model): {figures} bits per symbol"
    return (f"Model '{m['model']}': {figures}, {words.cross} = {_number(m['cross_entropy_bits'])}, "
            f"{words.kl} = {_number(m['kl_bits'])} bits per symbol")


def render_compare(fmt: str, head: Mapping[str, Any], measurements: Sequence[Measurement], title: str = "") -> str:
    """``codesim compare``: per model, the schemes ranked by measured bits per symbol; for a source with
    memory or a file, what its entropy figure is said under the tables."""
    words = terms.of(measurements)
    records = [{**record(m), "rank": r, "code_loss_bits": None if m.model is None else m.code_loss_bits,
                "encode_symbols_per_second": m.encode_symbols_per_second,
                "decode_symbols_per_second": m.decode_symbols_per_second} for r, m in ranked(measurements)]
    sections = []
    columns = named(COMPARE_COLUMNS, words)
    for model in dict.fromkeys(r["model"] for r in records):
        group = [r for r in records if r["model"] == model]
        sections.append(Section(group, columns, _compare_intro(group[0], words)))
    note = (f"excess-D = measured excess over {words.floor} minus {words.kl}: what the code itself adds "
            "(whole-bit lengths, frequency quantisation, termination). Throughput is symbols per "
            "second over all trials, in millions, on this machine.")
    opening = _opening(measurements[0], words) if measurements and words.kind != "iid" else []
    learning = [m for m in measurements if m.model is None]
    return write(fmt, Output(records, sections, header=head, title=title, setting=stream_setting(head, words),
                             notes=[*opening, *learners_note(records, columns),
                                    *(_learning(learning, words) if learning else []),
                                    *_scheme_notes(measurements), *head.get("scenario", {}).get("remarks", []),
                                    note]))


# -- converge and sweep ---------------------------------------------------------------------------------
#: Columns of `codesim converge` and `codesim sweep` tables.
CONVERGE_COLUMNS = (
    _model("model", "model"), Column("scheme", "scheme"), Column("length", "length"),
    Column("bits/sym", "bits_per_symbol"), Column("95% CI", "bits_ci95"),
    _model("expected", "expected_bits_per_symbol"), _model("H(p,q)", "cross_entropy_bits"),
    _model("mean log2 p/q", "llr_bits"), _model("95% CI", "llr_ci95"), _model("D(p||q)", "kl_bits"),
    Column("verified", "verified"),
)
SWEEP_COLUMNS = (
    _model("model", "model"), _model("t", "t", lambda t: show(t) if t is None else f"{t:.3f}"),
    Column("scheme", "scheme"),
    Column("bits/sym", "bits_per_symbol"), Column("95% CI", "ci95"), Column("excess", "excess_bits_per_symbol"),
    _model("D(p||q_t)", "kl_bits"), _model("H(p,q_t)", "cross_entropy_bits"), _model("D(p||r)", "code_kl_bits"),
    Column("verified", "verified"),
)


def learners_note(records: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> list[str]:
    """Said once under a table with rows of schemes that learn: which schemes, and which columns their
    rows leave blank (the model's); nothing when every row has a model."""
    rows = [r for r in records if learner_row(r)]
    if not rows:
        return []
    learners = list(dict.fromkeys(r["scheme"] for r in rows))
    heads = list(dict.fromkeys(c.head for c in columns if c.model_only))
    one = len(learners) == 1
    whose = "its row leaves" if len(rows) == 1 else "its rows leave" if one else "their rows leave"
    return [f"{_names(learners)} learn{'s' * one} from the message and take{'s' * one} no model: {whose} the "
            f"model's columns blank ({_names(heads)})."]


def points(fmt: str, head: Mapping[str, Any], rows: Sequence[Any], columns: Sequence[Column], title: str = "",
           note: str = "") -> str:
    """`converge` and `sweep` results: every field of each point, the columns in a table (headed for the
    kind of source, see :mod:`codesim.present.terms`); rows of schemes that learn (model None) are said
    to be such under the table."""
    words = sum(1 for c in columns[:3] if c.head in ("model", "scheme", "t"))  # left-aligned leading columns
    records = [r.to_dict() for r in rows]
    shown = named(columns, terms.of(records))
    notes = ([note] if note else []) + learners_note(records, shown)
    section = Section(records, shown, left=words)
    return write(fmt, Output(records, [section], header=head, key="points",
                             title=title, setting=stream_setting(head, terms.of(records), length=False), notes=notes))


#: Under converge's table: where its figures settle (for rows with a model).
CONVERGE_NOTE = ("Bits per symbol settle at each code's expected length (H(p,q) for coders that spend -log2 q(x), "
                 "such as arithmetic and rans); the mean of log2 p(x)/q(x) settles at D(p||q).")
#: Under sweep's table: what its columns compare (for rows with a model).
SWEEP_NOTE = ("excess = measured bits/sym - H(p); D(p||q_t) is what a coder spending -log2 q_t(x) would show, "
              "and a prefix code's expected excess is D(p||r) plus its Kraft slack.")
#: The same, for a source with memory.
CONVERGE_MEMORY_NOTE = ("Bits per symbol settle at each code's expected length (the H(p,q) rate for coders that "
                        "spend -log2 q(x | context), such as arithmetic and rans); the mean of "
                        "log2 p(x | context)/q(x | context) settles at the D(p||q) rate.")
SWEEP_MEMORY_NOTE = ("excess = measured bits/sym - H rate; the D(p||q_t) rate is what a coder spending "
                     "-log2 q_t(x | context) would show, and a prefix code's expected excess is its D(p||r) rate "
                     "plus its Kraft slack.")


def converge_points(fmt: str, head: Mapping[str, Any], rows: Sequence[Any], title: str = "") -> str:
    """``codesim converge``: its points, with what they settle at said under the table. The header's
    length is that of the streams drawn, the longest prefix measured, whatever the scenario's says."""
    note = CONVERGE_MEMORY_NOTE if terms.of(rows).memory else CONVERGE_NOTE
    head = {**head, "length": max((r.length for r in rows), default=head.get("length"))}
    return points(fmt, head, rows, CONVERGE_COLUMNS, title, _model_note(rows, note))


def sweep_points(fmt: str, head: Mapping[str, Any], rows: Sequence[Any], title: str = "") -> str:
    """``codesim sweep``: its points, with what the columns compare said under the table."""
    words = terms.of(rows)
    note = SWEEP_MEMORY_NOTE if words.memory else SWEEP_NOTE.replace("H(p)", words.entropy)
    return points(fmt, head, rows, SWEEP_COLUMNS, title, _model_note(rows, note))


def _model_note(rows: Sequence[Any], note: str) -> str:
    """The note about models' figures, when some row has a model (the learners' rows get their own)."""
    return note if any(r.model is not None for r in rows) else ""


# -- schemes, bench, inspect ----------------------------------------------------------------------------
def schemes_listing(schemes, fmt: str = "table") -> str:
    """``codesim schemes``: each scheme with its groups, its parameters (default, range, help) and summary."""
    records = [{"name": s.name, "summary": s.summary, "groups": list(s.groups),
                "params": [{"name": p.name, "type": p.kind.__name__, "default": p.default, "minimum": p.minimum,
                            "maximum": p.maximum, "help": p.help} for p in s.params]} for s in schemes]
    lines = []
    for s in schemes:
        lines.append(f"{s.name:<20} {s.summary}")
        for p in s.params:
            bounds = f"{p.minimum:g}..{p.maximum:g}" if p.maximum is not None else f">= {p.minimum:g}"
            lines.append(f"{'':<20}   {p.name}={p.default} ({p.kind.__name__}, {bounds}): {p.help}")
    members: dict[str, list[str]] = {}
    for s in schemes:
        for g in s.groups:
            members.setdefault(g, []).append(s.name)
    lines += ["", "Groups (--scheme GROUP runs each of its schemes):"]
    lines += [f"  {g:<18} {', '.join(names)}" for g, names in members.items()]
    lines.append(f"  {'all':<18} every scheme above")
    columns = (Column("scheme", "name"), Column("groups", "groups", ", ".join),
               Column("parameters", "params", lambda ps: ", ".join(f"{p['name']}={p['default']}" for p in ps)),
               Column("what it does", "summary"))
    return write(fmt, Output(records, [Section(records, columns, left=4)], text="\n".join(lines)))


def _bench_verified(row: Mapping[str, Any]) -> str:
    return ("yes" if row["verified"] else "NO") + (", same bits" if row["same_bits"] else "")


def bench_table(run, fmt: str = "table", by_length: bool = False) -> str:
    """``codesim bench``: throughput in millions of symbols per second, bits against the ideal.

    ``run`` is a :class:`~codesim.simulation.bench.BenchRun`. When peer rows are present, a column says
    whose coder a row timed, and peer rows carry our throughput divided by theirs ("ours/peer": above
    1, codesim is faster). ``by_length`` shows, in a table or Markdown, throughput against length
    instead (JSON and CSV give the same records either way). Under the table, notes name the lengths
    a scheme was not timed at, and those too short for a coder's fast path, with the length from which
    it applies (``run.short()``).
    """
    rows = run.rows
    records = [{**asdict(r), "overhead_bits_per_symbol": r.overhead_bits_per_symbol} for r in rows]
    with_peers = any(r.peer is not None for r in rows)
    notes = _bench_notes(run)
    if by_length and fmt in ("table", "markdown"):
        return write(fmt, Output(records, _by_length_sections(rows, with_peers), notes=notes,
                                 title="codesim bench: throughput against stream length",
                                 setting=f"best of {run.repeats}, seed {run.seed}", header={"seed": run.seed}))
    ratio = lambda x: "" if x is None else f"{x:.2f}"
    columns = [Column("scheme", "scheme"), Column("source", "source"), Column("length", "length", _length),
               Column("enc Msym/s", "encode_symbols_per_second", _millions),
               Column("dec Msym/s", "decode_symbols_per_second", _millions),
               Column("bits/sym", "bits_per_symbol", lambda x: f"{x:.5f}"),
               Column("ideal", "ideal_bits_per_symbol", lambda x: f"{x:.5f}"),
               Column("overhead", "overhead_bits_per_symbol", lambda x: f"{x:+.5f}"),
               Column("verified", "verified", _bench_verified, whole=True)]
    if with_peers:
        columns[1:1] = [Column("coder", "peer", lambda p: p or "codesim")]
        columns[-1:-1] = [Column("enc ours/peer", "encode_ratio", ratio),
                          Column("dec ours/peer", "decode_ratio", ratio)]
    return write(fmt, Output(records, [Section(records, columns, left=3 if with_peers else 2)], notes=notes,
                             header={"seed": run.seed}))


#: A throughput under this fraction of the best in its row is marked: the length is too short for the
#: coder's speed (its fast path, or its fixed costs per message dominate).
SLOW_FRACTION = 0.5


def _by_length_sections(rows, with_peers: bool) -> list[Section]:
    """Per source, a row per coder: encoding / decoding Msym/s at each length, under half the row's
    best marked with *."""
    lengths = sorted({r.length for r in rows})
    sections = []
    for source in dict.fromkeys(r.source for r in rows):
        lines: dict[tuple[str, str | None], dict[int, Any]] = {}
        for r in rows:
            if r.source == source:
                lines.setdefault((r.scheme, r.peer), {})[r.length] = r
        records = []
        for (scheme, peer), at in lines.items():
            best_enc = max(r.encode_symbols_per_second for r in at.values())
            best_dec = max(r.decode_symbols_per_second for r in at.values())
            mark = lambda x, best: _millions(x) + ("*" if x < SLOW_FRACTION * best else "")
            record = {"scheme": scheme, "peer": peer or "codesim",
                      "verified": all(r.verified for r in at.values())}
            for n in lengths:
                r = at.get(n)
                record[_length(n)] = ("not timed" if r is None else
                                      f"{mark(r.encode_symbols_per_second, best_enc)} / "
                                      f"{mark(r.decode_symbols_per_second, best_dec)}")
            records.append(record)
        columns = [Column("scheme", "scheme"), *([Column("coder", "peer")] if with_peers else []),
                   *(Column(_length(n), _length(n)) for n in lengths), Column("verified", "verified")]
        sections.append(Section(records, columns, left=2 if with_peers else 1,
                                intro=f"{source}: encoding / decoding, million symbols per second, "
                                      f"against stream length (* under half the row's best)"))
    return sections


#: Under bench's table when the kernels ran as plain Python.
PLAIN_KERNELS_NOTE = ("The sequential coders' kernels ran as plain Python (numba is not installed, or "
                      "NUMBA_DISABLE_JIT is set), with the same bits 40 to 150 times slower than compiled: "
                      "pip install 'codesim[fast]' to time them as they are meant to run.")


def _bench_notes(run) -> list[str]:
    notes = [] if run.compiled else [PLAIN_KERNELS_NOTE]
    left_out: dict[tuple[str, str], list[Any]] = {}
    for s in run.skipped:
        left_out.setdefault((s.scheme, s.source), []).append(s)
    for (scheme, source), skipped in left_out.items():
        shown = ", ".join(f"{_length(s.length)} ({s.seconds:.0f} s)" for s in skipped)
        notes.append(f"{scheme} on {source}: not timed at {shown}: predicted from its shorter streams, "
                     f"over {run.row_seconds:.0f} s a row")
    return notes + _short_notes(run.short())


def _short_notes(short: Sequence[tuple[Any, Any]]) -> list[str]:
    """Under bench's table: the rows too short for their coder's fast path (see
    :class:`~codesim.simulation.bench.FastPath`), named by scheme with the length from which it applies:
    one line for the lanes, one for the fixed cost of a message."""
    lanes: dict[int, dict[str, set[int]]] = {}
    fixed: dict[str, tuple[set[int], list[Any]]] = {}
    for row, path in short:
        if path.short_for_lanes(row.length):
            lanes.setdefault(path.lanes_from, {}).setdefault(row.scheme, set()).add(row.length)
        if path.short_for_fixed(row.length):
            at, paths = fixed.setdefault(row.scheme, (set(), []))
            at.add(row.length)
            paths.append(path)
    notes = []
    for start, schemes in lanes.items():
        power = f" (2^{start.bit_length() - 1})" if start & (start - 1) == 0 else ""
        alike: dict[str, list[str]] = {}  # schemes too short at the same lengths, named together
        for scheme, at in schemes.items():
            alike.setdefault(_lengths(at), []).append(scheme)
        shown = "; ".join(f"{_names(names)} at {at}" for at, names in alike.items())
        one = len(schemes) == 1
        notes.append(f"Too short for lanes: {shown}. {'It splits' if one else 'They split'} a stream into lanes "
                     f"from {start} symbols{power} and code{'s' * one} a shorter one as a single stream, slower.")
    if fixed:
        parts = []
        for scheme, (at, paths) in fixed.items():
            starts = [p.fixed_from for p in paths]
            cost = max(p.fixed_seconds for p in paths)
            start = (f"fast from about {_length(_round(max(starts)))} symbols" if None not in starts else
                     f"fast beyond {_length(max(p.longest for p in paths))} symbols")
            parts.append(f"{scheme} at {_lengths(at)} ({cost * 1e3:.3f} ms a message; {start})")
        notes.append("Too short for the fast path, where a message's fixed cost (calls into compiled code, tables "
                     "and headers written and read; timed on a one-symbol message) is over half its time: "
                     f"{'; '.join(parts)}.")
    return notes


def _lengths(lengths: set[int]) -> str:
    return ", ".join(_length(n) for n in sorted(lengths))


def _round(n: int) -> int:
    """n to one significant digit, rounded up: "about" a length, not a measured one."""
    scale = 10 ** (len(str(n)) - 1)
    return -(-n // scale) * scale


def pipeline_table(rows, fmt: str = "table", seed: int | None = None) -> str:
    """``codesim bench --pipeline``: a run's whole work against numpy+bitarray's, seconds and ratio, on
    streams drawn with ``seed``."""
    records = [{**asdict(r), "symbols_per_second": r.symbols_per_second,
                "peer_symbols_per_second": r.peer_symbols_per_second} for r in rows]
    columns = [Column("scheme", "scheme"), Column("source", "source"),
               Column("length", "length", _length),
               Column("codesim run s", "seconds", lambda x: f"{x:.2f}"),
               Column("Msym/s", "symbols_per_second", _millions),
               Column("numpy+bitarray s", "peer_seconds", lambda x: f"{x:.2f}"),
               Column("peer Msym/s", "peer_symbols_per_second", _millions),
               Column("ours/peer", "ratio", lambda x: f"{x:.2f}"),
               Column("verified", "verified"), Column("peer verified", "peer_verified")]
    words = ["codesim run: draw from p, encode, decode and compare in blocks, one trial, the code built from p.",
             "numpy+bitarray: Generator.choice draws, bitarray's encode and decode code with p's Huffman "
             "codewords (the same code for every row), np.array_equal compares, in the same blocks.",
             "ours/peer: the peer's time over ours (above 1, codesim run is faster)."]
    return write(fmt, Output(records, [Section(records, columns, left=2)], words=words, header={"seed": seed}))


def inspection(doc: dict[str, Any], fmt: str = "table") -> str:
    """``codesim inspect``: header, code table and the annotated first symbols.
    JSON gives the whole document; CSV the code table, one row per symbol. The seed both record is the
    one the file says its stream was drawn with (none for a stream read from a file)."""
    ck = doc["checksums"]
    ok = lambda c: f"{c['crc32']} ({'ok' if c['ok'] else 'MISMATCH'})"
    params = ", ".join(f"{printable(str(k))}={printable(str(v))}" for k, v in doc["params"].items()) or "none"
    bps = "n/a" if doc["bits_per_symbol"] is None else f"{doc['bits_per_symbol']:.4f}"
    fields = [
        ("file", doc["file"]),
        ("format version", doc["version"]),
        ("scheme", f"{printable(str(doc['scheme']))} (parameters: {params})"),
        ("alphabet", f"{doc['alphabet_size']} symbols"),
        ("symbols", doc["symbols"]),
        ("payload", f"{doc['payload_bits']} bits ({bps} bits/symbol)"),
        ("header CRC32", ok(ck["header"])),
        ("payload CRC32", ok(ck["payload"])),
    ]
    # A file's own notes, as one line of JSON each: whatever a file holds, it cannot break the layout
    # (a line break or a terminal escape in a string is shown escaped).
    fields += [(printable(k), _short(printable(v) if isinstance(v, str) else json.dumps(v)))
               for k, v in doc["meta"].items() if not isinstance(v, dict)]
    sections = []
    table = doc.get("table") or []
    # The coder names its columns and their headings (the document's table_columns and trace_columns);
    # a column its rows lack (p or q where the file records none) is left out.
    if table:
        sections.append(Section(table, _declared(doc["table_columns"], table[0]), "Code table:", left=1))
    steps = doc.get("trace") or []
    if steps:
        sections.append(Section(steps, _declared(doc["trace_columns"], steps[0]),
                                f"First {counted(len(steps), 'symbol')}: {doc.get('trace_note', '')}."))
    text = [f"{name:<15} {value}" for name, value in fields]
    for s in sections:
        text += ["", s.intro, *grid(s)]
    listed = "\n".join(f"- {name}: {value}" for name, value in fields[1:])
    head = {**doc, "seed": doc["meta"].get("seed")}
    return write(fmt, Output(table, sections, header=head, key="table", title=printable(str(doc["file"])),
                             setting=listed, text="\n".join(text)))


def printable(text: str) -> str:
    """A string from a file as it can stand in one line of a table: as it is, or as JSON escapes it."""
    return text if text.isprintable() else json.dumps(text)


def _short(text: str, width: int = 200) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _declared(columns: list[list], row: Mapping[str, Any]) -> list[Column]:
    """The columns a coder declares, [key, heading] or [key, heading, decimals], that its rows have."""
    return [Column(heading, key, lambda v, d=(digits or [4])[0]: _show_value(v, d))
            for key, heading, *digits in columns if key in row]


def _show_value(value: Any, digits: int = 4) -> str:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, float):
        return _number(value, digits)
    if isinstance(value, list):
        return " ".join(_show_value(v) for v in value)
    return str(value)


