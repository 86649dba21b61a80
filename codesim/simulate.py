"""Simulations: sample streams from p, code them with codes built from q, measure real bits.

Every bit count here comes from a stream that was encoded and decoded back; a trial whose decoded
stream differs from the original is reported as not verified, never silently counted.

>>> from codesim import Distribution, simulate
>>> p = Distribution.from_probs([0.5, 0.25, 0.25])
>>> m = simulate(p, Distribution.uniform(3), "huffman", length=1000, trials=3, seed=1)
>>> m.verified, round(m.kl_bits, 4)
(True, 0.085)
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Iterator, Mapping, Sequence

import numpy as np

from .coders import Coder, SchemeSpec, build
from .distributions import Distribution
from .errors import CodesimError, DecodeError
from .measures import cross_entropy, entropy, ideal_length, kl_divergence, log_likelihood_ratio

#: Streams are held in memory whole (the stream, its decoded copy and its bits: a few bytes a symbol),
#: so a longer request is refused up front rather than failing halfway through allocating.
MAX_LENGTH = 10**8
MAX_TRIALS = 10**5

# Student t quantiles t_{0.975, df} for df = 1..30 (any statistics table); beyond, the Cornish-Fisher
# expansion around the normal quantile is accurate to better than 1e-4.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with df degrees of freedom (two-sided 95%)."""
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def confidence_interval(values: Sequence[float]) -> tuple[float, float] | None:
    """Two-sided 95% t-interval for the mean of the values; None for fewer than two."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return None
    mean = float(values.mean())
    half = t_quantile_975(values.size - 1) * float(values.std(ddof=1)) / math.sqrt(values.size)
    return (mean - half, mean + half)


@dataclass(frozen=True)
class Measurement:
    """What one (model, scheme) pair did on the sampled streams, with the theory beside it.

    ``bits_per_symbol`` is the mean over trials of encoded bits / length; ``ideal_bits_per_symbol`` the
    mean of sum(-log2 q(x)) / length over the same streams; ``sample_kl_bits`` the mean of the streams'
    average log2 p(x)/q(x), which converges to ``kl_bits`` = D(p||q). ``code_kl_bits`` is D(p||r) for
    the code's implied distribution r.
    """

    model: str
    scheme: str
    length: int
    trials: int
    seed: int
    bits: tuple[int, ...]
    bits_per_symbol: float
    ci95: tuple[float, float] | None
    expected_bits_per_symbol: float
    ideal_bits_per_symbol: float
    sample_kl_bits: float
    entropy_bits: float
    cross_entropy_bits: float
    kl_bits: float
    code_kl_bits: float
    excess_bits_per_symbol: float
    verified: bool
    encode_seconds: float = field(compare=False)
    decode_seconds: float = field(compare=False)

    @property
    def code_loss_bits(self) -> float:
        """Measured excess beyond D(p||q): the code's own loss (whole-bit lengths, quantisation,
        termination); nan where D(p||q) is infinite."""
        return self.excess_bits_per_symbol - self.kl_bits if math.isfinite(self.kl_bits) else math.nan

    @property
    def encode_symbols_per_second(self) -> float:
        return self.length * self.trials / self.encode_seconds if self.encode_seconds > 0 else math.inf

    @property
    def decode_symbols_per_second(self) -> float:
        return self.length * self.trials / self.decode_seconds if self.decode_seconds > 0 else math.inf

    def to_dict(self) -> dict:
        d = asdict(self)
        d["bits"] = list(self.bits)
        d["ci95"] = list(self.ci95) if self.ci95 else None
        return d


def check_run_size(length: int, trials: int) -> None:
    """Refuse lengths and trial counts that could not finish or fit, before anything is allocated."""
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise CodesimError(f"length must be a whole number of symbols >= 1, got {length!r}")
    if length > MAX_LENGTH:
        raise CodesimError(
            f"length {length} is over the limit of {MAX_LENGTH:.0e} symbols: streams are held in memory"
            " whole, a few bytes a symbol; use more trials instead"
        )
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise CodesimError(f"trials must be a whole number >= 1, got {trials!r}")
    if trials > MAX_TRIALS:
        raise CodesimError(f"trials {trials} is over the limit of {MAX_TRIALS}")


def trial_streams(p: Distribution, length: int, trials: int, seed: int) -> Iterator[np.ndarray]:
    """The trials' streams: trial t draws from its own generator, spawned from ``seed``, so any
    trial can be repeated on its own and the streams do not depend on what else the run does."""
    for child in np.random.SeedSequence(seed).spawn(trials):
        yield p.sample(length, np.random.default_rng(child))


def simulate_many(
    p: Distribution,
    models: Mapping[str, Distribution],
    schemes: Sequence[SchemeSpec | str],
    *,
    length: int,
    trials: int,
    seed: int,
) -> list[Measurement]:
    """Measure every (model, scheme) pair on the same sampled streams, model-major order."""
    check_run_size(length, trials)
    specs = [s if isinstance(s, SchemeSpec) else SchemeSpec.parse(s) for s in schemes]
    for name, q in models.items():
        if q.alphabet != p.alphabet:
            raise CodesimError(f"model {name!r} has another alphabet than the source")
    pairs = [(name, q, spec, spec.build(q)) for name, q in models.items() for spec in specs]
    tallies = [_Tally() for _ in pairs]
    for stream in trial_streams(p, length, trials, seed):
        ideal = {name: ideal_length(stream, q) / length for name, q in models.items()}
        llr = {name: log_likelihood_ratio(stream, p, q) for name, q in models.items()}
        for (name, _, _, coder), tally in zip(pairs, tallies):
            tally.add(coder, stream, ideal[name], llr[name])
    return [
        tally.measurement(name, spec, coder, p, q, length, trials, seed)
        for (name, q, spec, coder), tally in zip(pairs, tallies)
    ]


def simulate(
    p: Distribution,
    q: Distribution,
    scheme: SchemeSpec | str = "huffman",
    *,
    length: int = 100_000,
    trials: int = 5,
    seed: int = 0,
    model: str = "q",
) -> Measurement:
    """Measure one scheme built from q on ``trials`` streams of ``length`` symbols drawn from p."""
    return simulate_many(p, {model: q}, [scheme], length=length, trials=trials, seed=seed)[0]


class _Tally:
    """Per-trial observations of one coder, turned into a Measurement at the end."""

    def __init__(self) -> None:
        self.bits: list[int] = []
        self.ideal: list[float] = []
        self.llr: list[float] = []
        self.verified = True
        self.encode_seconds = 0.0
        self.decode_seconds = 0.0

    def add(self, coder: Coder, stream: np.ndarray, ideal: float, llr: float) -> None:
        t0 = time.perf_counter()
        bits = coder.encode(stream)
        t1 = time.perf_counter()
        try:
            decoded = coder.decode(bits, stream.size)
            self.verified &= bool(np.array_equal(decoded, stream))
        except DecodeError:
            self.verified = False
        self.decode_seconds += time.perf_counter() - t1
        self.encode_seconds += t1 - t0
        self.bits.append(len(bits))
        self.ideal.append(ideal)
        self.llr.append(llr)

    def measurement(self, name, spec, coder, p, q, length, trials, seed) -> Measurement:
        per_symbol = [b / length for b in self.bits]
        mean = float(np.mean(per_symbol))
        h = entropy(p)
        return Measurement(
            model=name,
            scheme=spec.label,
            length=length,
            trials=trials,
            seed=seed,
            bits=tuple(self.bits),
            bits_per_symbol=mean,
            ci95=confidence_interval(per_symbol),
            expected_bits_per_symbol=coder.expected_length(p),
            ideal_bits_per_symbol=float(np.mean(self.ideal)),
            sample_kl_bits=float(np.mean(self.llr)),
            entropy_bits=h,
            cross_entropy_bits=cross_entropy(p, q),
            kl_bits=kl_divergence(p, q),
            code_kl_bits=coder.code_divergence(p),
            excess_bits_per_symbol=mean - h,
            verified=self.verified,
            encode_seconds=self.encode_seconds,
            decode_seconds=self.decode_seconds,
        )
