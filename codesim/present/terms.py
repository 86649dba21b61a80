"""What a run's figures are called, after the kind of source they were measured on.

Every measurement has the same fields; what they mean depends on the source. For an i.i.d. source they
are H(p), H(p,q), D(p||q) and D(p||r), headed so. For a source with memory (symbols that depend on the
symbols before them) the same fields hold rates per symbol: the entropy rate, the cross-entropy rate,
the KL divergence rate and the code's divergence rate, and their headings say "rate"; the source's
marginal entropy H(X) and its memory H(X) - H (what any i.i.d. model loses) are said in words. For a
file, a fixed message with no known entropy rate, the entropy is the file's order-0 entropy H0, which is
no floor: a model that sees the file's memory may spend less.

>>> of([{"memory_bits": 0.19, "marginal_entropy_bits": 0.97}]).entropy
'H rate'
>>> of([{"memory_bits": None, "marginal_entropy_bits": 4.79}]).entropy
'H0'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

#: Memory under this many bits per symbol is rounding: a chain whose rows are all alike is i.i.d.
MEMORY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Terms:
    """Headings, sentence words and column notes for one kind of source ("iid", "memory", "file")."""

    kind: str
    entropy: str  # heading of entropy_bits
    cross: str  # of cross_entropy_bits
    kl: str  # of kl_bits
    code_kl: str  # of code_kl_bits
    floor: str  # entropy_bits in a sentence: "measured excess over ..."
    line: str  # a plot's line at entropy_bits, before "= value"
    cross_line: str  # a plot's mark at a model's cross_entropy_bits
    notes: tuple[tuple[str, str], ...]  # what the headings of this kind mean, for a glossary

    @property
    def memory(self) -> bool:
        return self.kind == "memory"

    @property
    def file(self) -> bool:
        return self.kind == "file"

    def heading(self, iid_heading: str) -> str:
        """The heading of this kind for a column headed ``iid_heading`` for an i.i.d. source (q_t, a
        sweep's mixed model, keeps its subscript); other headings as they are."""
        plain = iid_heading.replace("q_t)", "q)")
        named = {"H(p)": self.entropy, "H(p,q)": self.cross, "D(p||q)": self.kl, "D(p||r)": self.code_kl}
        if plain not in named:
            return iid_heading
        return named[plain].replace("q)", "q_t)") if plain != iid_heading else named[plain]

    def entropy_line(self, h: float) -> str:
        return f"{self.line} = {h:.3f}"


IID = Terms(
    "iid", "H(p)", "H(p,q)", "D(p||q)", "D(p||r)", "H(p)", "H(p)", "H(p,q) of the model",
    (("expected", "the code's exact expected bits per symbol under p"),
     ("H(p)", "entropy of the source: the least any code spends on average"),
     ("H(p,q)", "cross-entropy: what spending -log2 q(x) per symbol costs on p"),
     ("D(p||q)", "KL divergence of the model from the source, H(p,q) - H(p)"),
     ("excess", "bits/sym - H(p): the measured price of the code and its model"),
     ("D(p||r)", "KL divergence from the code's implied distribution r(x) = 2^-l(x)/c (D^-l(x)/c for radix D)")),
)

MEMORY = Terms(
    "memory", "H rate", "H(p,q) rate", "D(p||q) rate", "D(p||r) rate", "the entropy rate",
    "entropy rate H", "cross-entropy rate of the model",
    (("expected", "the code's exact expected bits per symbol on the stationary source"),
     ("H rate", "entropy rate of the source, the mean over contexts of the next symbol's entropy (H(p) for "
                "an i.i.d. source): the least any code averages per symbol"),
     ("H(p,q) rate", "cross-entropy rate: what spending -log2 q(x | context) per symbol averages on the source"),
     ("D(p||q) rate", "KL divergence rate of the model from the source, H(p,q) rate - H rate; for an i.i.d. "
                      "model, the source's memory H(X) - H plus D(marginal||q)"),
     ("excess", "bits/sym - H rate: the measured price of the code and its model"),
     ("D(p||r) rate", "divergence rate from the code's implied distributions r(x | context) = 2^-l/c; for a "
                      "code without contexts, the memory plus D(marginal||r)")),
)

FILE = Terms(
    "file", "H0", "H(p,q)", "D(p||q)", "D(p||r)", "H0", "H0 (order-0)", "H(p,q): the model's ideal on the file",
    (("expected", "the code's expected bits per symbol under the file's frequencies p (n/a for a context code)"),
     ("H0", "the file's order-0 entropy, from its symbols' frequencies p: not a floor, as the file has no "
            "known entropy rate and a model that sees its memory may spend less"),
     ("H(p,q)", "the model's ideal cost on the file, the mean of -log2 q(x | context) over its symbols (for an "
                "order-0 model, the cross-entropy of p and q)"),
     ("D(p||q)", "H(p,q) - H0 for an order-0 model; n/a for a model with memory, which p does not describe"),
     ("excess", "bits/sym - H0: below zero where a code uses memory that order 0 does not see"),
     ("D(p||r)", "KL divergence from the code's implied distribution r(x) = 2^-l(x)/c (D^-l(x)/c for radix D)")),
)


def _field(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def kind(record: Any) -> str:
    """"file" where the memory is None beside a marginal entropy (a file's memory is unknown), "memory"
    where it is above MEMORY_TOLERANCE, else "iid" (also for a record without these fields)."""
    memory, marginal = _field(record, "memory_bits"), _field(record, "marginal_entropy_bits")
    if memory is None:
        return "file" if marginal is not None else "iid"
    return "memory" if memory > MEMORY_TOLERANCE else "iid"


def of(records: Sequence[Any]) -> Terms:
    """The terms for records (measurements, points, or their dicts) of one source: its kind, from the
    first record."""
    return {"iid": IID, "memory": MEMORY, "file": FILE}[kind(records[0])] if records else IID
