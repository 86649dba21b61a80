"""Throughput benchmarks: encode and decode speed, and bits against the ideal, per scheme and source.

Benchmarks measure; they are not tests (timings depend on the machine). Each row comes from a stream
that was really encoded, decoded and compared; the best of ``repeats`` timings is kept, the usual way
to filter out a busy machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .coders import SchemeSpec
from .distributions import Distribution
from .measures import ideal_length

NASA_PROBS = (0.30, 0.40, 0.05, 0.06, 0.07, 0.02, 0.05, 0.05)


def zipf(k: int = 256, s: float = 1.0) -> Distribution:
    """A Zipf-like distribution over k symbols: q(i) proportional to 1 / (i + 1)^s."""
    w = 1.0 / np.arange(1, k + 1) ** s
    return Distribution.from_probs(w / w.sum())


SOURCES = {
    "nasa": lambda: Distribution.from_probs(NASA_PROBS, [100, 105, 110, 145, 160, 162, 174, 180]),
    "zipf256": zipf,
}


@dataclass(frozen=True)
class BenchRow:
    """One scheme on one source at one length (code built from the source itself, q = p)."""

    scheme: str
    source: str
    length: int
    encode_symbols_per_second: float
    decode_symbols_per_second: float
    bits_per_symbol: float
    ideal_bits_per_symbol: float
    verified: bool

    @property
    def overhead_bits_per_symbol(self) -> float:
        """Measured bits beyond the stream's own sum of -log2 q(x), per symbol."""
        return self.bits_per_symbol - self.ideal_bits_per_symbol


def _best_time(fn, repeats: int):
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def benchmark(
    schemes: Sequence[SchemeSpec],
    sources: Sequence[str] = tuple(SOURCES),
    lengths: Sequence[int] = (10**6,),
    repeats: int = 1,
    seed: int = 0,
) -> list[BenchRow]:
    """Time every scheme on every source and length; streams are drawn once per (source, length)."""
    rows = []
    for source in sources:
        p = SOURCES[source]()
        for length in lengths:
            stream = p.sample(length, seed)
            ideal = ideal_length(stream, p) / length
            for spec in schemes:
                coder = spec.build(p)
                t_enc, bits = _best_time(lambda: coder.encode(stream), repeats)
                t_dec, decoded = _best_time(lambda: coder.decode(bits, length), repeats)
                rows.append(BenchRow(
                    scheme=spec.label, source=source, length=length,
                    encode_symbols_per_second=length / t_enc, decode_symbols_per_second=length / t_dec,
                    bits_per_symbol=len(bits) / length, ideal_bits_per_symbol=ideal,
                    verified=bool(np.array_equal(decoded, stream)),
                ))
    return rows
