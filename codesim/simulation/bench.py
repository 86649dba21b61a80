"""Throughput benchmarks: encode and decode speed, and bits against the ideal, per scheme and source.

Benchmarks measure; they are not tests (timings depend on the machine). Each row comes from a stream
that was really encoded, decoded and compared; the best of ``repeats`` timings is kept, the usual way
to filter out a busy machine.

Peers (``peers=True``): other libraries doing the same job on the same stream, each followed by the
ratio of our throughput to theirs (above 1: codesim is faster). A coder names its peers
(``Coder.bench_peers``); this module runs them:

- ``bitarray``: its own C Huffman coder, ``bitarray.encode(table, symbols)`` and
  ``bitarray.decode(decodetree)``, given the prefix code's own canonical codewords, so its bits must
  equal our codewords bit for bit (ours, on a stream long enough to be coded in lanes, come after a
  jump table that bitarray has no use for: its bits per symbol are that much lower). It needs a Python iterable of symbols; our input is a numpy index array, so
  the ``stream.tolist()`` that turns one into the other is counted in its encoding time: it is part of
  what using bitarray on this input costs (about a sixth of that time at 10^7 symbols). Iterating the
  numpy array directly works too but takes twice as long, so the list is the fairer input. It decodes
  into a numpy array with ``np.fromiter``, the output our decoders give. On a stream too short for
  lanes our prefix decoder is that same call plus a check that the symbols used every bit, so its
  decoding ratio there sits a little under 1.
  Extension codes code tuples, not symbols, so they have no bitarray peer.
- ``constriction ans`` and ``constriction range`` (optional extra ``bench``): its ANS coder
  (``stack.AnsCoder``) and its range coder (``queue.RangeEncoder``/``RangeDecoder``), each with a
  ``Categorical`` model built from the same distribution q, which it quantises itself (to 24 bits;
  ours quantise to their ``precision``). It takes int32 symbols, so the ``astype(np.int32)`` is in its
  encoding time, and its bits are its compressed 32-bit words times 32, final state included, as ours
  count every bit of their output.

On both sides the code or model is built outside the timed region, and the work timed is the whole
stream in, the whole encoding out (and back).
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from bitarray import bitarray, decodetree

from ..coders import Coder, SchemeSpec
from ..coders.registry import ALL, select
from ..sources.iid import Distribution
from ..errors import CodesimError
from ..measures import ideal_length
from .simulate import check_run_size, check_stream_length

NASA_PROBS = (0.30, 0.40, 0.05, 0.06, 0.07, 0.02, 0.05, 0.05)


def zipf(k: int = 256, s: float = 1.0) -> Distribution:
    """A Zipf-like distribution over k symbols: q(i) proportional to 1 / (i + 1)^s."""
    w = 1.0 / np.arange(1, k + 1) ** s
    return Distribution.from_probs(w / w.sum())


#: The most symbols one ``bench`` times in all (each encoded and decoded, peers aside): seconds for the
#: prefix codes, and about ten minutes at the slowest coder's half a million symbols a second.
MAX_BENCH_SYMBOLS = 1 << 28

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
    the code, which happens before the clock starts on every side."""
    coder.prepare(stream.size)


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
    the peers the coder names (``Coder.bench_peers``) whose library is installed."""
    q = np.asarray(getattr(q, "probs", q), dtype=np.float64)
    runs = (PEERS[name](coder, q, stream, ours, repeats) for name in coder.bench_peers)
    return [run for run in runs if run is not None]


def benchmark(
    schemes: Sequence[SchemeSpec | str] = (ALL,),
    sources: Sequence[str] = tuple(SOURCES),
    lengths: Sequence[int] = (10**6,),
    repeats: int = 1,
    seed: int = 0,
    peers: bool = False,
) -> list[BenchRow]:
    """Time every scheme on every source and length; streams are drawn once per (source, length).

    With ``peers``, each of our rows is followed by a row per available peer doing the same job (see
    the module's notes), with the throughput ratios. ``schemes`` are specs, names or groups' names.
    """
    schemes = select(schemes)[0]
    for length in lengths:
        check_run_size(length, 1)
        check_stream_length(length)  # each stream is drawn and coded whole
    total = sum(lengths) * len(schemes) * len(sources) * repeats
    if total > MAX_BENCH_SYMBOLS:
        raise CodesimError(
            f"bench would time {total} symbols (lengths {sum(lengths)} in all x {len(schemes)} schemes x "
            f"{len(sources)} sources x {repeats} repeats), over the limit of 2^28 = {MAX_BENCH_SYMBOLS}: "
            "time fewer lengths, schemes or repeats")
    rows = []
    for source in sources:
        p = SOURCES[source]()
        for length in lengths:
            stream = p.sample(length, seed)
            ideal = ideal_length(stream, p) / length
            for spec in schemes:
                coder = spec.build(p)
                _warm_up(coder, stream)
                t_enc, bits = _best_time(lambda: coder.encode(stream), repeats)
                t_dec, decoded = _best_time(lambda: coder.decode(bits, length), repeats)
                ours = BenchRow(
                    scheme=spec.label, source=source, length=length,
                    encode_symbols_per_second=length / t_enc, decode_symbols_per_second=length / t_dec,
                    bits_per_symbol=len(bits) / length, ideal_bits_per_symbol=ideal,
                    verified=bool(np.array_equal(decoded, stream)),
                )
                rows.append(ours)
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
    return rows
