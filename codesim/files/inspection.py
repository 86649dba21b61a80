"""What an encoded stream file holds, symbol by symbol: the data behind ``codesim inspect``.

:func:`inspect_file` returns a JSON-able dict: the header (scheme, parameters, alphabet, model, sizes,
checksums and whether they match), the code table, and an annotated view of the first symbols. The
coder itself gives both (``Coder.table_rows`` and ``Coder.trace_rows``) and says what its view shows
(``trace_note``) and which of their columns to show under what headings (``table_columns`` and
``trace_columns``): a prefix code each symbol's codeword and where it starts, an arithmetic coder the
interval after each symbol, a learning coder the probability its model gave each symbol.

Every row of the view carries the running total of bits spent against the running ideal length
sum -log2 q(x), so the excess can be watched growing. Formatting is report.py's job.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import container
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
    doc["table"] = coder.table_rows(h.alphabet, model, h.source)
    doc["trace"] = coder.trace_rows(stream, h.alphabet, model, limit, bits)
    doc["trace_note"] = coder.trace_note
    doc["table_columns"] = [list(c) for c in coder.table_columns]
    doc["trace_columns"] = [list(c) for c in coder.trace_columns]
    return doc, None
