"""What an encoded stream file holds, symbol by symbol: the data behind ``codesim inspect``.

:func:`inspect_file` returns a JSON-able dict: the header (scheme, parameters, alphabet, model, sizes,
checksums and whether they match), the code table, and an annotated view of the first symbols. What
the view shows depends on the coder:

- prefix codes: each symbol's codeword and the bit position where it starts;
- block codes: the same per tuple (the leftover tail comes first in the bits, so it is shown first);
- arithmetic: the coding interval after each symbol and the bits emitted so far;
- rANS: each symbol's lane and the exact cost -log2(f/2^P) it adds to that lane's state (rANS writes
  its lanes' words interleaved and in the decoder's order, so a symbol has no bits of its own).

Every row carries the running total of bits spent against the running ideal length sum -log2 q(x),
so the excess can be watched growing. Formatting is report.py's job.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import container
from ..coders import Coder, PrefixCode
from ..coders.adaptive import AdaptiveArithmeticCoder
from ..coders.vitter import AdaptiveHuffmanCoder
from ..coders.rangecoder import ArithmeticCoder
from ..coders.block import BlockCode
from ..coders.frequencies import FrequencyCoder
from ..errors import CodesimError


#: The most symbols the annotated view shows. A row is made per symbol, and an arithmetic row holds
#: every bit emitted so far, so rows grow with the stream: 100000 of an arithmetic stream took 94 s
#: and 24 GB before the process was killed, and 10^8 of a prefix stream 20 GB. 1000 rows are more
#: than anyone reads, and the worst of them (arithmetic at precision 32) are a few tens of MB.
MAX_TRACE_SYMBOLS = 1000


def inspect_file(path: str, limit: int = 20) -> tuple[dict[str, Any], str | None]:
    """The inspection of a .csim file, and the error that stopped decoding (None if it decoded).

    A file whose structure cannot be read at all raises; a file whose checksums do not match, or
    whose payload does not decode, is still described as far as possible, with the error returned.
    """
    if not 0 <= limit <= MAX_TRACE_SYMBOLS:
        raise CodesimError(f"the annotated view shows 0 to {MAX_TRACE_SYMBOLS} symbols, not {limit}")
    data = container.read_bytes(path)
    parsed = container.parse(data, path)
    h = parsed.header
    doc: dict[str, Any] = {
        "file": path,
        "version": h.version,
        "scheme": h.coder.get("scheme"),
        "params": h.coder.get("params", {}),
        "alphabet_size": len(h.alphabet),
        "symbols": h.symbols,
        "payload_bits": h.payload_bits,
        "bits_per_symbol": h.payload_bits / h.symbols if h.symbols else None,
        "checksums": {
            "header": {"crc32": f"{parsed.header_crc:08x}", "ok": parsed.header_crc_ok},
            "payload": {"crc32": f"{parsed.payload_crc:08x}", "ok": parsed.payload_crc_ok},
        },
        "meta": dict(h.meta),
    }
    try:
        _, coder, bits = container.checked(parsed, path)
        stream = container.decode_payload(h, coder, bits, path)
    except CodesimError as exc:
        doc["table"], doc["trace"] = [], []
        return doc, str(exc)
    model = np.asarray(h.model) if h.model is not None else None
    doc["table"] = code_table(coder, h.alphabet, model, h.source)
    doc["trace"] = trace(coder, stream, h.alphabet, model, limit, bits)
    doc["trace_note"] = TRACE_NOTES[_kind(coder)]
    return doc, None


def _kind(coder: Coder) -> str:
    for kind, cls in (("block", BlockCode), ("prefix", PrefixCode), ("arithmetic", ArithmeticCoder),
                      ("frequencies", FrequencyCoder), ("adaptive-arithmetic", AdaptiveArithmeticCoder),
                      ("adaptive", AdaptiveHuffmanCoder)):
        if isinstance(coder, cls):
            return kind
    return "other"


TRACE_NOTES = {
    "prefix": "each symbol's codeword, at the bit position where it starts",
    "block": "each k-tuple's codeword; the n mod k leftover symbols are coded first",
    "arithmetic": "the interval [low, high) after each symbol, and the bits emitted so far "
                  "(a later carry can still change their trailing ones)",
    "frequencies": "each symbol's lane and the exact information -log2(f/2^P) it adds to that lane's "
                   "state; rANS interleaves its lanes' words, so a symbol has no bits of its own",
    "adaptive-arithmetic": "the probability (c(x) + alpha) / (t + k alpha) the learning model gave each symbol "
                           "when it was coded, and its cost -log2 of that",
    "adaptive": "the bits each symbol's codeword took in the code as it stood when the symbol came "
                "(the tree changes after every symbol)",
    "other": "each symbol's cost under the code's implied distribution",
}


def code_table(coder: Coder, alphabet, model, source) -> list[dict[str, Any]]:
    """One row per symbol: label, q and p where recorded, and the code's entry for it."""
    rows = []
    prefix = coder.leftover_code if isinstance(coder, BlockCode) else coder
    for i, label in enumerate(alphabet):
        row: dict[str, Any] = {"symbol": label}
        if model is not None:
            row["q"] = float(model[i])
        if source is not None:
            row["p"] = float(source[i])
        if isinstance(prefix, PrefixCode):
            row["codeword"] = prefix.codeword(i)
            row["length"] = int(prefix.lengths[i])
        elif isinstance(coder, FrequencyCoder):
            row["frequency"] = int(coder.freqs[i])
            row["cost_bits"] = coder.precision - math.log2(int(coder.freqs[i]))
        row["ideal_bits"] = _ideal(model, coder, i)
        rows.append(row)
    return rows


def _ideal(model, coder: Coder, i: int) -> float:
    """-log2 q(x) where the file records q, else -log2 of the code's implied r(x)."""
    prob = float(model[i]) if model is not None else float(coder.implied[i])
    return -math.log2(prob) if prob > 0 else math.inf


def _costs(model, coder: Coder) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -np.log2(np.asarray(model if model is not None else coder.implied, dtype=np.float64))


def trace(coder: Coder, stream: np.ndarray, alphabet, model, limit: int, bits=None) -> list[dict[str, Any]]:
    """The annotated view of the first ``limit`` symbols (see the module notes). With the encoded
    ``bits``, bit positions count a long prefix stream's jump table (its lanes' lengths) first."""
    if bits is None:
        bits = coder.encode(stream)
    costs = _costs(model, coder)
    label = alphabet.__getitem__
    rows: list[dict[str, Any]] = []
    spent = ideal = 0.0
    if isinstance(coder, BlockCode):
        k, n = coder.k, stream.size
        whole = n - n % k
        position = 0
        groups = [(i, i + 1, coder.leftover_code) for i in range(whole, n)]
        groups += [(i, i + k, coder.tuple_code) for i in range(0, whole, k)]
        leftover_bits = int(coder.leftover_code.lengths[stream[whole:]].sum())
        for lo, hi, code in groups[:limit]:
            if code is coder.tuple_code and lo == 0:
                position = leftover_bits + coder.tuple_code.jump_table_bits(bits[leftover_bits:], whole // k)
            symbols = stream[lo:hi]
            shape = (coder.size,) * (hi - lo)  # a tuple's index reads its symbols as base-K digits
            index = int(np.ravel_multi_index(tuple(symbols.tolist()), shape))
            word = code.codeword(index)
            spent += len(word)
            ideal += float(costs[symbols].sum())
            rows.append({"index": lo, "symbols": [label(s) for s in symbols.tolist()], "position": position,
                         "codeword": word, "bits": len(word), "ideal_bits": float(costs[symbols].sum()),
                         "total_bits": spent, "total_ideal": ideal, "excess": spent - ideal})
            position += len(word)
        return rows
    if isinstance(coder, PrefixCode):
        position = coder.jump_table_bits(bits, stream.size)
        for i, s in enumerate(stream[:limit].tolist()):
            word = coder.codeword(s)
            spent += len(word)
            ideal += float(costs[s])
            rows.append({"index": i, "symbol": label(s), "position": position, "codeword": word,
                         "bits": len(word), "ideal_bits": float(costs[s]), "total_bits": spent,
                         "total_ideal": ideal, "excess": spent - ideal})
            position += len(word)
        return rows
    if isinstance(coder, ArithmeticCoder):
        for step in coder.trace(stream, limit):
            s = step["symbol"]
            ideal += float(costs[s])
            rows.append({"index": step["position"], "symbol": label(s), "low": step["low_float"],
                         "high": step["high_float"], "emitted": step["emitted"], "bits": step["bits"],
                         "interval_bits": step["interval_bits"], "ideal_bits": float(costs[s]),
                         "total_ideal": ideal, "excess": step["interval_bits"] - ideal})
        return rows
    if isinstance(coder, AdaptiveArithmeticCoder):
        counts = np.zeros(coder.size, dtype=np.int64)
        k, alpha = coder.size, coder.alpha
        for i, s in enumerate(stream[:limit].tolist()):
            prob = (counts[s] + alpha) / (counts.sum() + k * alpha)
            counts[s] += 1
            spent += -math.log2(prob)
            ideal += float(costs[s])
            rows.append({"index": i, "symbol": label(s), "model_prob": prob, "cost_bits": -math.log2(prob),
                         "ideal_bits": float(costs[s]), "total_cost": spent, "total_ideal": ideal,
                         "excess": spent - ideal})
        return rows
    if isinstance(coder, AdaptiveHuffmanCoder):
        position = 0
        for i, (s, bits_taken) in enumerate(zip(stream[:limit].tolist(),
                                                coder.codeword_lengths(stream[:limit]).tolist())):
            spent, ideal = spent + bits_taken, ideal + float(costs[s])
            rows.append({"index": i, "symbol": label(s), "position": position, "bits": bits_taken,
                         "ideal_bits": float(costs[s]), "total_bits": spent, "total_ideal": ideal,
                         "excess": spent - ideal})
            position += bits_taken
        return rows
    lanes = coder.lanes_for(stream.size) if hasattr(coder, "lanes_for") else 1
    for i, s in enumerate(stream[:limit].tolist()):
        cost = coder.precision - math.log2(int(coder.freqs[s])) if isinstance(coder, FrequencyCoder) else float(costs[s])
        spent += cost
        ideal += float(costs[s])
        rows.append({"index": i, "symbol": label(s), "lane": i % lanes, "cost_bits": cost,
                     "ideal_bits": float(costs[s]), "total_cost": spent, "total_ideal": ideal,
                     "excess": spent - ideal})
    return rows
