"""The slowest messages found for the context codes' decoders on the plain path: what their symbol limit
(codesim.coders.context_frequencies.MAX_SYMBOLS) rests on.

    NUMBA_DISABLE_JIT=1 python tools/stream_context_worst.py [symbols]

Order-1 tables of 2^22 entries (the most a file may hold) whose every row gives one symbol nearly all
of 2^P and the others frequency 1, and a message of those rare symbols: the longest binary search a
row's slot table leaves, the most digits a symbol (precision 32 for arithmetic), and, with a fallback,
the next context searched for among the stored ids at every symbol.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from codesim import jit
from codesim.coders.context import Contexts
from codesim.coders.context_frequencies import MAX_SYMBOLS
from codesim.coders.rangecoder import ContextArithmeticCoder
from codesim.coders.rans import ContextRansCoder


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else MAX_SYMBOLS
    print(f"{n} symbols, {'compiled' if jit.enabled() else 'plain Python'}")
    for cls, precision in ((ContextArithmeticCoder, 32), (ContextRansCoder, 16)):
        for size in (2048, 65536):
            stored = min((1 << 22) // size - 1, size)
            for fallback in (True, False):
                if fallback:  # contexts 0 .. stored - 2 and the start; the message never meets them
                    ids = np.append(np.arange(stored - 1), size)
                else:  # the last contexts and the start; the message stays in them
                    ids = np.arange(size + 1)[-stored:]
                contexts = Contexts(size, 1, ids, fallback)
                freqs = np.ones((contexts.rows, size), dtype=np.int64)
                freqs[:, 0] = (1 << precision) - (size - 1)
                coder = cls(contexts, freqs, precision, params={"precision": precision})
                low = stored if fallback else max(1, int(ids[0]))
                stream = np.random.default_rng(0).integers(low, size, n)
                bits = coder.encode(stream)
                start = time.perf_counter()
                assert np.array_equal(coder.decode(bits, n), stream)
                seconds = time.perf_counter() - start
                print(f"{cls.__name__:23} {size:6} symbols, {contexts.rows:5} rows, "
                      f"{'fallback' if fallback else 'stored  '}: {seconds:6.2f} s, "
                      f"{seconds / n * 1e6:5.2f} us a symbol")


if __name__ == "__main__":
    main()
