"""Throughput benchmarks: encode and decode speed, and bits against the ideal, per scheme and source.

Benchmarks measure; they are not tests (timings depend on the machine). Each row comes from a stream
that was really encoded, decoded and compared; the best of ``repeats`` timings is kept, the usual way
to filter out a busy machine.

Peers (``peers=True``): other libraries doing the same job on the same stream, each followed by the
ratio of our throughput to theirs (above 1: codesim is faster). A coder names its peers
(``Coder.bench_peers``); this module runs them:

- ``bitarray``: its own C Huffman coder, ``bitarray.encode(table, symbols)`` and
  ``bitarray.decode(decodetree)``, given the prefix code's own canonical codewords, so its bits must
  equal our codewords bit for bit (ours, on a stream long enough to be coded in lanes, come after a jump
  table that bitarray has no use for: its bits per symbol are that much lower). It needs a Python
  iterable of symbols; our input is a numpy index array, so the ``stream.tolist()`` that turns one into
  the other is counted in its encoding time: it is part of what using bitarray on this input costs
  (about a sixth of that time at 10^7 symbols). Iterating the numpy array directly works too but takes
  twice as long, so the list is the fairer input. It decodes into a numpy array with ``np.fromiter``,
  the output our decoders give. On a stream too short for lanes a plain install's prefix decoder is that
  same call plus a check that the symbols used every bit, so its decoding ratio there sits a little
  under 1; with the ``fast`` extra a compiled table decoder replaces it. Extension codes code tuples,
  not symbols, so they have no bitarray peer.
- ``constriction ans`` and ``constriction range`` (optional extra ``bench``): its ANS coder
  (``stack.AnsCoder``) and its range coder (``queue.RangeEncoder``/``RangeDecoder``), each with a
  ``Categorical`` model built from the same distribution q, which it quantises itself (to 24 bits;
  ours quantise to their ``precision``). It takes int32 symbols, so the ``astype(np.int32)`` is in its
  encoding time, and its bits are its compressed 32-bit words times 32, final state included, as ours
  count every bit of their output.

On both sides the code or model is built outside the timed region, and the work timed is the whole
stream in, the whole encoding out (and back).

Short streams (:class:`FastPath`): a coder's throughput grows with length up to where its fast path
applies, for two reasons the bench measures or asks the coder, and names under its table. A message
has a fixed cost whatever its length (calls into compiled code, a table or a format's header written
and read), timed as the encoding and decoding of a one-symbol message: below the length where it is
half the time, a row shows that cost more than the coder's speed. And a coder that splits a stream
into lanes (``lanes_for``: prefix codes' lane decoder, rans's interleaved states) codes a shorter
stream as one, slower.

Throughput against length (``codesim bench --sweep``): each source's stream is drawn once at the
longest length and each length times its first symbols, which are exactly the stream that length
draws alone. A scheme is timed at a length only when its time there, predicted from a shorter
stream, fits in :data:`ROW_SECONDS`, so a sweep to 10^8 symbols stops each slow coder at the length
it codes within half a minute, and says so.

The pipeline (``codesim bench --pipeline``, :func:`pipeline`): the whole work of ``codesim run``
(draw from p, encode, decode, compare, block by block) with a scheme, against numpy and bitarray doing
the same with p's Huffman code: ``Generator.choice`` draws, bitarray's C ``encode`` and ``decode``
code, ``np.array_equal`` compares, in the same blocks.
"""

from __future__ import annotations

import importlib
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from bitarray import bitarray, decodetree

from .. import jit
from ..coders import Coder, SchemeSpec
from ..coders.registry import ALL, select
from ..sources.iid import Distribution
from ..errors import CodesimError, counted, show_count
from ..sources.markov import MarkovChain
from .simulate import BLOCK, check_run_size, learns, model_bits, simulate_many

#: Symbols a coder codes once before it is timed: enough to call every kernel it has.
WARM_UP_SYMBOLS = 256
#: Timings of a one-symbol message, for a coder's fixed cost per message (the best is kept).
FIXED_REPEATS = 5

NASA_PROBS = (0.30, 0.40, 0.05, 0.06, 0.07, 0.02, 0.05, 0.05)


def zipf(k: int = 256, s: float = 1.0) -> Distribution:
    """A Zipf-like distribution over k symbols: q(i) proportional to 1 / (i + 1)^s."""
    w = 1.0 / np.arange(1, k + 1) ** s
    return Distribution.from_probs(w / w.sum())


#: The most symbols one ``bench`` may ask for in all (the lengths summed, times schemes, sources and
#: repeats; each encoded and decoded, peers aside): a sweep of every scheme from 10^3 to 10^8 on both
#: sources asks for 3.1*10^9. What a slow coder really times is bounded by :data:`ROW_SECONDS`.
MAX_BENCH_SYMBOLS = 1 << 32
#: The longest stream ``bench`` draws and codes whole, as one message whatever the scheme's limit on a
#: file: 100 MB of byte symbols and as much again decoded (bitarray's peer takes a Python list, 8 bytes
#: a symbol more).
MAX_BENCH_LENGTH = 10**8
#: The lengths of a throughput-against-length table (``codesim bench --sweep``): 10^3 to 10^8.
SWEEP_LENGTHS = tuple(10**k for k in range(3, 9))
#: A length is timed for a scheme only when its encoding and decoding (all repeats) are predicted to
#: take at most this many seconds: from the scheme's time on the longest shorter stream of the source
#: timed before, or else on a probe of :data:`PROBE_LENGTH` symbols, scaled in proportion to the
#: length (coders do not get slower per symbol on longer streams, so the prediction errs long). A
#: slow coder thus stops at the length it codes within half a minute; the table names what it left out.
ROW_SECONDS = 30.0
PROBE_LENGTH = 10**5
#: ``codesim bench --pipeline``: the stream length of the end-to-end comparison.
PIPELINE_LENGTH = 3 * 10**7

def nasa_chain(stay: float = 0.5) -> MarkovChain:
    """The NASA levels with persistence: a reading repeats with probability ``stay``, else is drawn from
    the NASA distribution afresh (which stays the chain's stationary distribution). Codes built from it
    are context codes, one code per previous reading."""
    p = np.array(NASA_PROBS)
    return MarkovChain.from_transitions((1 - stay) * p + stay * np.eye(p.size), [100, 105, 110, 145, 160, 162, 174, 180])


def weather() -> MarkovChain:
    """Two symbols with memory (calm stays calm with probability 0.8, a storm stormy with 0.7): the binary
    source of ``scenarios/weather-persistence.toml``, for the coders that learn binary decisions (ctw)."""
    return MarkovChain.from_transitions([[0.8, 0.2], [0.3, 0.7]], ["calm", "storm"])


SOURCES = {
    "nasa": lambda: Distribution.from_probs(NASA_PROBS, [100, 105, 110, 145, 160, 162, 174, 180]),
    "zipf256": zipf,
    "nasa-chain": nasa_chain,
    "weather": weather,
}
#: What ``codesim bench`` times when no source is named: the i.i.d. sources (name the chain to time
#: the context codes beside them).
DEFAULT_SOURCES = ("nasa", "zipf256")


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
    #: None on codesim's own rows; on a peer row, the library and coder that did the same job.
    peer: str | None = None
    #: On a peer row: our encoding (decoding) throughput divided by the peer's, on the same stream.
    encode_ratio: float | None = None
    decode_ratio: float | None = None
    #: On a bitarray row: its bits equal our codewords bit for bit (``verified`` requires it too).
    same_bits: bool | None = None

    @property
    def overhead_bits_per_symbol(self) -> float:
        """Measured bits beyond the stream's own sum of -log2 q(x), per symbol."""
        return self.bits_per_symbol - self.ideal_bits_per_symbol


def _warm_up(coder, stream: np.ndarray) -> None:
    """Tables a coder builds on first use (lookup tables, lanes' decode tables) are part of building
    the code, which happens before the clock starts on every side; so is loading (or compiling) the
    compiled kernels, which the coder's first message in a process does."""
    coder.prepare(stream.size)
    head = stream[:WARM_UP_SYMBOLS]
    coder.decode(coder.encode(head), head.size)


def _best_time(fn, repeats: int):
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


#: One line for a user who asked for peers without constriction installed.
INSTALL_HINT = ("constriction is not installed, so its ANS and range coders are left out; "
                "to compare against them: pip install 'codesim[bench]'")


def _constriction():
    """The constriction module, or None: it is an optional extra, and a benchmark without it still runs.

    Imported on each call rather than once at import, so that installing it (or, in tests, hiding it)
    takes effect without reloading codesim.
    """
    try:
        return importlib.import_module("constriction")
    except ImportError:
        return None


def missing_peers_hint() -> str | None:
    """:data:`INSTALL_HINT` when a peer library is missing, else None (bitarray is a dependency)."""
    return None if _constriction() is not None else INSTALL_HINT


@dataclass(frozen=True)
class PeerRun:
    """A peer library's encoding and decoding of one stream."""

    peer: str
    encode_seconds: float
    decode_seconds: float
    bits: int
    verified: bool
    same_bits: bool | None = None


def _bitarray_peer(coder: Coder, q: np.ndarray, stream: np.ndarray, ours: bitarray,
                   repeats: int) -> PeerRun | None:
    """bitarray's C encoder and decoder with this prefix code's codewords (the list input counted)."""
    table = {i: bitarray(coder.codeword(i), endian="big") for i in range(coder.size)}
    tree = decodetree(table)

    def encode():
        out = bitarray(endian="big")
        out.encode(table, stream.tolist())
        return out

    t_enc, bits = _best_time(encode, repeats)
    t_dec, decoded = _best_time(
        lambda: np.fromiter(bits.decode(tree), dtype=stream.dtype, count=stream.size), repeats)
    # A long stream of ours may open with a jump table for decoding in lanes; the codewords follow it
    # one after another, which is what bitarray writes. (A code without lanes has no such table.)
    same = ours[coder.jump_table_bits(ours, stream.size):] == bits
    return PeerRun("bitarray", t_enc, t_dec, len(bits),
                   verified=bool(same and np.array_equal(decoded, stream)), same_bits=bool(same))


def _constriction_peer(stack: bool) -> Callable[..., PeerRun | None]:
    """constriction's ANS coder (``stack``) or range coder, with a Categorical model of q."""

    def run(coder: Coder, q: np.ndarray, stream: np.ndarray, ours: bitarray, repeats: int) -> PeerRun | None:
        cs = _constriction()
        if cs is None:
            return None
        model = cs.stream.model.Categorical(np.asarray(q, dtype=np.float64), perfect=False)
        n = stream.size
        if stack:
            def encode():
                ans = cs.stream.stack.AnsCoder()
                ans.encode_reverse(stream.astype(np.int32), model)
                return ans.get_compressed()

            def decode(words):
                ans = cs.stream.stack.AnsCoder(words)
                # An ANS decoder that took every symbol back is in its initial state again.
                return ans.decode(model, n), ans.is_empty()
        else:
            def encode():
                enc = cs.stream.queue.RangeEncoder()
                enc.encode(stream.astype(np.int32), model)
                return enc.get_compressed()

            def decode(words):
                dec = cs.stream.queue.RangeDecoder(words)
                # A range decoder cannot always tell its end, but it can tell when data is left over.
                return dec.decode(model, n), dec.maybe_exhausted()

        t_enc, words = _best_time(encode, repeats)
        t_dec, (decoded, at_end) = _best_time(lambda: decode(words), repeats)
        name = "constriction ans" if stack else "constriction range"
        return PeerRun(name, t_enc, t_dec, 32 * int(words.size),
                       verified=bool(at_end and np.array_equal(decoded, stream)))

    return run


#: The peers a coder can name in its ``bench_peers``.
PEERS = {
    "bitarray": _bitarray_peer,
    "constriction ans": _constriction_peer(stack=True),
    "constriction range": _constriction_peer(stack=False),
}


def run_peers(coder: Coder, q, stream: np.ndarray, ours: bitarray, repeats: int = 1) -> list[PeerRun]:
    """Every available peer's run of the job ``coder`` did on ``stream`` (whose bits were ``ours``):
    the peers the coder names (``Coder.bench_peers``) whose library is installed. Only codes of i.i.d.
    models name peers; a context code or a learner names none, and its q (a chain) is not read."""
    if not coder.bench_peers:
        return []
    q = np.asarray(getattr(q, "probs", q), dtype=np.float64)
    runs = (PEERS[name](coder, q, stream, ours, repeats) for name in coder.bench_peers)
    return [run for run in runs if run is not None]


@dataclass(frozen=True)
class Skipped:
    """A length a scheme was not timed at: ``seconds`` is its predicted time, over :data:`ROW_SECONDS`."""

    scheme: str
    source: str
    length: int
    seconds: float


@dataclass(frozen=True)
class FastPath:
    """Where a scheme's throughput on a source reaches its speed, from what the bench measured and what
    the coder says: ``fixed_seconds``, the encoding and decoding of a one-symbol message (what every
    message costs, whatever its length); ``symbol_seconds``, the time per symbol beyond it on the
    longest stream timed (``longest``); ``lanes_from``, the length from which the coder splits a stream
    into lanes (None: it never does)."""

    scheme: str
    source: str
    fixed_seconds: float
    symbol_seconds: float
    longest: int
    lanes_from: int | None = None

    @property
    def fixed_from(self) -> int | None:
        """The least length at which the fixed cost is at most half the time (fixed <= n x per symbol);
        None when the longest stream took no longer than a one-symbol message (its time is all fixed)."""
        if self.symbol_seconds <= 0:
            return None
        return max(1, math.ceil(self.fixed_seconds / self.symbol_seconds))

    def short_for_fixed(self, length: int) -> bool:
        """Whether a message of ``length`` symbols spends over half its time on the fixed cost."""
        start = self.fixed_from
        return length < start if start is not None else length <= self.longest

    def short_for_lanes(self, length: int) -> bool:
        """Whether ``length`` is too short for the coder's lanes."""
        return self.lanes_from is not None and length < self.lanes_from


def lanes_from(coder: Coder, longest: int = MAX_BENCH_LENGTH) -> int | None:
    """The least stream length a coder splits into more than one lane (``lanes_for``), up to ``longest``;
    None for a coder without lanes, or whose lanes start beyond it."""
    lanes_for = getattr(coder, "lanes_for", None)
    if lanes_for is None or lanes_for(longest) <= 1:
        return None
    low, high = 1, longest  # lanes_for grows with n: lanes_for(low) may be 1, lanes_for(high) is not
    while low < high:
        mid = (low + high) // 2
        low, high = (mid + 1, high) if lanes_for(mid) <= 1 else (low, mid)
    return low


def _fixed_seconds(coder: Coder, stream: np.ndarray) -> float:
    """The best time of encoding and decoding the stream's first symbol alone: a message's fixed cost."""
    one = stream[:1]
    return _best_time(lambda: coder.decode(coder.encode(one), 1), FIXED_REPEATS)[0]


@dataclass(frozen=True)
class BenchRun:
    """What ``benchmark`` measured: rows in order (source, length, scheme, then the scheme's peers),
    and the lengths left out because a scheme would have taken too long on them."""

    rows: list[BenchRow]
    skipped: list[Skipped]
    repeats: int = 1
    seed: int = 0
    #: The row budget the skipped lengths were over (:data:`ROW_SECONDS`).
    row_seconds: float = ROW_SECONDS
    #: When prefix codes were timed on both sides of the length from which they decode in lanes, that
    #: length (the rows show the step in decoding speed); else None.
    lane_threshold: int | None = None
    #: Per scheme and source timed, where its fast path applies (see :class:`FastPath`).
    fast_paths: list[FastPath] = field(default_factory=list)
    #: Whether the coders' kernels ran compiled (:func:`codesim.jit.enabled`); plain Python is 40 to 150
    #: times slower, which the figures must not hide.
    compiled: bool = True

    def short(self) -> list[tuple[BenchRow, FastPath]]:
        """Our rows whose length is too short for their coder's fast path, each with its fast path."""
        paths = {(f.scheme, f.source): f for f in self.fast_paths}
        found = [(r, paths.get((r.scheme, r.source))) for r in self.rows if r.peer is None]
        return [(r, f) for r, f in found
                if f is not None and (f.short_for_fixed(r.length) or f.short_for_lanes(r.length))]


def check_bench_length(length: int, what: str = "length") -> None:
    """Refuse a bench length over :data:`MAX_BENCH_LENGTH`; ``what`` names where it was given."""
    check_run_size(length, 1)
    if length > MAX_BENCH_LENGTH:
        raise CodesimError(f"{what} {show_count(length)} is over the limit of {MAX_BENCH_LENGTH:.0e} symbols for a "
                           "bench stream (drawn, coded and decoded whole)")


def _predicted_seconds(coder: Coder, stream: np.ndarray, timed: dict[int, float], repeats: int) -> float:
    """Seconds that encoding and decoding ``stream`` ``repeats`` times should take, in proportion from
    the longest shorter length timed (``timed``: length -> seconds of one encoding and decoding).

    Without one, or with one ten times shorter or more, probes of its first PROBE_LENGTH symbols, then
    ten times more while that is predicted to fit in ROW_SECONDS, come closer first (probes are timed
    into ``timed`` too): a prefix code's speed below its lanes says little about its speed in them.
    """
    n = max((m for m in timed if m < stream.size), default=0)
    while True:
        probe = n * 10 if n else PROBE_LENGTH
        if probe >= stream.size or (n and timed[n] * probe / n > ROW_SECONDS):
            break
        t0 = time.perf_counter()
        coder.decode(coder.encode(stream[:probe]), probe)
        timed[probe], n = time.perf_counter() - t0, probe
    return timed[n] * stream.size / n * repeats if n else 0.0


def benchmark(
    schemes: Sequence[SchemeSpec | str] = (ALL,),
    sources: Sequence[str] = DEFAULT_SOURCES,
    lengths: Sequence[int] = (10**6,),
    repeats: int = 1,
    seed: int = 0,
    peers: bool = False,
) -> BenchRun:
    """Time every scheme on every source and length; each source's stream is drawn once, at the
    longest length, and each length times its first symbols (the stream that length draws alone).

    With ``peers``, each of our rows is followed by a row per available peer doing the same job (see
    the module's notes), with the throughput ratios. ``schemes`` are specs, names or groups' names.
    A length predicted to take a scheme more than :data:`ROW_SECONDS` is left out (``skipped``).
    """
    schemes = select(schemes)[0]
    for length in lengths:
        check_bench_length(length)
    total = sum(lengths) * len(schemes) * len(sources) * repeats
    if total > MAX_BENCH_SYMBOLS:
        raise CodesimError(
            f"bench would time {total} symbols (lengths {sum(lengths)} in all x {counted(len(schemes), 'scheme')}"
            f" x {counted(len(sources), 'source')} x {counted(repeats, 'repeat')}), over the limit of 2^32 = "
            f"{MAX_BENCH_SYMBOLS}: "
            "time fewer lengths, schemes or repeats")
    lengths = sorted(set(lengths))
    rows, skipped, lanes, threshold, fast_paths = [], [], set(), None, []
    for source in sources:
        p = SOURCES[source]()
        whole = p.sample(lengths[-1], seed)
        coders = [spec.build(p.marginal() if learns(spec) else p) for spec in schemes]  # a learner takes only K
        # A code bitarray can stand beside has codewords: a prefix code, which may split into lanes.
        prefix = [coder for coder in coders if "bitarray" in coder.bench_peers]
        lanes |= {coder.lanes_for(n) > 1 for coder in prefix for n in lengths}
        threshold = next((coder.symbols_per_lane * coder.min_lanes for coder in prefix
                          if any(coder.lanes_for(n) > 1 for n in lengths)), threshold)
        timed: list[dict[int, float]] = [{} for _ in schemes]
        fixed: list[float] = []
        for length in lengths:
            stream = whole[:length]
            ideal = model_bits(p, stream) / length
            for spec, coder, seconds in zip(schemes, coders, timed):
                _warm_up(coder, stream)
                if len(fixed) < len(schemes):
                    fixed.append(_fixed_seconds(coder, stream))
                predicted = _predicted_seconds(coder, stream, seconds, repeats)
                if predicted > ROW_SECONDS:
                    skipped.append(Skipped(spec.label, source, length, predicted))
                    continue
                t_enc, bits = _best_time(lambda: coder.encode(stream), repeats)
                t_dec, decoded = _best_time(lambda: coder.decode(bits, length), repeats)
                seconds[length] = t_enc + t_dec
                rows.append(BenchRow(
                    scheme=spec.label, source=source, length=length,
                    encode_symbols_per_second=length / t_enc, decode_symbols_per_second=length / t_dec,
                    bits_per_symbol=len(bits) / length, ideal_bits_per_symbol=ideal,
                    verified=bool(np.array_equal(decoded, stream)),
                ))
                for run in run_peers(coder, p, stream, bits, repeats) if peers else ():
                    rows.append(BenchRow(
                        scheme=spec.label, source=source, length=length,
                        encode_symbols_per_second=length / run.encode_seconds,
                        decode_symbols_per_second=length / run.decode_seconds,
                        bits_per_symbol=run.bits / length, ideal_bits_per_symbol=ideal,
                        verified=run.verified, peer=run.peer,
                        encode_ratio=run.encode_seconds / t_enc, decode_ratio=run.decode_seconds / t_dec,
                        same_bits=run.same_bits,
                    ))
        for spec, coder, seconds, one in zip(schemes, coders, timed, fixed):
            timed_rows = [r.length for r in rows if r.source == source and r.scheme == spec.label and r.peer is None]
            if timed_rows:
                longest = max(timed_rows)
                fast_paths.append(FastPath(spec.label, source, one, (seconds[longest] - one) / longest, longest,
                                           lanes_from(coder)))
    return BenchRun(rows, skipped, repeats, seed, lane_threshold=threshold if lanes == {False, True} else None,
                    fast_paths=fast_paths, compiled=jit.enabled())


# -- the pipeline of a run, end to end -------------------------------------------------------------------
#: The pipeline ``codesim run`` is compared with: numpy draws, bitarray codes with the same Huffman code.
PIPELINE_PEER = "numpy+bitarray"


@dataclass(frozen=True)
class PipelineRow:
    """``codesim run``'s work (draw, encode, decode, compare, in blocks) with one scheme on one source,
    against numpy+bitarray doing the same with the source's Huffman code, timed in the same process."""

    scheme: str
    source: str
    length: int
    seconds: float
    peer_seconds: float
    verified: bool
    peer_verified: bool
    #: The peer's time over ours: above 1, ``codesim run`` is faster.
    ratio: float
    peer: str = PIPELINE_PEER

    @property
    def symbols_per_second(self) -> float:
        return self.length / self.seconds

    @property
    def peer_symbols_per_second(self) -> float:
        return self.length / self.peer_seconds


def _numpy_bitarray_run(p: Distribution, code: Coder, length: int, seed: int) -> tuple[float, bool]:
    """numpy's ``Generator.choice`` draws the stream and bitarray's C ``encode`` and ``decode`` code
    it with the prefix code's codewords, in the blocks a run uses, each block compared with
    ``np.array_equal``: (seconds, every block decoded)."""
    table = {i: bitarray(code.codeword(i), endian="big") for i in range(p.size)}
    tree = decodetree(table)
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    ok = True
    for lo in range(0, length, BLOCK):
        stream = rng.choice(p.size, size=min(BLOCK, length - lo), p=p.probs)
        bits = bitarray(endian="big")
        bits.encode(table, stream.tolist())
        ok &= bool(np.array_equal(np.fromiter(bits.decode(tree), dtype=stream.dtype, count=stream.size), stream))
    return time.perf_counter() - t0, ok


def pipeline(
    schemes: Sequence[SchemeSpec | str],
    peer_code: SchemeSpec | str,
    sources: Sequence[str] = DEFAULT_SOURCES,
    length: int = PIPELINE_LENGTH,
    seed: int = 0,
    repeats: int = 1,
) -> list[PipelineRow]:
    """``codesim run``'s work with each scheme (code built from the source, one trial of ``length``
    symbols) timed against the numpy+bitarray pipeline on the same source, once per source, which
    codes with ``peer_code`` (a prefix code's scheme, such as Huffman's) built from the source. Each
    side's time is the best of ``repeats``."""
    schemes = select(schemes)[0]
    peer_spec = select([peer_code])[0][0]
    check_run_size(length, 1)
    if length * (len(schemes) + 1) * len(sources) * repeats > MAX_BENCH_SYMBOLS:
        raise CodesimError(f"a pipeline of {length} symbols for {counted(len(schemes), 'scheme')} and the peer on "
                           f"{counted(len(sources), 'source')}, {counted(repeats, 'time')}, is over the limit of "
                           f"2^32 = {MAX_BENCH_SYMBOLS} symbols")
    rows = []
    for source in sources:
        p = SOURCES[source]()
        if isinstance(p, MarkovChain):
            raise CodesimError(f"the numpy+bitarray pipeline draws i.i.d. symbols: source {source!r} has memory "
                               f"(pipeline sources: {', '.join(DEFAULT_SOURCES)})")
        code = peer_spec.build(p)
        if "bitarray" not in code.bench_peers:
            raise CodesimError(f"the numpy+bitarray pipeline codes with codewords: scheme {peer_spec.label!r} "
                               "has none bitarray can use (give a prefix code)")
        runs = [_numpy_bitarray_run(p, code, length, seed) for _ in range(repeats)]
        peer_seconds, peer_ok = min(t for t, _ in runs), all(ok for _, ok in runs)
        for spec in schemes:
            seconds, (m,) = _best_time(
                lambda: simulate_many(p, {"p": p}, [spec], length=length, trials=1, seed=seed), repeats)
            rows.append(PipelineRow(spec.label, source, length, seconds, peer_seconds, m.verified, peer_ok,
                                    ratio=peer_seconds / seconds))
    return rows
