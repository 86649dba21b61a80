"""Simulations: draw streams from a source p, code them with codes built from models q, measure real bits.

Every bit count here comes from a stream that was encoded and decoded back; a trial whose decoded
stream differs from the original is reported as not verified, never silently counted.

Streams are drawn through the source protocol (:mod:`codesim.sources.base`): each trial's stream comes
in blocks from ``p.blocks``, which carries the source's state (a chain's last symbols) from block to
block; every block is one coded message. An i.i.d. model is measured from each trial's symbol counts
(the ideal length sum -log2 q(x) and the log-likelihood ratio are functions of the counts, so a block
costs one ``bincount``); a model with memory (a chain) from the sum of -log2 q(x | context) over each
message, which starts afresh as its code does. The source's own -log2 p(x | context) runs on across
blocks, for the sample log-likelihood ratio. The theory beside the measurements is in rates: entropy
rate, cross-entropy rate and KL divergence rate (:mod:`codesim.sources.markov`), equal to H(p),
H(p,q) and D(p||q) for an i.i.d. source. A scheme that learns (``Scheme.learns``) takes no model: it
runs once per stream, and its measurement has ``model`` None and no model figures.

>>> from codesim import Distribution, simulate
>>> p = Distribution.from_probs([0.5, 0.25, 0.25])
>>> m = simulate(p, Distribution.uniform(3), "huffman", length=1000, trials=3, seed=1)
>>> m.verified, round(m.kl_bits, 4)
(True, 0.085)
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np

from ..coders import Coder, PrefixCode, SchemeSpec, get
from ..coders.dary import DaryCode
from ..coders.base import MAX_SYMBOLS
from ..sources.base import Model, Source, whole_stream
from ..sources.files import Message
from ..sources.iid import Distribution
from ..errors import CodesimError, DecodeError, counted, show_count
from ..coders.context import ContextCode
from ..measures import cross_entropy, entropy, ideal_length_of_counts, kl_divergence, log_likelihood_ratio_of_counts
from ..sources.markov import MarkovChain, cross_entropy_rate, kl_rate
from .parallel import check_jobs
from .stats import confidence_interval

#: Streams are drawn and coded in blocks, so memory does not limit the length; time does. A longer
#: request is refused up front rather than left running for days. It also bounds length x trials, the
#: symbols each scheme codes in a run.
MAX_LENGTH = 10**11
#: Symbols per block: each block of a trial's stream is one coded message (see simulate_many). A
#: multiple of the shortest stream a prefix code decodes in lanes (2^21 symbols, 128 lanes), so a run
#: decodes its full blocks at lane speed: twice it, as 256 lanes decode about 1.5 times faster than
#: 128 (runs of 3*10^7 symbols here took 0.7 s with huffman at 2^22, 0.9 s at 2^21 and 1.6 s at 2^20),
#: and a run over 10^8 symbols stays near 100 MB resident (60 MB at 2^20).
BLOCK = 2 * PrefixCode.symbols_per_lane * PrefixCode.min_lanes
MAX_TRIALS = 10**5
#: What a run does when neither the scenario nor the caller says (the README states them).
DEFAULT_LENGTH = 100_000
DEFAULT_TRIALS = 5
#: The most blocks a stream is cut into. A block costs a draw and, per scheme, an encode, a decode and
#: a comparison, 0.3 to 0.7 ms here whatever its size (measured with one-symbol blocks): 10^5 blocks
#: add about a minute per scheme and trial at most, where ``--block 1`` on a stream of 10^11 symbols
#: would add years. The default block reaches MAX_LENGTH within it.
MAX_BLOCKS = 10**5

#: Every code a run codes with is built before the first block and kept to the last, and its tables
#: cost about 250 bytes per entry (a prefix code over 65536 symbols, or block-huffman over 65536
#: tuples, takes 16 MB) and at least 0.6 MB (the table of symbol pairs a prefix code over up to 256
#: symbols packs with). So the codes held at once (a run's (model, scheme) pairs, or the schemes of one
#: convergence or sweep task) may have this many table entries in all, each counted as at least
#: MIN_CODE_ENTRIES: 512 codes over small alphabets (about 300 MB), 32 over 65536 symbols (about 530 MB).
MAX_CODE_ENTRIES = 1 << 21
MIN_CODE_ENTRIES = 1 << 12
#: A context code's tables cost about 80 bytes per (context, symbol) entry (measured: a context Huffman
#: code over 13814 contexts x 93 symbols held 102 MB after coding), a third of an i.i.d. prefix code's
#: 250: an entry counts 1/3.
CONTEXT_ENTRY_WEIGHT = 3
#: The most symbols of a stream held whole in memory (``sample``, ``encode``, ``bench``): as many as
#: a .csim file holds, and as ``decode`` writes in a few seconds.
MAX_WHOLE_STREAM = MAX_SYMBOLS

@dataclass(frozen=True)
class Measurement:
    """What one (model, scheme) pair did on the sampled streams, with the theory beside it.

    ``bits_per_symbol`` is the mean over trials of encoded bits / length; ``ideal_bits_per_symbol`` the
    mean of sum(-log2 q(x | context)) / length over the same streams; ``sample_kl_bits`` the mean of the
    streams' average log2 p(x | context)/q(x | context), which converges to ``kl_bits``, the KL divergence
    rate D(p||q) (D(p||q) itself for i.i.d. p and q). ``entropy_bits`` is the source's entropy rate and
    ``cross_entropy_bits`` the model's cross-entropy rate; ``marginal_entropy_bits`` is H of one symbol
    and ``memory_bits`` its excess over the entropy rate, what any i.i.d. model loses (0 for an i.i.d.
    source). For a file (a fixed message) the entropy is the file's order-0 entropy, which a model with
    memory may beat; such a model's cross-entropy is its ideal length on the file, and it has no
    ``kl_bits``. ``code_kl_bits`` is the code's divergence rate, D(p||r) for the code's implied r. A
    scheme that learns has no model: ``model`` and every figure of q (ideal length, sample KL,
    cross-entropy, KL, code KL, expected length) are None; ``limit_bits_per_symbol`` is then what it
    tends to as the stream grows (its excess over that at this length is its regret), where known.
    ``scheme_note`` says how the scheme codes where that needs saying beside its bits.
    """

    model: str | None
    scheme: str
    length: int
    trials: int
    seed: int
    bits: tuple[int, ...]
    bits_per_symbol: float
    ci95: tuple[float, float] | None
    expected_bits_per_symbol: float | None
    ideal_bits_per_symbol: float | None
    sample_kl_bits: float | None
    entropy_bits: float
    cross_entropy_bits: float | None
    kl_bits: float | None
    code_kl_bits: float | None
    excess_bits_per_symbol: float
    verified: bool
    encode_seconds: float = field(compare=False)
    decode_seconds: float = field(compare=False)
    marginal_entropy_bits: float | None = None
    memory_bits: float | None = None
    model_order: int | None = None  # how many symbols of context the model looks at (0: i.i.d.)
    #: For a scheme that learns: the bits per symbol it tends to as the stream grows, where that has a
    #: closed form (None for a general-purpose compressor, and for every scheme that takes a model).
    limit_bits_per_symbol: float | None = None
    #: How the scheme codes, where the table should say it (a compressor's packing of symbols into bytes).
    scheme_note: str | None = None
    #: For a code over D > 2 digits: the digits per symbol its streams took (mean over trials), whose
    #: bits per symbol are these digits packed into bits; None for a binary code.
    digits_per_symbol: float | None = None

    @property
    def code_loss_bits(self) -> float:
        """Measured excess beyond D(p||q): the code's own loss (whole-bit lengths, quantisation,
        termination); nan where D(p||q) is infinite or there is no model."""
        if self.kl_bits is None or not math.isfinite(self.kl_bits):
            return math.nan
        return self.excess_bits_per_symbol - self.kl_bits

    @property
    def encode_symbols_per_second(self) -> float:
        return self.length * self.trials / self.encode_seconds if self.encode_seconds > 0 else math.inf

    @property
    def decode_symbols_per_second(self) -> float:
        return self.length * self.trials / self.decode_seconds if self.decode_seconds > 0 else math.inf

    def to_dict(self) -> dict:
        return plain_dict(self)


def plain_dict(record) -> dict:
    """A dataclass as plain data, ready for JSON: nested tuples (bits, intervals) become lists."""
    def plain(value):
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return plain(asdict(record))


def check_run_size(length: int, trials: int) -> None:
    """Refuse lengths and trial counts that could never finish, before anything is drawn."""
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise CodesimError(f"length must be a whole number of symbols >= 1, got {length!r}")
    if length > MAX_LENGTH:
        raise CodesimError(
            f"length {show_count(length)} is over the limit of {MAX_LENGTH:.0e} symbols: at tens of millions of "
            "symbols a second, a longer stream would take hours per trial and scheme; use more trials"
        )
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise CodesimError(f"trials must be a whole number >= 1, got {trials!r}")
    if trials > MAX_TRIALS:
        raise CodesimError(f"trials {show_count(trials)} is over the limit of {MAX_TRIALS}")
    if length * trials > MAX_LENGTH:
        raise CodesimError(
            f"length {length} x trials {trials} = {length * trials} symbols is over the limit of "
            f"{MAX_LENGTH:.0e} symbols per scheme in a run: use a shorter length or fewer trials"
        )


def check_models(p: Source, models: Mapping[str, Model]) -> None:
    """Refuse a model over another alphabet than the source's (a code for it cannot code p's symbols)."""
    for name, q in models.items():
        if q.alphabet != p.alphabet:
            raise CodesimError(f"model {name!r} has another alphabet than the source")


def check_block(block: int, length: int) -> None:
    """Refuse a block size that is not a whole number, or that cuts a stream into too many blocks."""
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise CodesimError(f"block must be a whole number of symbols >= 1, got {block!r}")
    blocks = -(-int(length) // int(block))
    if blocks > MAX_BLOCKS:
        raise CodesimError(
            f"block {block} cuts a stream of {length} symbols into {blocks} blocks, over the limit of "
            f"{MAX_BLOCKS:.0e}: use a block of at least {-(-int(length) // MAX_BLOCKS)} symbols"
        )


def check_stream_length(length: int, what: str = "length") -> None:
    """Refuse a whole stream (drawn at once and held in memory) longer than MAX_WHOLE_STREAM; ``what``
    names where the length was given."""
    if length > MAX_WHOLE_STREAM:
        raise CodesimError(
            f"{what} {show_count(length)} is over the limit of {MAX_WHOLE_STREAM} symbols for a stream held whole "
            "in memory (codesim run codes longer streams in blocks)"
        )


def check_codes(specs: Sequence[SchemeSpec], alphabet_size: int, models: int | Sequence[Model] = 1) -> None:
    """Refuse codes for ``models`` (a count of i.i.d. models, or the models) by each of ``specs`` over
    ``alphabet_size`` symbols whose tables would pass :data:`MAX_CODE_ENTRIES`, before any is built (a
    scheme's table has K^unit entries; a context code's, K per context row, at CONTEXT_ENTRY_WEIGHT; a
    learner's that builds its tables per message (``Scheme.per_symbol_table`` False), none)."""
    # A block code's K^k past its own limit of 2^16 tuples is refused by the scheme, naming it. A scheme
    # that learns is built once, not once per model (its own tables are bounded by its parameters).
    rows = [1] * models if isinstance(models, int) else [context_rows(q) for q in models]
    entries = 0
    for spec in specs:
        own = min(alphabet_size ** spec.unit, 1 << 16)
        if learns(spec):  # built once; a learner without a table per symbol holds nothing between messages
            entries += max(own, MIN_CODE_ENTRIES) if get(spec.name).per_symbol_table else 0
            continue
        for n in rows:
            entries += max(n * alphabet_size // CONTEXT_ENTRY_WEIGHT if n > 1 and spec.unit == 1 else own,
                           MIN_CODE_ENTRIES)
    if entries > MAX_CODE_ENTRIES:
        count, learning = len(rows), sum(map(learns, specs))
        what = f"{count} models x {counted(len(specs), 'scheme')}" if count > 1 else counted(len(specs), "scheme")
        raise CodesimError(
            f"{what} over {alphabet_size} symbols make {counted(count * (len(specs) - learning) + learning, 'code')} "
            f"held at once{' (a scheme that learns is built once)' if learning and count > 1 else ''}, with "
            f"{entries} table entries (each counted as at least {MIN_CODE_ENTRIES}), over the limit of "
            f"{MAX_CODE_ENTRIES} (2^21, about 500 MB): choose fewer models (--model) or schemes (--scheme)"
        )


def context_rows(q: Model) -> int:
    """How many context rows a context code built from q has (1: an i.i.d. model)."""
    return q.context_table()[0].rows if has_memory(q) else 1


def block_for(block: int, specs: Sequence[SchemeSpec]) -> int:
    """``block`` rounded up to a multiple of every scheme's unit (a block code's k).

    A block code given a block that is not a multiple of k would code the block's last symbols as a
    leftover tail, so its bits would depend on where the stream is cut; cut at multiples of k, its
    blocks' bits add up to those of the whole stream, as a prefix code's do.
    """
    unit = math.lcm(*(spec.unit for spec in specs))
    return -(-int(block) // unit) * unit


def trial_seeds(seed: int, trials: int) -> list[np.random.SeedSequence]:
    """One seed per trial, spawned from the run's seed: trial t can be repeated on its own, and the
    streams do not depend on what else the run does or on which process draws them."""
    return np.random.SeedSequence(seed).spawn(trials)


def trial_streams(p: Source, length: int, trials: int, seed: int) -> Iterator[np.ndarray]:
    """The trials' whole streams (held in memory: for short runs, files and tests)."""
    check_stream_length(length)
    for child in trial_seeds(seed, trials):
        yield whole_stream(p, length, child)


def stream_source(p: Source, message: np.ndarray | None) -> Source:
    """What a trial's stream is drawn from: p, or a fixed ``message`` over p's alphabet."""
    return p if message is None else Message(p.alphabet, np.asarray(message))


def prepared(coders: list[Coder], n: int) -> list[Coder]:
    """The coders, each with the tables and kernels a message of n symbols needs built or loaded
    (:meth:`Coder.prepare`), so that the first message's timing is of coding, not of compiling."""
    for coder in coders:
        try:
            coder.prepare(n)
        except DecodeError:  # a decoder that fails is measured as such (verified false), not refused here
            pass
    return coders


def learns(spec: SchemeSpec) -> bool:
    """Whether the scheme learns as it codes (and so takes no model)."""
    return get(spec.name).learns


def build_coder(spec: SchemeSpec, q: Model | None, alphabet: Sequence) -> Coder:
    """The scheme's coder for the model q; a scheme that learns (q None) is given the uniform model
    over the alphabet, of which it takes only the size."""
    return spec.build(Distribution.uniform(alphabet) if q is None else q)


def has_memory(x) -> bool:
    """Whether a model or source looks at context (a chain of order > 0)."""
    return getattr(x, "order", 0) > 0


def model_bits(q: Model, message: np.ndarray) -> float:
    """sum of -log2 q(x | context) over a message, coded afresh as its code codes it."""
    if has_memory(q):
        return q.message_bits(message)
    return ideal_length_of_counts(np.bincount(message, minlength=len(q.alphabet)), q)


def source_bits(p: Source, piece: np.ndarray, before: np.ndarray | None) -> float:
    """sum of -log2 p(x | context) over a piece of p's stream that follows ``before`` (None: the start)."""
    if isinstance(p, MarkovChain):
        return p.message_bits(piece, before)
    return ideal_length_of_counts(np.bincount(piece, minlength=len(p.alphabet)), p.marginal())


@dataclass
class _Observed:
    """What one coder did on one trial: summed over the trial's blocks."""

    bits: int = 0
    verified: bool = True
    encode_seconds: float = 0.0
    decode_seconds: float = 0.0


@dataclass
class _TrialTask:
    """Everything a trial needs, picklable, so trials can run in other processes.

    Coders are built from their specs where the task runs (once per process and chunk of trials),
    never shipped: a code is determined by its spec and q.
    """

    p: Source
    models: list[Model | None]  # one per pair; None for a scheme that learns
    specs: list[SchemeSpec]  # one per pair
    length: int
    block: int

    @cached_property
    def coders(self) -> list[Coder]:
        return prepared([build_coder(spec, q, self.p.alphabet) for spec, q in zip(self.specs, self.models)],
                        min(self.length, self.block))

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "coders"}  # rebuilt where the task runs

    def __call__(self, seed: np.random.SeedSequence, progress: Callable[[int], None] | None = None):
        """The trial's observations per pair, its symbol counts, and the sums of -log2 q(x | context)
        per pair (for models with memory; None for the rest) and of -log2 p(x | context) (for a source
        with memory; else None): the measures'."""
        observed = [_Observed() for _ in self.coders]
        size = len(self.p.alphabet)
        counts = np.zeros(size, dtype=np.int64)
        memory = [q if has_memory(q) else None for q in self.models]
        ideals = [0.0 if q is not None else None for q in memory]
        own = 0.0 if isinstance(self.p, MarkovChain) else None
        before = None
        for stream in self.p.blocks(self.length, seed, self.block):
            counts += np.bincount(stream, minlength=size)
            for i, q in enumerate(memory):
                if q is not None:
                    ideals[i] += model_bits(q, stream)
            if own is not None:
                own += source_bits(self.p, stream, before)
                before = stream
            for coder, seen in zip(self.coders, observed):
                _code_block(coder, stream, seen)
            if progress:
                progress(stream.size)
        return observed, counts, ideals, own


def code_message(coder: Coder, stream: np.ndarray) -> tuple[int, bool, float, float]:
    """Encode one message, decode it and compare: (bits, round trip held, encode s, decode s).

    The one place where codesim counts bits: they come from a real encoding that was decoded again.
    A stream longer than the coder's ``symbol_limit()`` (what a .csim file of the scheme may hold) is
    coded as consecutive messages of that many symbols: a message takes a few seconds at most.
    """
    step = coder.symbol_limit()
    if stream.size > step:
        parts = [code_message(coder, stream[lo : lo + step]) for lo in range(0, stream.size, step)]
        return (sum(p[0] for p in parts), all(p[1] for p in parts), sum(p[2] for p in parts),
                sum(p[3] for p in parts))
    t0 = time.perf_counter()
    bits = coder.encode(stream)
    t1 = time.perf_counter()
    try:
        ok = bool(np.array_equal(coder.decode(bits, stream.size), stream))
    except DecodeError:
        ok = False
    return len(bits), ok, t1 - t0, time.perf_counter() - t1


def bound_bits(coder: Coder, source: Source, length: int, block: int) -> float | None:
    """The coder's bound on the expected bits of a stream of ``length`` symbols from ``source`` coded as
    :func:`code_message` codes it in blocks: a message per block, or per ``symbol_limit()`` symbols of
    a longer block, each bounded on its own (:meth:`Coder.expected_bits_bound`); None where the coder
    has no such bound, and for a file."""
    if isinstance(source, Message):
        return None
    step = min(block, coder.symbol_limit())

    def split(n: int, size: int, each) -> float | None:
        """The sum of ``each`` over n symbols cut into pieces of ``size`` and a shorter rest."""
        total = 0.0
        for count, piece in ((n // size, size), (1, n % size)):
            if count and piece:
                b = each(piece)
                if b is None:
                    return None
                total += count * b
        return total

    return split(length, block, lambda piece: split(piece, step, lambda n: coder.expected_bits_bound(source, n)))


def _code_block(coder: Coder, stream: np.ndarray, seen: _Observed) -> None:
    bits, ok, encode_seconds, decode_seconds = code_message(coder, stream)
    seen.bits += bits
    seen.verified &= ok
    seen.encode_seconds += encode_seconds
    seen.decode_seconds += decode_seconds


def simulate_many(
    p: Source,
    models: Mapping[str, Model],
    schemes: Sequence[SchemeSpec | str],
    *,
    length: int,
    trials: int,
    seed: int,
    block: int = BLOCK,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    message: np.ndarray | None = None,
) -> list[Measurement]:
    """Measure every (model, scheme) pair on the same sampled streams, model-major order; then every
    scheme that learns, once (its measurement has ``model`` None).

    Each trial's stream is drawn and coded in blocks of at most ``block`` symbols: every block is
    encoded as a message of its own, decoded, compared and dropped, so memory stays bounded at any
    length; a stream no longer than a block is one message. ``jobs`` > 1 runs trials in that many
    processes, with results identical to one process. ``progress`` is called with the number of
    symbols each step has coded (of length * trials in all). A ``message`` (a file's own symbols) is
    coded instead of streams drawn from p; then length is its size and there is one trial.
    """
    if message is not None:
        message = np.asarray(message)
        if message.size != length or trials != 1:
            raise CodesimError("a fixed message is coded once: length must be its size and trials 1")
    check_run_size(length, trials)
    check_block(block, length)
    check_jobs(jobs)
    specs = [s if isinstance(s, SchemeSpec) else SchemeSpec.parse(s) for s in schemes]
    check_models(p, models)
    check_codes(specs, len(p.alphabet), list(models.values()))
    pairs = [(name, spec) for name in models for spec in specs if not learns(spec)]
    pairs += [(None, spec) for spec in specs if learns(spec)]
    source = stream_source(p, message)
    task = _TrialTask(source, [None if name is None else models[name] for name, _ in pairs],
                      [spec for _, spec in pairs], length, block_for(block, specs))
    # Built here before any trial runs (and rebuilt where trials run in other processes), so that a
    # model a scheme cannot serve is named before any work is done.
    coders = []
    for (name, spec), q in zip(pairs, task.models):
        try:
            coders.append(build_coder(spec, q, p.alphabet))
        except CodesimError as exc:
            if name is None:
                raise
            raise type(exc)(f"model {name!r}: {exc}") from None
    task.coders = prepared(coders, min(length, task.block))
    seeds = trial_seeds(seed, trials)
    if jobs == 1:
        outcomes = [task(s, progress) for s in seeds]
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, trials)) as pool:
            outcomes = []
            for outcome in pool.map(task, seeds, chunksize=-(-trials // min(jobs, trials))):
                outcomes.append(outcome)
                if progress:
                    progress(length)
    return [
        _measurement(name, spec, coder, source, q, [o[0][i] for o in outcomes], _Trials(outcomes, i, length), seed)
        for i, ((name, spec), coder, q) in enumerate(zip(pairs, coders, task.models))
    ]


def simulate(
    p: Source,
    q: Model,
    scheme: SchemeSpec | str = "huffman",
    *,
    length: int = DEFAULT_LENGTH,
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    model: str = "q",
) -> Measurement:
    """Measure one scheme built from q on ``trials`` streams of ``length`` symbols drawn from p."""
    return simulate_many(p, {model: q}, [scheme], length=length, trials=trials, seed=seed)[0]


def memory_of(source: Source) -> float | None:
    """H(marginal) - entropy rate: what an i.i.d. model loses on the source (None for a file)."""
    if isinstance(source, Message):
        return None
    return max(0.0, entropy(source.marginal()) - source.entropy_rate())


def model_figures(source: Source, q: Model, ideal: float | None = None) -> tuple[float, float | None]:
    """(cross-entropy rate, KL divergence rate) of the model q on the source. On a file a model with
    memory has no rate to compare with: its cross-entropy is its ``ideal`` bits per symbol on the file,
    and its KL None."""
    if isinstance(source, Message) and has_memory(q):
        return ideal, None
    if isinstance(source, MarkovChain) or has_memory(q):
        return cross_entropy_rate(source, q), kl_rate(source, q)
    # An i.i.d. model's cross-entropy rate is that of one symbol; its KL rate adds the memory.
    p = source.marginal()
    return cross_entropy(p, q), kl_divergence(p, q) + (memory_of(source) or 0.0)


def code_figures(coder: Coder, source: Source) -> tuple[float | None, float | None]:
    """(expected bits per symbol, divergence rate of the code's implied distribution) on the source.

    A symbol code's expectation depends on the source's marginal alone; a code that reads context (a
    context code, a block code) is given the source itself, and its divergence is its expected excess
    over the entropy rate. A context code, or a learner that uses context, has no expectation on a file,
    which has no contexts' frequencies; a coder whose limit has no closed form (``expected_length`` None) has neither."""
    learner_with_context = coder.reads_context and get(coder.scheme).learns
    if isinstance(source, Message) and (isinstance(coder, ContextCode) or learner_with_context):
        return None, None
    if coder.reads_context and not isinstance(source, Message):
        expected = coder.expected_length(source)
        return expected, None if expected is None else max(0.0, expected - source.entropy_rate())
    p = source.marginal()
    expected = coder.expected_length(p)
    if expected is None:  # a coder with no closed form for its limit (a general-purpose compressor)
        return None, None
    return expected, coder.code_divergence(p) + (memory_of(source) or 0.0)


@dataclass
class _Trials:
    """What the trials saw, for one pair's measures: per trial, the symbol counts, the model's ideal
    length (with memory) and the source's own -log2 p (with memory)."""

    outcomes: list
    pair: int
    length: int

    def ideal(self, q: Model) -> float:
        """Mean over trials of sum(-log2 q(x | context)) / length."""
        if has_memory(q):
            return float(np.mean([o[2][self.pair] / self.length for o in self.outcomes]))
        return float(np.mean([ideal_length_of_counts(o[1], q) / self.length for o in self.outcomes]))

    def digits(self, coder: Coder) -> float | None:
        """Mean over trials of the digits a D-ary code's stream took / length; None for a binary code."""
        if not isinstance(coder, DaryCode):
            return None
        return float(np.mean([coder.digit_count(o[1]) / self.length for o in self.outcomes]))

    def sample_kl(self, p: Source, q: Model) -> float:
        """Mean over trials of the stream's average log2 p(x | context) / q(x | context)."""
        if not isinstance(p, MarkovChain) and not has_memory(q):
            marginal = p.marginal()
            return float(np.mean([log_likelihood_ratio_of_counts(o[1], marginal, q) for o in self.outcomes]))
        if isinstance(p, Message):  # a file has no p(x | context) but its frequencies
            return math.nan
        per_trial = []
        for o in self.outcomes:
            own = o[3] if o[3] is not None else ideal_length_of_counts(o[1], p.marginal())
            theirs = o[2][self.pair] if has_memory(q) else ideal_length_of_counts(o[1], q)
            per_trial.append((theirs - own) / self.length)
        return float(np.mean(per_trial))


def _measurement(name: str | None, spec: SchemeSpec, coder: Coder, source: Source, q: Model | None,
                 observed: list[_Observed], trials: _Trials, seed: int) -> Measurement:
    length = trials.length
    per_symbol = [o.bits / length for o in observed]
    mean = float(np.mean(per_symbol))
    h = source.entropy_rate()
    memory = memory_of(source)
    limit = None
    if q is None:
        expected = ideal = sample_kl = hpq = kl = code_kl = None
        limit = None if isinstance(source, Message) else code_figures(coder, source)[0]
    else:
        ideal = trials.ideal(q)
        sample_kl = trials.sample_kl(source, q)
        expected, code_kl = code_figures(coder, source)
        hpq, kl = model_figures(source, q, ideal)
    return Measurement(
        model=name,
        scheme=spec.label,
        length=length,
        trials=len(observed),
        seed=seed,
        bits=tuple(o.bits for o in observed),
        bits_per_symbol=mean,
        ci95=confidence_interval(per_symbol),
        expected_bits_per_symbol=expected,
        ideal_bits_per_symbol=ideal,
        sample_kl_bits=sample_kl,
        entropy_bits=h,
        cross_entropy_bits=hpq,
        kl_bits=kl,
        code_kl_bits=code_kl,
        excess_bits_per_symbol=mean - h,
        verified=all(o.verified for o in observed),
        encode_seconds=sum(o.encode_seconds for o in observed),
        decode_seconds=sum(o.decode_seconds for o in observed),
        marginal_entropy_bits=entropy(source.marginal()),
        memory_bits=memory,
        model_order=None if q is None else getattr(q, "order", 0),
        limit_bits_per_symbol=limit,
        scheme_note=coder.note(),
        digits_per_symbol=trials.digits(coder),
    )
