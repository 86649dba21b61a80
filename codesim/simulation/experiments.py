"""Two experiments over a scenario: convergence as a stream grows, and sweeps of the model or a scheme.

**Convergence** (:func:`converge`) follows one stream per trial as it grows: at each length L it codes
the stream's first L symbols (encoded, decoded and compared: real bits) and takes the running average
of log2 p(x)/q(x) over them. By the law of large numbers the average log-likelihood ratio tends to
D(p||q), and the bits per symbol of a code that spends -log2 q(x) on x tend to H(p,q) = H(p) + D(p||q);
a prefix code's tend to its expected length E_p[l(X)].

**Sweeps** (:func:`sweep`) measure a grid: each model q mixed toward the source, q_t = (1-t) q + t p
for t in ``mix`` (t = 0 is the model, t = 1 the source itself), times the values of scheme parameters
in ``params`` (``{"k": [1, 2, 3]}`` for block-huffman). Since D(p||q_t) <= (1-t) D(p||q) (KL divergence
is convex in q), the extra bits fall to the code's own loss as t goes to 1.

Seeds. Trial t's stream is drawn from ``simulate.trial_seeds(seed, trials)[t]``, which is
``SeedSequence(seed, spawn_key=(t,))``: a function of the run's seed and the trial's index only. So
every model, mixture, scheme and length is measured on the same streams, a point at length L in a
convergence run is the stream ``simulate_many`` draws at length L, and the results do not depend on
where the tasks run or in which order they finish. Streams are drawn and coded in blocks of at most
``block`` symbols, each block a message of its own, exactly as ``simulate_many`` does (so memory stays
bounded, and a sweep point at t = 0 with a scheme's default parameters is bit for bit the measurement
``simulate_many`` makes).

Schemes that learn (``Scheme.learns``) take no model, so they run once per stream, as in
``simulate_many``: a convergence run gives them one point per length, a sweep one point per parameter
value, after the models' points, with ``model`` None (and t None in a sweep) and None for every figure
of a model. Their bits are those ``simulate_many`` measures on the same streams.

Tasks. A convergence task is one (model, trial): it draws the stream once and codes its prefixes with
every scheme that takes a model. A sweep task is one (model, t, trial): it draws the stream once and
codes it with every such scheme and parameter value. The schemes that learn have a task per trial of
their own, which draws the same stream. Drawing a symbol costs about as much as coding it with a
prefix code, so a task per scheme would spend as long drawing as coding. Equal models (every model at t = 1 is p) are
coded once and their points share the results. The running log-likelihood ratio is computed from the
prefix's cumulative symbol counts (a bincount per block and per prefix tail), exact and vectorised,
with +inf where q rules out a symbol that occurred. Tasks run where :mod:`codesim.simulation.parallel` sends
them (this process, local processes, or Dask) and build their coders there from the scheme specs.
"""

from __future__ import annotations

import itertools
import math
import numbers
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ..coders import SchemeSpec, available, get
from ..sources.base import Model, Source, order0_probs
from ..errors import CodesimError, did_you_mean, show_count
from ..measures import entropy, log_likelihood_ratio_of_counts
from ..sources.files import Message
from ..sources.markov import MarkovChain, mixture
from .parallel import ProgressFactory, Task, check_jobs, check_scheduler, run_tasks
from ..scenario import Scenario, default_schemes
from .simulate import (BLOCK, block_for, bound_bits, build_coder, check_block, check_codes, check_models,
                       check_run_size, code_figures, code_message, context_rows, has_memory, learns, memory_of,
                       model_bits, model_figures, plain_dict, source_bits, stream_source, trial_seeds)
from .stats import confidence_interval

#: Most points a mix may have: a finer grid than this shows nothing a plot could.
MAX_MIX = 1001
#: Most lengths per decade in :func:`log_lengths`.
MAX_PER_DECADE = 100
#: Most prefix lengths in a convergence run: each codes up to a block of extra symbols per scheme and
#: trial (the prefix's last, partial block), and 1000 points are more than a plot can show.
MAX_LENGTHS = 1000
#: Most values one swept parameter may take, and most points a sweep may have (mix values times scheme
#: variants, per model): each point codes every trial's stream once more. Schemes that learn add one
#: point per variant, not per model and t.
MAX_PARAM_VALUES = 100
MAX_POINTS = 10_000
#: Most points over all models (a point took about 1.8 ms and 2 KB here with 100-symbol streams: 5005
#: points, 9 s), and most values the mixtures q_t of all models hold (each is a vector over the
#: alphabet, all made before the first task runs): 2^24 doubles are 128 MB.
MAX_SWEEP_POINTS = 100_000
MAX_MIXTURE_VALUES = 1 << 24


@dataclass(frozen=True)
class ConvergencePoint:
    """One (model, scheme) at one prefix length, over the trials.

    ``bits`` are each trial's encoded bits for the prefix; ``bits_per_symbol`` their mean per symbol
    and ``bits_ci95`` its 95% t-interval across trials (None for one trial). ``llr_bits`` is the mean
    over trials of the prefix's average log2 p(x)/q(x), which tends to ``kl_bits`` = D(p||q); its
    interval is None for one trial or when q rules out a symbol that occurred (the ratio is infinite).
    Bits per symbol tend to ``cross_entropy_bits`` = H(p,q) for coders that spend -log2 q(x) on x, and
    to ``expected_bits_per_symbol`` (the code's E_p[length]) for any code. A scheme that learns has no
    model: ``model`` and the figures of q (``llr_bits``, H(p,q), D(p||q), expected length) are None.
    """

    model: str | None
    scheme: str
    length: int
    trials: int
    bits: tuple[int, ...]
    bits_per_symbol: float
    bits_ci95: tuple[float, float] | None
    llr_bits: float | None
    llr_ci95: tuple[float, float] | None
    entropy_bits: float
    cross_entropy_bits: float | None
    kl_bits: float | None
    expected_bits_per_symbol: float | None
    verified: bool
    #: H of one symbol, and its excess over the entropy rate (None for a file): see Measurement.
    marginal_entropy_bits: float | None = None
    memory_bits: float | None = None
    #: For a scheme that learns and has a redundancy bound (ctw): the bound on the expected bits per
    #: symbol of a stream of this length, coded in the same messages; None otherwise.
    bound_bits_per_symbol: float | None = None

    def to_dict(self) -> dict:
        return plain_dict(self)


@dataclass(frozen=True)
class SweepPoint:
    """One (model, t, scheme with parameters) over the trials.

    ``t`` is the mixing weight of q_t = (1-t) q + t p (0 without a mix); ``params`` every parameter of
    the scheme as it ran. ``kl_bits`` and ``cross_entropy_bits`` are D(p||q_t) and H(p,q_t);
    ``code_kl_bits`` is D(p||r) for the implied distribution r of the code built from q_t, and
    ``expected_bits_per_symbol`` that code's E_p[length]. ``excess_bits_per_symbol`` is the measured
    bits per symbol minus H(p). A scheme that learns has no model to mix: ``model`` and ``t`` are None,
    and so are the four figures of q_t.
    """

    model: str | None
    t: float | None
    scheme: str
    params: dict = field(hash=False)
    length: int
    trials: int
    bits: tuple[int, ...]
    bits_per_symbol: float
    ci95: tuple[float, float] | None
    excess_bits_per_symbol: float
    entropy_bits: float
    cross_entropy_bits: float | None
    kl_bits: float | None
    code_kl_bits: float | None
    expected_bits_per_symbol: float | None
    verified: bool
    marginal_entropy_bits: float | None = None
    memory_bits: float | None = None

    def to_dict(self) -> dict:
        return plain_dict(self)


# -- parsing -------------------------------------------------------------------------------------

def log_lengths(max_length: int, per_decade: int = 1) -> list[int]:
    """Lengths 10, 100, 1000, ... (``per_decade`` of them in each decade, evenly spaced on a log
    scale) up to and including ``max_length``.

    >>> log_lengths(20000)
    [10, 100, 1000, 10000, 20000]
    >>> log_lengths(1000, per_decade=2)
    [10, 32, 100, 316, 1000]
    """
    if isinstance(max_length, bool) or not isinstance(max_length, numbers.Integral) or max_length < 1:
        raise CodesimError(f"the longest length must be a whole number >= 1, got {max_length!r}")
    if (isinstance(per_decade, bool) or not isinstance(per_decade, numbers.Integral)
            or not 1 <= per_decade <= MAX_PER_DECADE):
        raise CodesimError(f"lengths per decade must be a whole number from 1 to {MAX_PER_DECADE}, "
                           f"got {per_decade!r}")
    max_length = int(max_length)
    lengths: list[int] = []
    for i in itertools.count():
        # Whole decades are computed as integers, so 10^k is exact however large.
        n = 10 ** (1 + i // per_decade) if i % per_decade == 0 else round(10 ** (1 + i / per_decade))
        if n >= max_length:
            break
        if not lengths or n > lengths[-1]:
            lengths.append(n)
    return lengths + [max_length]


_NUMBER = r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*"
_RANGE = re.compile(rf"({_NUMBER}):({_NUMBER}):\s*(\d+)\s*")


def parse_mix(text: str) -> list[float]:
    """Mixing weights from ``START:STOP:COUNT`` (COUNT evenly spaced values, both ends included) or
    a comma-separated list of values; every value in [0, 1].

    >>> parse_mix("0:1:5")
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> parse_mix("0, 0.9, 1")
    [0.0, 0.9, 1.0]
    """
    if not isinstance(text, str) or not text.strip():
        raise CodesimError("mix is empty: write START:STOP:COUNT (e.g. 0:1:21) or values (e.g. 0,0.5,1)")
    match = _RANGE.fullmatch(text)
    if match:
        digits = match.group(3).lstrip("0")
        if len(digits) > len(str(MAX_MIX)):  # before int() of what may be thousands of digits
            shown = digits if len(digits) <= 20 else f"a {len(digits)}-digit number"
            raise CodesimError(f"mix: the count must be from 1 to {MAX_MIX}, got {shown}")
        start, stop, count = float(match.group(1)), float(match.group(2)), int(match.group(3))
        if not 1 <= count <= MAX_MIX:
            raise CodesimError(f"mix {text!r}: the count must be from 1 to {MAX_MIX}, got {count}")
        check_mix([start, stop])
        values = np.linspace(start, stop, count).tolist()
    elif ":" in text:
        raise CodesimError(f"mix {text!r}: write START:STOP:COUNT with numbers START and STOP in [0, 1] "
                           "and a whole COUNT, e.g. 0:1:21")
    else:
        values = []
        for item in text.split(","):
            if not re.fullmatch(_NUMBER, item):
                raise CodesimError(f"mix {text!r}: {item.strip()!r} is not a number; write START:STOP:COUNT "
                                   "(e.g. 0:1:21) or comma-separated values in [0, 1] (e.g. 0,0.5,1)")
            values.append(float(item))
    return check_mix(values)


def check_mix(values: Sequence[float]) -> list[float]:
    """The mixing weights as floats, or an error naming one outside [0, 1]."""
    values = list(values)
    if not values:
        raise CodesimError("mix is empty: give at least one t in [0, 1]")
    if len(values) > MAX_MIX:
        raise CodesimError(f"mix has {len(values)} values, over the limit of {MAX_MIX}")
    out = []
    for t in values:
        if isinstance(t, bool) or not isinstance(t, numbers.Real) or not 0.0 <= float(t) <= 1.0:
            raise CodesimError(f"mix value {t!r} is outside [0, 1]: t weighs the source in (1-t) q + t p")
        out.append(float(t) + 0.0)  # + 0.0 turns -0.0 into 0.0
    return out


def parse_param(text: str) -> tuple[str, list[int | float]]:
    """A parameter sweep ``NAME=V1,V2,...``; values are integers where written as such.

    >>> parse_param("k=1,2,3")
    ('k', [1, 2, 3])
    >>> parse_param("alpha=0.5,1")
    ('alpha', [0.5, 1])
    """
    name, eq, rest = text.partition("=") if isinstance(text, str) else ("", "", "")
    name = name.strip()
    if not eq or not re.fullmatch(r"[A-Za-z_]\w*", name):
        raise CodesimError(f"parameter sweep {text!r}: write NAME=V1,V2,... (e.g. k=1,2,3)")
    values: list[int | float] = []
    items = rest.split(",")
    if len(items) > MAX_PARAM_VALUES:
        raise CodesimError(f"parameter sweep {name}: {len(items)} values, over the limit of {MAX_PARAM_VALUES}")
    for item in items:
        item = item.strip()
        if re.fullmatch(r"[-+]?\d+", item) and len(item) <= 100:  # no parameter takes a longer integer
            values.append(int(item))
        elif re.fullmatch(_NUMBER, item) and math.isfinite(float(item)):
            values.append(float(item))
        else:
            raise CodesimError(f"parameter sweep {text!r}: {item!r} is not a number")
    return name, values


def parse_params(texts: Sequence[str]) -> dict[str, list[int | float]]:
    """Parameter sweeps ``NAME=V1,V2,...`` by name, each name once: a second sweep of the same
    parameter is refused rather than silently replacing the first.

    >>> parse_params(["k=1,2", "lanes=4"])
    {'k': [1, 2], 'lanes': [4]}
    """
    swept: dict[str, list[int | float]] = {}
    for text in texts:
        name, values = parse_param(text)
        if name in swept:
            raise CodesimError(f"parameter sweep {name} is given twice: list all its values in one, "
                               f"e.g. {name}={','.join(map(str, swept[name] + values))}")
        swept[name] = values
    return swept


# -- convergence ---------------------------------------------------------------------------------

def converge(
    scenario: Scenario,
    lengths: Sequence[int] | None = None,
    *,
    schemes: Sequence[SchemeSpec | str] | None = None,
    trials: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    block: int = BLOCK,
    progress: ProgressFactory | None = None,
) -> list[ConvergencePoint]:
    """Bits per symbol and the average log-likelihood ratio on growing prefixes of each trial's stream.

    Points come model-major, then scheme, then length; then each scheme that learns, once (``model``
    None), by length. ``lengths`` (sorted; duplicates dropped) default to :func:`log_lengths` of the
    scenario's length. ``schemes``, ``trials`` and ``seed`` default to the scenario's run settings. A
    scenario with a fixed message (a file source) has one trial, whose stream is the message: lengths
    are prefixes of it. ``jobs`` and ``scheduler`` say where the tasks run
    (:func:`codesim.simulation.parallel.run_tasks`); the results are the same everywhere.
    """
    specs, trials, seed, block = _run_settings(scenario, schemes, trials, seed, block, jobs, scheduler)
    lengths = _check_lengths(scenario, lengths)
    p, message = scenario.source, scenario.message
    check_run_size(lengths[-1], trials)
    check_block(block, lengths[-1])
    if message is not None:
        message = np.asarray(message)[: lengths[-1]]
    seeds = _seeds(scenario, trials, seed)
    modelled, learning = _split(specs)
    distinct, which = _distinct(list(scenario.models.values())) if modelled else ([], [])
    groups = [(q, modelled) for q in distinct] + ([(None, learning)] if learning else [])
    tasks = [Task(_convergence_task, (p, q, group, lengths, block, s, message)) for q, group in groups for s in seeds]
    results = run_tasks(tasks, jobs=jobs, scheduler=scheduler, progress=progress)
    source = stream_source(p, message)
    h, marginal_h, memory = source.entropy_rate(), entropy(source.marginal()), memory_of(source)
    rows = [(name, q, modelled, which[m]) for m, (name, q) in enumerate(scenario.models.items())] if modelled else []
    rows += [(None, None, learning, len(distinct))] if learning else []
    points = []
    for name, q, group, g in rows:
        per_trial = results[g * trials : (g + 1) * trials]
        hpq, kl = (None, None) if q is None else model_figures(source, q)
        for c, spec in enumerate(group):
            learner = build_coder(spec, None, p.alphabet) if q is None else None
            for i, length in enumerate(lengths):
                bound = None if learner is None else bound_bits(learner, source, length, block)
                bits = tuple(r.bits[c][i] for r in per_trial)
                per_symbol = [b / length for b in bits]
                llr = [r.llr[i] for r in per_trial]
                points.append(ConvergencePoint(
                    model=name, scheme=spec.label, length=length, trials=trials, bits=bits,
                    bits_per_symbol=float(np.mean(per_symbol)), bits_ci95=confidence_interval(per_symbol),
                    llr_bits=None if q is None else float(np.mean(llr)),
                    llr_ci95=confidence_interval(llr) if q is not None and all(map(math.isfinite, llr)) else None,
                    entropy_bits=h, cross_entropy_bits=hpq, kl_bits=kl,
                    expected_bits_per_symbol=per_trial[0].expected[c],
                    verified=all(r.verified[c][i] for r in per_trial),
                    marginal_entropy_bits=marginal_h, memory_bits=memory,
                    bound_bits_per_symbol=None if bound is None else bound / length))
    return points


@dataclass(frozen=True)
class _Prefixes:
    """What a convergence task returns: per coder and length, bits and whether every block decoded;
    per length, the prefix's average log2 p/q; per coder, its expected length under p (None without
    a model)."""

    bits: list[list[int]]
    verified: list[list[bool]]
    llr: list[float | None]
    expected: list[float | None]


def _convergence_task(p: Source, q: Model | None, specs: Sequence[SchemeSpec], lengths: Sequence[int],
                      block: int, seed: np.random.SeedSequence | None, message: np.ndarray | None) -> _Prefixes:
    """Code every prefix of one trial's stream with every scheme built from q (q None: schemes that learn).

    The stream is walked block by block. A prefix that ends inside a block is its whole blocks so
    far (coded once, and shared by every longer prefix) plus the part of this block it covers, coded
    as the prefix's last message; so a prefix of length L is coded exactly as ``simulate_many`` codes
    a stream of length L, and only the tails cost extra work.
    """
    coders = [build_coder(spec, q, p.alphabet) for spec in specs]
    bits = [[0] * len(lengths) for _ in coders]
    verified = [[True] * len(lengths) for _ in coders]
    llr: list[float | None] = [None if q is None else math.nan] * len(lengths)
    whole_bits, whole_ok = [0] * len(coders), [True] * len(coders)
    source = stream_source(p, message)
    pieces = source.blocks(lengths[-1], seed, block)
    # The i.i.d. model's figures on an i.i.d. source are functions of counts under the marginal; with
    # memory on either side, of -log2 q over each message and -log2 p along the stream.
    by_counts = q is not None and not has_memory(q) and not isinstance(p, MarkovChain)
    marginal = p.marginal()
    whole_counts = np.zeros(marginal.size, dtype=np.int64)
    whole_q = whole_p = 0.0
    before = None
    i, start = 0, 0

    def ratio(counts, q_bits, p_bits, n):
        if by_counts:
            return log_likelihood_ratio_of_counts(counts, marginal, q)
        if isinstance(source, Message):  # a file has no p(x | context) to compare with
            return math.nan
        return (q_bits - p_bits) / n

    for piece in pieces:
        end = start + piece.size
        while i < len(lengths) and lengths[i] < end:  # prefixes ending inside this block
            tail = piece[: lengths[i] - start]
            for c, coder in enumerate(coders):
                n, ok = code_message(coder, tail)[:2]
                bits[c][i], verified[c][i] = whole_bits[c] + n, whole_ok[c] and ok
            if q is not None:
                counts = whole_counts + np.bincount(tail, minlength=marginal.size) if by_counts else None
                q_bits = None if by_counts else whole_q + model_bits(q, tail)
                p_bits = None if by_counts else whole_p + source_bits(source, tail, before)
                llr[i] = ratio(counts, q_bits, p_bits, lengths[i])
            i += 1
        for c, coder in enumerate(coders):
            n, ok = code_message(coder, piece)[:2]
            whole_bits[c] += n
            whole_ok[c] = whole_ok[c] and ok
        whole_counts += np.bincount(piece, minlength=marginal.size)
        if q is not None and not by_counts:
            whole_q += model_bits(q, piece)
            whole_p += source_bits(source, piece, before)
        before = piece
        start = end
        while i < len(lengths) and lengths[i] == end:  # prefixes ending with this block
            for c in range(len(coders)):
                bits[c][i], verified[c][i] = whole_bits[c], whole_ok[c]
            if q is not None:
                llr[i] = ratio(whole_counts, whole_q, whole_p, end)
            i += 1
    return _Prefixes(bits, verified, llr, [None if q is None else code_figures(coder, source)[0] for coder in coders])


# -- sweeps --------------------------------------------------------------------------------------

def sweep(
    scenario: Scenario,
    *,
    mix: Sequence[float] | None = None,
    params: Mapping[str, Sequence[int | float]] | None = None,
    schemes: Sequence[SchemeSpec | str] | None = None,
    length: int | None = None,
    trials: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    block: int = BLOCK,
    progress: ProgressFactory | None = None,
) -> list[SweepPoint]:
    """Measure every (model, t, scheme with parameter values) on the same streams.

    ``mix`` lists weights t in [0, 1]: each model q is replaced by q_t = (1-t) q + t p (without a mix,
    t = 0: the model itself). ``params`` maps a parameter name to values: every selected scheme that has
    the parameter runs once per value (a grid over several parameters), schemes that have none of them
    are left out, and a parameter no selected scheme has is an error naming the schemes that have it.
    ``schemes``, ``length``, ``trials`` and ``seed`` default to the scenario's run settings. Points come
    model-major, then t, then scheme (in the order given, its parameter values in theirs); then each
    variant of a scheme that learns, once, with ``model`` and ``t`` None (it takes no q to mix).
    """
    specs, trials, seed, block = _run_settings(scenario, schemes, trials, seed, block, jobs, scheduler)
    ts = [0.0] if mix is None else check_mix(mix)
    variants = _variants(specs, params)
    check_codes([spec for spec, _ in variants], len(scenario.alphabet), _largest(scenario))
    modelled, learning = _split(variants, lambda variant: variant[0])
    if len(ts) * len(modelled) > MAX_POINTS:
        raise CodesimError(f"{len(ts)} mix values x {len(modelled)} scheme variants = {len(ts) * len(modelled)} "
                           f"points per model, over the limit of {MAX_POINTS}: sweep fewer values")
    models, size = (len(scenario.models) if modelled else 0), len(scenario.alphabet)
    if models * len(ts) * len(modelled) > MAX_SWEEP_POINTS:
        raise CodesimError(f"{models} models x {len(ts)} mix values x {len(modelled)} scheme variants = "
                           f"{models * len(ts) * len(modelled)} points, over the limit of {MAX_SWEEP_POINTS}: "
                           "sweep fewer values or models (--model)")
    if models * len(ts) * size > MAX_MIXTURE_VALUES:
        raise CodesimError(f"{models} models x {len(ts)} mix values are {models * len(ts)} distributions over "
                           f"{size} symbols, {models * len(ts) * size} values, over the limit of "
                           f"{MAX_MIXTURE_VALUES} (2^24): sweep fewer values or models (--model)")
    p, message = scenario.source, scenario.message
    if message is not None:
        if length is not None and length != message.size:
            raise CodesimError(f"the message is a file's own {message.size} symbols, coded once: "
                               "its length cannot be changed")
        length = int(message.size)
    length = scenario.run.length if length is None else length
    check_run_size(length, trials)
    check_block(block, length)
    seeds = _seeds(scenario, trials, seed)
    # Every variant's unit, as simulate_many rounds the block over all its schemes: so the learners'
    # blocks, and bits, are the ones it measures.
    block = block_for(block, [spec for spec, _ in variants])
    mixtures = [(name, t, mixture(q, p, t)) for name, q in scenario.models.items() for t in ts] if modelled else []
    distinct, which = _distinct([q_t for _, _, q_t in mixtures])
    groups = [(q_t, modelled) for q_t in distinct] + ([(None, learning)] if learning else [])
    tasks = [Task(_sweep_task, (p, q_t, [spec for spec, _ in group], length, block, s, message))
             for q_t, group in groups for s in seeds]
    results = run_tasks(tasks, jobs=jobs, scheduler=scheduler, progress=progress)
    source = stream_source(p, message)
    h, marginal_h, memory = source.entropy_rate(), entropy(source.marginal()), memory_of(source)
    rows = [(name, t, q_t, modelled, which[g]) for g, (name, t, q_t) in enumerate(mixtures)]
    rows += [(None, None, None, learning, len(distinct))] if learning else []
    points = []
    for name, t, q_t, group, g in rows:
        per_trial = results[g * trials : (g + 1) * trials]
        hpq, kl = (None, None) if q_t is None else model_figures(source, q_t)
        for c, (spec, label) in enumerate(group):
            bits = tuple(r[c].bits for r in per_trial)
            per_symbol = [b / length for b in bits]
            mean = float(np.mean(per_symbol))
            points.append(SweepPoint(
                model=name, t=t, scheme=label, params=dict(spec.params), length=length, trials=trials,
                bits=bits, bits_per_symbol=mean, ci95=confidence_interval(per_symbol),
                excess_bits_per_symbol=mean - h, entropy_bits=h, cross_entropy_bits=hpq, kl_bits=kl,
                code_kl_bits=per_trial[0][c].code_kl, expected_bits_per_symbol=per_trial[0][c].expected,
                verified=all(r[c].verified for r in per_trial),
                marginal_entropy_bits=marginal_h, memory_bits=memory))
    return points


@dataclass(frozen=True)
class _Coded:
    """What a sweep task returns per scheme: the trial's bits, whether every block decoded, and the
    code's D(p||r) and expected length under p (None without a model)."""

    bits: int
    verified: bool
    code_kl: float | None
    expected: float | None


def _sweep_task(p: Source, q: Model | None, specs: Sequence[SchemeSpec], length: int, block: int,
                seed: np.random.SeedSequence | None, message: np.ndarray | None) -> list[_Coded]:
    """Code one trial's stream with every scheme built from q (q None: schemes that learn), block by block."""
    coders = [build_coder(spec, q, p.alphabet) for spec in specs]
    bits, verified = [0] * len(coders), [True] * len(coders)
    source = stream_source(p, message)
    for piece in source.blocks(length, seed, block):
        for c, coder in enumerate(coders):
            n, ok = code_message(coder, piece)[:2]
            bits[c] += n
            verified[c] = verified[c] and ok
    if q is None:
        return [_Coded(b, v, None, None) for b, v in zip(bits, verified)]
    return [_Coded(b, v, *code_figures(coder, source)[::-1]) for b, v, coder in zip(bits, verified, coders)]


def _variants(specs: Sequence[SchemeSpec], params: Mapping[str, Sequence] | None) -> list[tuple[SchemeSpec, str]]:
    """Each scheme with each combination of the swept values of the parameters it has, and its label.

    Labels show every swept parameter (even at its default value), so the points of a sweep are
    told apart by label alone.
    """
    if not params:
        return [(spec, spec.label) for spec in specs]
    registered = {s.name: {p.name for p in s.params} for s in available()}
    selected = ", ".join(dict.fromkeys(spec.name for spec in specs))
    for name, values in params.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise CodesimError(f"parameter sweep {name}: give a list of values, e.g. {name}=1,2,3")
        if len(values) > MAX_PARAM_VALUES:
            raise CodesimError(f"parameter sweep {name}: {len(values)} values, over the limit of {MAX_PARAM_VALUES}")
        if any(name in registered[spec.name] for spec in specs):
            continue
        owners = [scheme for scheme, names in registered.items() if name in names]
        if owners:
            raise CodesimError(f"no selected scheme has the parameter {name!r} (selected: {selected}); "
                               f"schemes with it: {', '.join(owners)}")
        every = sorted(set().union(*registered.values()))
        listing = ", ".join(f"{n} ({', '.join(s for s, ns in registered.items() if n in ns)})" for n in every)
        raise CodesimError(f"no scheme has a parameter {name!r}{did_you_mean(name, every)}; "
                           f"parameters: {listing}")
    variants = []
    for spec in specs:
        swept = [name for name in params if name in registered[spec.name]]
        grid = math.prod(len(params[name]) for name in swept)
        if len(variants) + grid > MAX_POINTS:
            raise CodesimError(f"the parameter sweep makes over {MAX_POINTS} scheme variants, the limit of "
                               "points in a sweep: sweep fewer values")
        if not swept:
            continue
        for values in itertools.product(*(params[name] for name in swept)):
            changed = SchemeSpec(spec.name, tuple({**dict(spec.params), **dict(zip(swept, values))}.items()))
            resolved = changed.resolved()  # converts and range-checks the values, naming a bad one
            variants.append((resolved, _label(resolved, swept)))
    return variants


def unswept(specs: Sequence[SchemeSpec], params: Mapping[str, Sequence]) -> list[str]:
    """A line for each scheme a parameter sweep leaves out, having none of the swept parameters; none
    when no scheme has one (the sweep is then an error that says so)."""
    out = [spec for spec in specs if not {p.name for p in get(spec.name).params} & set(params)]
    if len(out) == len(specs):
        return []
    return [f"left out {spec.label}: it has no parameter {' or '.join(params)}" for spec in out]


def _label(spec: SchemeSpec, shown: Sequence[str]) -> str:
    defaults = {p.name: p.default for p in get(spec.name).params}
    parts = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
             for k, v in spec.params if k in shown or defaults.get(k) != v]
    return spec.name + (":" + ",".join(parts) if parts else "")


# -- shared --------------------------------------------------------------------------------------

def _run_settings(scenario: Scenario, schemes, trials, seed, block, jobs, scheduler):
    """The schemes, trials, seed and block to run with, each given or the scenario's, validated."""
    check_jobs(jobs)
    check_scheduler(scheduler)
    run = scenario.run
    chosen = schemes if schemes is not None else (run.schemes or default_schemes(len(scenario.alphabet)))
    specs = [s if isinstance(s, SchemeSpec) else SchemeSpec.parse(s) for s in chosen]
    if not specs:
        raise CodesimError("no schemes to run: give at least one, e.g. huffman")
    if scenario.message is not None:
        if trials not in (None, 1):
            raise CodesimError("the message is a file's own symbols, coded once: trials must be 1")
        trials = 1
    trials = run.trials if trials is None else trials
    seed = run.seed if seed is None else seed
    if scenario.message is None and seed is None:
        raise CodesimError("a seed is needed: the scenario gives none, so pass one (it is what repeats a run)")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise CodesimError(f"seed must be a whole number >= 0, got {seed!r}")
    check_models(scenario.source, scenario.models)
    check_block(block, 1)  # its type here; its count of blocks once the length is known
    check_codes(specs, len(scenario.alphabet), _largest(scenario))  # a task holds one model's codes
    return specs, trials, seed, block_for(block, specs)


def _check_lengths(scenario: Scenario, lengths: Sequence[int] | None) -> list[int]:
    limit = None if scenario.message is None else int(scenario.message.size)
    if lengths is None:
        return log_lengths(limit if limit is not None else scenario.run.length)
    lengths = list(lengths)
    if not lengths:
        raise CodesimError("no lengths: give at least one prefix length")
    if len(lengths) > MAX_LENGTHS:
        raise CodesimError(f"{len(lengths)} lengths, over the limit of {MAX_LENGTHS} prefix lengths")
    for n in lengths:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise CodesimError(f"a length must be a whole number of symbols >= 1, got {n!r}")
    lengths = sorted({int(n) for n in lengths})
    if limit is not None and lengths[-1] > limit:
        raise CodesimError(f"length {show_count(lengths[-1])} is longer than the message ({limit} symbols): "
                           "prefixes of a file's message are at most its length")
    return lengths


def _seeds(scenario: Scenario, trials: int, seed: int | None) -> list[np.random.SeedSequence | None]:
    """Each trial's seed; a fixed message is its own single trial and needs none."""
    return [None] if scenario.message is not None else trial_seeds(seed, trials)


def _largest(scenario: Scenario) -> list[Model]:
    """The scenario's model with the most context rows (its codes are the largest a task holds)."""
    return [max(scenario.models.values(), key=context_rows)] if scenario.models else []


def _split(items: Sequence, spec_of=lambda spec: spec) -> tuple[list, list]:
    """The items whose scheme takes a model, and those whose scheme learns, each in the order given."""
    return ([x for x in items if not learns(spec_of(x))], [x for x in items if learns(spec_of(x))])


def _distinct(models: list[Model]) -> tuple[list[Model], list[int]]:
    """The distinct distributions among the models, and which of them each model is. Equal models
    measure the same on the same streams, so they are coded once: every model at t = 1 is p, and a
    scenario may name one distribution twice."""
    distinct: list[Model] = []
    index: dict[bytes, int] = {}  # models over the source's alphabet: their probabilities decide
    which = []
    for q in models:
        if has_memory(q):
            contexts, rows = q.context_table()
            key = b"%d:" % q.order + contexts.ids.tobytes() + b":" + rows.tobytes()
        else:
            key = order0_probs(q).tobytes()
        if key not in index:
            index[key] = len(distinct)
            distinct.append(q)
        which.append(index[key])
    return distinct, which


