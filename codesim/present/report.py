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
from typing import Any, Sequence

from ..simulation.simulate import Measurement

#: (header, Measurement attribute) for the human-readable tables.
COLUMNS = (
    ("model", "model"),
    ("scheme", "scheme"),
    ("bits/sym", "bits_per_symbol"),
    ("95% CI", "ci95"),
    ("expected", "expected_bits_per_symbol"),
    ("H(p)", "entropy_bits"),
    ("H(p,q)", "cross_entropy_bits"),
    ("D(p||q)", "kl_bits"),
    ("excess", "excess_bits_per_symbol"),
    ("D(p||r)", "code_kl_bits"),
    ("verified", "verified"),
)

#: Columns of ``codesim compare``, after the rank.
COMPARE_COLUMNS = (
    ("rank", "rank"),
    ("scheme", "scheme"),
    ("bits/sym", "bits_per_symbol"),
    ("95% CI", "ci95"),
    ("excess", "excess_bits_per_symbol"),
    ("D(p||q)", "kl_bits"),
    ("excess-D", "code_loss_bits"),
    ("enc Msym/s", "encode_symbols_per_second"),
    ("dec Msym/s", "decode_symbols_per_second"),
    ("verified", "verified"),
)

#: Fields of the JSON and CSV outputs, in order.
FIELDS = (
    "model", "scheme", "length", "trials", "bits_per_symbol", "ci95", "expected_bits_per_symbol",
    "ideal_bits_per_symbol", "sample_kl_bits", "entropy_bits", "cross_entropy_bits", "kl_bits",
    "code_kl_bits", "excess_bits_per_symbol", "verified", "bits",
)

FORMATS = ("table", "json", "csv", "markdown")


def _number(x: float, digits: int = 4) -> str:
    if x is None:
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if math.isnan(x):
        return "n/a"
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.0000"


def _cell(m: Measurement, attr: str, extra: dict[str, str] | None = None) -> str:
    if extra and attr in extra:
        return extra[attr]
    value = getattr(m, attr)
    if attr == "ci95":
        return "n/a (1 trial)" if value is None else f"[{value[0]:.4f}, {value[1]:.4f}]"
    if attr.endswith("symbols_per_second"):
        return f"{value / 1e6:.2f}"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return _number(value)
    return str(value)


def _rows(measurements: Sequence[Measurement], columns, extra_cells=None) -> list[list[str]]:
    extra_cells = extra_cells or [None] * len(measurements)
    return [[_cell(m, attr, extra) for _, attr in columns] for m, extra in zip(measurements, extra_cells)]


def text_table(measurements: Sequence[Measurement], columns=COLUMNS, extra_cells=None) -> str:
    """An aligned plain-text table: model and scheme left-aligned, numbers right-aligned."""
    return "\n".join(_grid([h for h, _ in columns], _rows(measurements, columns, extra_cells), left=2))


def markdown_table(measurements: Sequence[Measurement], columns=COLUMNS, extra_cells=None) -> str:
    return "\n".join(_pipes([h for h, _ in columns], _rows(measurements, columns, extra_cells), left=2))


def _pipes(header: list[str], rows: list[list[str]], left: int) -> list[str]:
    """A Markdown pipe table: the first ``left`` columns left-aligned, the rest right-aligned."""
    marks = ["---" if i < left else "---:" for i in range(len(header))]
    return ["| " + " | ".join(h.replace("|", "\\|") for h in header) + " |", "|" + "|".join(marks) + "|",
            *("| " + " | ".join(r) + " |" for r in rows)]


def summary(measurements: Sequence[Measurement]) -> list[str]:
    """Sentences saying what the table shows: the floor H(p), and each model's cost in extra bits."""
    if not measurements:
        return []
    lines = [f"H(p) = {measurements[0].entropy_bits:.4f} bits per symbol: no code spends less on average."]
    by_model: dict[str, list[Measurement]] = {}
    for m in measurements:
        by_model.setdefault(m.model, []).append(m)
    for model, ms in by_model.items():
        spent = ", ".join(f"{m.scheme} {m.excess_bits_per_symbol:+.3f}" for m in ms)
        kl = ms[0].kl_bits
        if model is None:
            lines.append(f"Schemes that learn as they code take no model; measured excess over H(p): {spent}.")
        elif math.isinf(kl):
            lines.append(
                f"Model '{model}' gives probability 0 to a symbol the source emits, so D(p||q) = inf: "
                f"a code spending -log2 q(x) could not encode it at all. The codes here still give that "
                f"symbol a codeword, so the measured bits stay finite (excess over H(p): {spent})."
            )
        elif kl == 0:
            lines.append(f"Model '{model}' is the source itself (D(p||q) = 0); what remains is each code's own "
                         f"loss: {spent} bits per symbol over H(p).")
        else:
            lines.append(f"Model '{model}' costs D(p||q) = {kl:.3f} extra bits per symbol in theory; "
                         f"measured excess over H(p): {spent}.")
    lines.append(
        "Excess = measured bits/sym - H(p). A prefix code spends whole bits, so its expected excess is "
        "D(p||r) + log2(1/c), with r(x) = 2^-l(x)/c the distribution its lengths assume; a coder "
        "spending -log2 q(x) per symbol would show exactly D(p||q)."
    )
    if any(not m.verified for m in measurements):
        lines.append("WARNING: some streams did not decode back to the original (verified = NO).")
    return lines


def _finite(value: Any, path: str, notes: list[str]) -> Any:
    """The value with non-finite floats replaced by null, each replacement noted."""
    if isinstance(value, float) and not math.isfinite(value):
        notes.append(f"{path} is {value} (written as null: JSON has no infinity or NaN)")
        return None
    if isinstance(value, (list, tuple)):
        return [_finite(v, f"{path}[{i}]", notes) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _finite(v, f"{path}.{k}", notes) for k, v in value.items()}
    return value


def to_json(header: dict[str, Any], measurements: Sequence[Measurement], extra: Sequence[dict] = ()) -> str:
    """A JSON document: the header fields, ``results`` (one object per measurement) and ``notes``."""
    notes: list[str] = []
    results = []
    for i, m in enumerate(measurements):
        d = m.to_dict()
        row = {k: d[k] for k in FIELDS}
        if extra:
            row.update(extra[i])
        results.append(_finite(row, f"results[{i}]", notes))
    doc = {**_finite(header, "header", notes), "results": results, "notes": notes}
    return json.dumps(doc, indent=2, allow_nan=False)


def to_csv(measurements: Sequence[Measurement], extra: Sequence[dict] = ()) -> str:
    """One row per measurement; ci95 split into two columns, per-trial bits joined by spaces."""
    buf = io.StringIO()
    fields = [f for f in FIELDS if f not in ("ci95", "bits")]
    extra_fields = list(extra[0]) if extra else []
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*fields, "ci95_low", "ci95_high", *extra_fields, "bits"])
    for i, m in enumerate(measurements):
        ci = m.ci95 or ("", "")
        writer.writerow([getattr(m, f) for f in fields] + list(ci)
                        + [extra[i][f] for f in extra_fields] + [" ".join(map(str, m.bits))])
    return buf.getvalue()


def render(fmt: str, header: dict[str, Any], measurements: Sequence[Measurement], title: str = "") -> str:
    """The run's results in one of FORMATS."""
    if fmt == "json":
        return to_json(header, measurements)
    if fmt == "csv":
        return to_csv(measurements).rstrip("\n")
    setting = (f"{header['length']} symbols x {header['trials']} trials, seed {header['seed']}")
    words = summary(measurements) + list(header.get("scenario", {}).get("remarks", []))
    if fmt == "markdown":
        return "\n".join([f"## {title}", "", setting, "", markdown_table(measurements), "",
                          *(f"- {w}" for w in words)])
    return "\n".join([f"{title} ({setting})", "", text_table(measurements), "", *words])


def ranked(measurements: Sequence[Measurement]) -> list[tuple[int, Measurement]]:
    """(rank, measurement) per model, fewest measured bits first; models keep their order."""
    out: list[tuple[int, Measurement]] = []
    for model in dict.fromkeys(m.model for m in measurements):
        group = sorted((m for m in measurements if m.model == model), key=lambda m: m.bits_per_symbol)
        out += list(enumerate(group, 1))
    return out


def render_compare(fmt: str, header: dict[str, Any], measurements: Sequence[Measurement], title: str = "") -> str:
    """``codesim compare``: per model, the schemes ranked by measured bits per symbol."""
    rows = ranked(measurements)
    ordered = [m for _, m in rows]
    extra = [{"rank": r, "code_loss_bits": m.code_loss_bits,
              "encode_symbols_per_second": m.encode_symbols_per_second,
              "decode_symbols_per_second": m.decode_symbols_per_second} for r, m in rows]
    if fmt == "json":
        return to_json(header, ordered, extra)
    if fmt == "csv":
        return to_csv(ordered, extra).rstrip("\n")
    setting = f"{header['length']} symbols x {header['trials']} trials, seed {header['seed']}"
    table = markdown_table if fmt == "markdown" else text_table
    parts = [f"## {title}" if fmt == "markdown" else title, setting, ""]
    for model in dict.fromkeys(m.model for m in ordered):
        group = [(r, m) for r, m in rows if m.model == model]
        first = group[0][1]
        parts.append(f"Model '{model}': H(p) = {_number(first.entropy_bits)}, "
                     f"H(p,q) = {_number(first.cross_entropy_bits)}, D(p||q) = {_number(first.kl_bits)} bits per symbol")
        parts.append(table([m for _, m in group], COMPARE_COLUMNS, [{"rank": str(r)} for r, _ in group]))
        parts.append("")
    parts += list(header.get("scenario", {}).get("remarks", []))
    parts.append("excess-D = measured excess over H(p) minus D(p||q): what the code itself adds "
                 "(whole-bit lengths, frequency quantisation, termination). Throughput is symbols per "
                 "second over all trials, in millions, on this machine.")
    return "\n".join(parts)


def schemes_listing(schemes, fmt: str = "table") -> str:
    """``codesim schemes``: each scheme with its parameters (default, range, help) and summary."""
    if fmt == "json":
        return json.dumps([{"name": s.name, "summary": s.summary,
                            "params": [{"name": p.name, "type": p.kind.__name__, "default": p.default,
                                        "minimum": p.minimum, "maximum": p.maximum, "help": p.help}
                                       for p in s.params]} for s in schemes], indent=2)
    lines = []
    for s in schemes:
        lines.append(f"{s.name:<20} {s.summary}")
        for p in s.params:
            bounds = f"{p.minimum:g}..{p.maximum:g}" if p.maximum is not None else f">= {p.minimum:g}"
            lines.append(f"{'':<20}   {p.name}={p.default} ({p.kind.__name__}, {bounds}): {p.help}")
    return "\n".join(lines)


def bench_table(rows, fmt: str = "table") -> str:
    """``codesim bench``: throughput in millions of symbols per second, bits against the ideal.

    When peer rows are present, a column says whose coder a row timed, and peer rows carry our
    throughput divided by theirs ("ours/peer": above 1, codesim is faster).
    """
    if fmt == "json":
        return json.dumps([{**r.__dict__, "overhead_bits_per_symbol": r.overhead_bits_per_symbol}
                           for r in rows], indent=2)
    with_peers = any(r.peer is not None for r in rows)
    ratio = lambda x: "" if x is None else f"{x:.2f}"
    header = ["scheme", "source", "length", "enc Msym/s", "dec Msym/s", "bits/sym", "ideal", "overhead", "verified"]
    if with_peers:
        header[1:1] = ["coder"]
        header[-1:-1] = ["enc ours/peer", "dec ours/peer"]
    body = []
    for r in rows:
        line = [r.scheme, r.source, f"{r.length:.0e}", f"{r.encode_symbols_per_second / 1e6:.2f}",
                f"{r.decode_symbols_per_second / 1e6:.2f}", f"{r.bits_per_symbol:.5f}",
                f"{r.ideal_bits_per_symbol:.5f}", f"{r.overhead_bits_per_symbol:+.5f}",
                ("yes" if r.verified else "NO") + (", same bits" if r.same_bits else "")]
        if with_peers:
            line[1:1] = [r.peer or "codesim"]
            line[-1:-1] = [ratio(r.encode_ratio), ratio(r.decode_ratio)]
        body.append(line)
    return "\n".join(_grid(header, body, left=3 if with_peers else 2))


def _grid(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    """Aligned columns: the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(c.ljust(w) if i < left else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(header), line(["-" * w for w in widths]), *map(line, rows)]


def _json_safe(value: Any) -> Any:
    return _finite(value, "", [])


def inspection(doc: dict[str, Any], fmt: str = "text") -> str:
    """``codesim inspect``: header, code table and the annotated first symbols."""
    if fmt == "json":
        return json.dumps(_json_safe(doc), indent=2, allow_nan=False)
    ck = doc["checksums"]
    ok = lambda c: f"{c['crc32']} ({'ok' if c['ok'] else 'MISMATCH'})"
    params = ", ".join(f"{_printable(str(k))}={_printable(str(v))}" for k, v in doc["params"].items()) or "none"
    bps = "n/a" if doc["bits_per_symbol"] is None else f"{doc['bits_per_symbol']:.4f}"
    out = [
        f"file            {doc['file']}",
        f"format version  {doc['version']}",
        f"scheme          {_printable(str(doc['scheme']))} (parameters: {params})",
        f"alphabet        {doc['alphabet_size']} symbols",
        f"symbols         {doc['symbols']}",
        f"payload         {doc['payload_bits']} bits ({bps} bits/symbol)",
        f"header CRC32    {ok(ck['header'])}",
        f"payload CRC32   {ok(ck['payload'])}",
    ]
    # A file's own notes, as one line of JSON each: whatever a file holds, it cannot break the layout
    # (a line break or a terminal escape in a string is shown escaped).
    out += [f"{_printable(k):<15} {_short(_printable(v) if isinstance(v, str) else json.dumps(v))}"
            for k, v in doc["meta"].items() if not isinstance(v, dict)]
    table = doc.get("table") or []
    if table:
        cols = [c for c in ("symbol", "p", "q", "codeword", "length", "frequency", "cost_bits", "ideal_bits")
                if c in table[0]]
        names = {"ideal_bits": "-log2 q", "cost_bits": "-log2 f/2^P"}
        rows = [[_show_value(r[c]) for c in cols] for r in table]
        out += ["", "Code table:", *_grid([names.get(c, c) for c in cols], rows, left=1)]
    steps = doc.get("trace") or []
    if steps:
        cols = [c for c in ("index", "symbol", "symbols", "lane", "position", "codeword", "bits", "low", "high",
                            "model_prob",
                            "emitted", "cost_bits", "ideal_bits", "total_bits", "total_cost",
                            "interval_bits", "total_ideal", "excess") if c in steps[0]]
        names = {"ideal_bits": "-log2 q", "total_ideal": "ideal so far", "total_bits": "bits so far",
                 "total_cost": "cost so far", "interval_bits": "-log2 width", "cost_bits": "cost",
                 "position": "bit pos", "bits": "bits out" if "low" in steps[0] else "bits",
                 "model_prob": "model P(x)"}
        rows = [[_show_value(r[c], c) for c in cols] for r in steps]
        out += ["", f"First {len(steps)} symbols: {doc.get('trace_note', '')}.",
                *_grid([names.get(c, c) for c in cols], rows, left=2)]
    return "\n".join(out)


def _printable(text: str) -> str:
    """A string from a file as it can stand in one line of a table: as it is, or as JSON escapes it."""
    return text if text.isprintable() else json.dumps(text)


def _short(text: str, width: int = 200) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _show_value(value: Any, column: str = "") -> str:
    if isinstance(value, str):
        return _printable(value)
    if isinstance(value, float):
        if column in ("low", "high"):
            return f"{value:.10f}"
        return _number(value)
    if isinstance(value, list):
        return " ".join(_show_value(v) for v in value)
    if column == "emitted" and len(str(value)) > 32:
        return "..." + str(value)[-29:]
    return str(value)


#: (header, attribute) of `codesim converge` and `codesim sweep` tables.
CONVERGE_COLUMNS = (
    ("model", "model"), ("scheme", "scheme"), ("length", "length"), ("bits/sym", "bits_per_symbol"),
    ("95% CI", "bits_ci95"), ("expected", "expected_bits_per_symbol"), ("H(p,q)", "cross_entropy_bits"),
    ("mean log2 p/q", "llr_bits"), ("95% CI ", "llr_ci95"), ("D(p||q)", "kl_bits"), ("verified", "verified"),
)
SWEEP_COLUMNS = (
    ("model", "model"), ("t", "t"), ("scheme", "scheme"), ("bits/sym", "bits_per_symbol"), ("95% CI", "ci95"),
    ("excess", "excess_bits_per_symbol"), ("D(p||q_t)", "kl_bits"), ("H(p,q_t)", "cross_entropy_bits"),
    ("D(p||r)", "code_kl_bits"), ("verified", "verified"),
)


def _point_cell(point: Any, attr: str) -> str:
    value = getattr(point, attr)
    if attr.endswith("ci95"):
        return "n/a" if value is None else f"[{value[0]:.4f}, {value[1]:.4f}]"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if attr == "t":
        return f"{value:.3f}"
    if isinstance(value, float):
        return _number(value)
    return str(value)


def points(fmt: str, header: dict[str, Any], rows: Sequence[Any], columns, title: str = "", note: str = "") -> str:
    """`converge` and `sweep` results: an aligned table, Markdown, CSV, or JSON with every field."""
    if fmt == "json":
        notes: list[str] = []
        doc = {**_finite(header, "header", notes),
               "points": [_finite(r.to_dict(), f"points[{i}]", notes) for i, r in enumerate(rows)], "notes": notes}
        return json.dumps(doc, indent=2, allow_nan=False)
    if fmt == "csv":
        fields = [f for f in rows[0].to_dict() if f not in ("bits", "params")] if rows else []
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(fields)
        for r in rows:
            d = r.to_dict()
            writer.writerow([" ".join(map(str, d[f])) if isinstance(d[f], (list, tuple)) else d[f] for f in fields])
        return buf.getvalue().rstrip("\n")
    cells = [[_point_cell(r, attr) for _, attr in columns] for r in rows]
    heads = [h.strip() for h, _ in columns]
    setting = f"{header['trials']} trials, seed {header['seed']}"
    words = sum(1 for h in heads[:3] if h in ("model", "scheme", "t"))  # left-aligned leading columns
    if fmt == "markdown":
        return "\n".join([f"## {title}", "", setting, "", *_pipes(heads, cells, words), "", note])
    return "\n".join([f"{title} ({setting})", "", *_grid(heads, cells, left=words), "", note])
