"""A scenario's message as files: draw it to a symbol file, encode it into a .csim file, decode a
.csim file back to symbols (what ``codesim sample``, ``encode`` and ``decode`` do).

Each function checks its output target and every size before any work, writes its file whole or not
at all (:mod:`.streamio`), and returns a small record of what it did. A length over a limit is named
where it came from: ``--length`` when the caller gave it (an :class:`~codesim.errors.ArgumentError`),
the scenario file's ``[run] length`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import container, streamio
from ..coders import Coder, SchemeSpec
from ..errors import ArgumentError, CodesimError, counted
from ..scenario import Scenario, for_command, load
from ..simulation.simulate import (build_coder, check_stream_length, learns, model_figures, stream_source,
                                   trial_streams)
from ..sources.base import order0_probs
from ..sources.markov import MarkovChain


@dataclass(frozen=True)
class Sampled:
    """A stream drawn from a scenario's source (or its fixed message) and written to ``output``."""

    symbols: int
    scenario: str | None  # the scenario's path
    seed: int | None  # None: the scenario's message, drawn from no seed
    output: str

    @property
    def summary(self) -> str:
        origin = f"(seed {self.seed})" if self.seed is not None else "(its message)"
        return f"sampled {counted(self.symbols, 'symbol')} from {self.scenario} {origin} -> {self.output}"


@dataclass(frozen=True)
class Encoded:
    """A stream encoded into the .csim file ``output``; entropy and divergence in bits per symbol."""

    symbols: int
    bits: int
    scheme: str  # the scheme's label, parameters included
    model: str | None  # None: a scheme that learns, which takes no model
    entropy: float  # H(p) of the scenario's source (its entropy rate, for a source with memory)
    divergence: float | None  # D(p||q) of the source from the model (its rate, with memory)
    output: str
    memory: bool = False  # whether the source has memory, so that the figures are rates

    @property
    def bits_per_symbol(self) -> float:
        return self.bits / self.symbols if self.symbols else 0.0

    @property
    def summary(self) -> str:
        built = (f"from model '{self.model}'" if self.model is not None else "learning as it codes (no model)")
        rate = " rate" if self.memory else ""
        divergence = f", D(p||q){rate} = {self.divergence:.4f}" if self.divergence is not None else ""
        entropy = f"entropy rate H = {self.entropy:.4f}" if self.memory else f"H(p) = {self.entropy:.4f}"
        return (f"{counted(self.symbols, 'symbol')} -> {counted(self.bits, 'bit')} "
                f"({self.bits_per_symbol:.4f} bits/symbol) with "
                f"{self.scheme} {built}; {entropy}{divergence} bits/symbol -> {self.output}")


@dataclass(frozen=True)
class Decoded:
    """A .csim file decoded and its labels written to ``output``."""

    symbols: int
    source: str
    output: str


def sample(scenario: str | Path, output: str, *, length: int | None = None, seed: int | None = None,
           fmt: str | None = None, force: bool = False) -> Sampled:
    """Draw the scenario's message stream and write its labels to ``output`` (``-``: standard output) as
    ``fmt`` (text or npy; None: from the name). The stream is the first trial's of a run with the same
    length and seed; ``length`` and ``seed`` override the scenario's."""
    streamio.check_target(output, force)
    sc, _ = for_command(scenario, length=length, seed=seed)
    layout = {"format": streamio.guess_format(output, fmt)}
    streamio.check_writable(output, sc.alphabet, layout)
    _check_whole_stream(sc, length, scenario)
    stream = _stream(sc)
    streamio.write_symbols(output, stream, sc.alphabet, layout, force)
    return Sampled(int(stream.size), sc.path, None if sc.message is not None else sc.run.seed, output)


def encode(scenario: Scenario | str | Path, output: str, scheme: SchemeSpec, *, model: str | None = None,
           length: int | None = None, seed: int | None = None, input_path: str | None = None,
           force: bool = False) -> Encoded:
    """Encode a stream with ``scheme`` built from the scenario's ``model`` (None: its only one; a scheme
    that learns takes none) into the .csim file ``output``: the stream drawn as :func:`sample` draws
    it, or read from the symbol file ``input_path`` (whose layout is recorded, so that :func:`decode`
    writes it back byte for byte)."""
    if not isinstance(scheme, SchemeSpec):
        raise ArgumentError(f"encode takes one scheme, got {scheme!r}")
    if input_path is not None and (length is not None or seed is not None):
        raise ArgumentError("--length and --seed draw a stream; --input reads one: give one or the other")
    streamio.check_target(output, force)
    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    if learns(scheme):
        if model is not None:
            raise ArgumentError(f"scheme {scheme.label!r} learns as it codes and takes no model: leave out --model")
        sc, _ = for_command(sc, length=length, seed=seed)
        q = None
    else:
        if model is None:
            if len(sc.models) != 1:
                raise ArgumentError(f"--model is needed: {sc.path} has models {', '.join(sc.models)}")
            model = next(iter(sc.models))
        sc, _ = for_command(sc, (model,), length=length, seed=seed)
        q = sc.models[model]
    coder = build_coder(scheme, q, sc.alphabet)
    if input_path is not None:
        stream, layout = streamio.read_symbols(input_path, sc.alphabet, max_symbols=container.MAX_SYMBOLS)
        problem = coder.check_message_size(stream.size)
        if problem:
            raise CodesimError(f"{input_path}: a .csim file cannot hold its symbols: {problem}")
        origin = {"input": input_path, "layout": layout}
    else:
        _check_whole_stream(sc, length, scenario, coder)
        stream = _stream(sc)
        origin = {"message": True} if sc.message is not None else {"seed": sc.run.seed}
    bits = coder.encode(stream)
    meta = {"scenario": sc.title, **({"model": model} if model is not None else {}), **origin}
    # The file records q and p of one symbol (a chain's: the distribution of a message's first symbol,
    # and the stationary one); a context code's own table holds the rest.
    data = container.dumps(coder, bits, stream.size, sc.alphabet, model=None if q is None else order0_probs(q),
                           source=sc.source.marginal().probs, meta=meta)
    source = stream_source(sc.source, sc.message)
    kl = None if q is None else model_figures(source, q)[1]  # before the write: a refusal leaves no file
    streamio.write_output(output, data, force)
    return Encoded(int(stream.size), len(bits), scheme.label, model, source.entropy_rate(), kl, output,
                   memory=isinstance(sc.source, MarkovChain))


def decode(path: str, output: str, *, fmt: str | None = None, force: bool = False) -> Decoded:
    """Decode the .csim file ``path`` and write its labels to ``output`` (``-``: standard output).

    The format is ``fmt`` if given, else the one the output's name ends in (.txt, .npy), else the one
    the encoded input file had, else text. Written in the input file's format, the stream is that file
    byte for byte (its layout is stored). A binary format is not written to a terminal."""
    streamio.check_target(output, force)
    header, coder, bits = container.read(path)
    layout = dict(header.meta.get("layout") or {})
    stored = layout.get("format")
    wanted = fmt or streamio.named_format(output) or stored or "text"
    if wanted != stored:
        layout = {"format": wanted}
    streamio.check_terminal(output, wanted)  # before the work of decoding
    stream = container.decode_payload(header, coder, bits, path)
    streamio.write_symbols(output, stream, header.alphabet, layout, force)
    return Decoded(int(stream.size), path, output)


def _check_whole_stream(sc: Scenario, length: int | None, path: str | Path, coder: Coder | None = None) -> None:
    """Refuse a stream to draw whole (and, with ``coder``, to write as one .csim message) that is over
    its limit, naming where its length came from, before anything is drawn."""
    n = sc.run.length
    where = "--length" if length is not None else f"{path}: [run] length"
    try:
        check_stream_length(n, where)
        problem = coder.check_message_size(n) if coder is not None else None
        if problem:
            raise CodesimError(f"{where} {n}: a .csim file cannot hold it: {problem}")
    except CodesimError as exc:
        if length is not None:
            raise ArgumentError(str(exc)) from None
        raise


def _stream(sc: Scenario) -> np.ndarray:
    """The scenario's message stream: the first trial's stream of a run with the same settings (a file
    source's own message, whole)."""
    return next(trial_streams(stream_source(sc.source, sc.message), sc.run.length, 1, sc.run.seed))
