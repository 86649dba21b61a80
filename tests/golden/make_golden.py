"""Write the golden .csim files and the symbols each decodes to, for every case that has none yet.

As numcodecs' backwards-compatibility fixtures: a file is written once, committed, and never rewritten;
``tests/files/test_container.py`` then checks that every file here still decodes to its symbols and that
every registered scheme has one. Add a case (and run ``python tests/golden/make_golden.py``) when a scheme
is added, or when a coder's bitstream changes and its config records a new version: the files of the old
version stay, and must keep decoding. Streams are drawn with their own seeds and kept short, so the files
stay small.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the checkout's codesim, not an installed one

from codesim.files import container  # noqa: E402
from codesim.coders import build  # noqa: E402
from codesim.sources.iid import Distribution  # noqa: E402

NASA_LEVELS = [100, 105, 110, 145, 160, 162, 174, 180]
NASA_P = [0.30, 0.40, 0.05, 0.06, 0.07, 0.02, 0.05, 0.05]
ZIPF_300 = (1 / np.arange(1, 301) / np.sum(1 / np.arange(1, 301))).tolist()
GEOMETRIC_VALUES = [*range(12), 40]
GEOMETRIC_P = (0.4 * 0.6 ** np.arange(13) / np.sum(0.4 * 0.6 ** np.arange(13))).tolist()

#: name: (scheme, params, alphabet, source p, model q, symbols, seed, meta)
CASES = {
    "nasa-huffman": ("huffman", {}, NASA_LEVELS, NASA_P, NASA_P, 200, 1948,
                     {"scenario": "NASA planet temperatures", "model": "matched", "seed": 1948}),
    # A classifier's wrong belief (model 0.3, 0.7) about mostly dogs.
    "dog-panda-arithmetic": ("arithmetic", {"precision": 16}, ["dog", "panda"], [0.85, 0.15], [0.3, 0.7],
                             150, 7, {"scenario": "dog or panda", "model": "wrong"}),
    # rans uses one lane per 4096 symbols: 12289 symbols are the fewest that run 4 lanes. A skewed
    # binary source keeps the payload to a few hundred bytes.
    "rans-4-lanes": ("rans", {"lanes": 4, "precision": 12}, [0, 1], [0.97, 0.03], [0.95, 0.05],
                     12289, 11, {"note": "four lanes in use"}),
    # rans version 2 (64-bit states, 32-bit words) takes one lane per 8192 symbols: 24577 are the fewest
    # that run 4 lanes; precision 12 divides by a float reciprocal, precision 8 by integer division.
    "rans-v2-4-lanes": ("rans", {"lanes": 4, "precision": 12}, [0, 1], [0.97, 0.03], [0.95, 0.05],
                        24577, 12, {"note": "version 2, four lanes in use"}),
    "rans-v2-nasa-precision-8": ("rans", {"lanes": 4, "precision": 8}, NASA_LEVELS, NASA_P, NASA_P, 300, 27, {}),
    "block-huffman-k2": ("block-huffman", {"k": 2}, ["a", "b", "c"], [0.7, 0.2, 0.1], [0.6, 0.3, 0.1],
                         151, 3, {}),
    # Float labels stay floats (1.0 is not 1); the model rules out 2.5, which still gets a codeword.
    "shannon-floats": ("shannon", {}, [0.5, 1.0, 1.5, 2.5], [0.4, 0.3, 0.2, 0.1], [0.5, 0.3, 0.2, 0.0],
                       120, 5, {"units": "volts"}),
    # One file for every other scheme, each on a small skewed source.
    "fixed-nasa": ("fixed", {}, NASA_LEVELS, NASA_P, NASA_P, 100, 21, {}),
    "shannon-fano-nasa": ("shannon-fano", {}, NASA_LEVELS, NASA_P, NASA_P, 100, 22, {}),
    "shannon-fano-elias-nasa": ("shannon-fano-elias", {}, NASA_LEVELS, NASA_P, [1 / 8] * 8, 100, 23, {}),
    # D-ary Huffman over 8 symbols: radix 3 pads one dummy (five trits a byte), radix 4 two (two bits a
    # digit); both codes are incomplete.
    "huffman-radix-3-nasa": ("huffman", {"radix": 3}, NASA_LEVELS, NASA_P, NASA_P, 200, 34, {}),
    "huffman-radix-4-nasa": ("huffman", {"radix": 4}, NASA_LEVELS, NASA_P, NASA_P, 200, 35, {}),
    # Radix-3 Huffman's NASA code has 3-trit codewords; a limit of 2 changes it.
    "huffman-limited-radix-3": ("huffman-limited", {"max_length": 2, "radix": 3}, NASA_LEVELS, NASA_P, NASA_P,
                                200, 36, {}),
    # Huffman's longest NASA codeword has 5 bits; a limit of 4 changes the code.
    "huffman-limited-4": ("huffman-limited", {"max_length": 4}, NASA_LEVELS, NASA_P, NASA_P, 100, 24, {}),
    # The adaptive coders take no model: they learn the counts from the stream itself.
    "adaptive-arithmetic-laplace": ("adaptive-arithmetic", {"alpha": 1.0}, ["a", "b", "c"], [0.8, 0.15, 0.05],
                                    None, 200, 25, {}),
    "adaptive-huffman-text": ("adaptive-huffman", {}, ["e", "t", "a", "o", "n"], [0.4, 0.25, 0.15, 0.12, 0.08],
                              None, 200, 26, {}),
    # Config version 2 of the range coders (62-bit registers, compiled kernels): the same sources as
    # their version-1 files, and a 300-symbol alphabet at precision 32 (symbols of frequency 1 in 2^32).
    "dog-panda-arithmetic-v2": ("arithmetic", {"precision": 16}, ["dog", "panda"], [0.85, 0.15], [0.3, 0.7],
                                150, 7, {"scenario": "dog or panda", "model": "wrong"}),
    "arithmetic-v2-wide": ("arithmetic", {"precision": 32}, list(range(300)), ZIPF_300, ZIPF_300, 400, 27, {}),
    "adaptive-arithmetic-v2-laplace": ("adaptive-arithmetic", {"alpha": 1.0}, ["a", "b", "c"], [0.8, 0.15, 0.05],
                                       None, 200, 25, {}),
    "adaptive-arithmetic-v2-kt": ("adaptive-arithmetic", {}, NASA_LEVELS, NASA_P, None, 300, 28, {}),
    # Context-tree weighting over 5 symbols: three binary decisions a symbol, some of them forced.
    "ctw-depth-2": ("ctw", {"depth": 2}, ["e", "t", "a", "o", "n"], [0.4, 0.25, 0.15, 0.12, 0.08], None, 300, 29,
                    {}),
    "lz78-nasa": ("lz78", {}, NASA_LEVELS, NASA_P, None, 300, 29, {}),
    # Tunstall's words of 6 bits over the NASA levels, built on a model that is not the source.
    "tunstall-nasa-6": ("tunstall", {"bits": 6}, NASA_LEVELS, NASA_P, [1 / 8] * 8, 301, 34, {}),
    # tANS over 32 states, built on a model that is not the source.
    "tans-nasa-5": ("tans", {"table_log": 5}, NASA_LEVELS, NASA_P, [0.2, 0.3, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05], 300, 35,
                    {}),
    # The reference compressors take no model either; a 300-symbol alphabet packs two bytes a symbol.
    "zlib-nasa": ("zlib", {}, NASA_LEVELS, NASA_P, None, 300, 29, {}),
    "bz2-nasa": ("bz2", {"level": 1}, NASA_LEVELS, NASA_P, None, 300, 30, {}),
    "lzma-nasa": ("lzma", {}, NASA_LEVELS, NASA_P, None, 300, 31, {}),
    "zstd-wide": ("zstd", {}, list(range(300)), ZIPF_300, None, 400, 32, {}),
    "brotli-text": ("brotli", {"level": 5}, ["e", "t", "a", "o", "n"], [0.4, 0.25, 0.15, 0.12, 0.08], None, 300, 33, {}),
    # The integer codes code each symbol's value (its label) over a geometric source of ratio 0.6 on 0..11;
    # golomb chooses m from the model's mean (the file records it), the tail value 40 takes a long codeword.
    **{f"{scheme}-geometric": (scheme, params, GEOMETRIC_VALUES, GEOMETRIC_P, GEOMETRIC_P, 200, 40 + i, {})
       for i, (scheme, params) in enumerate([("unary", {}), ("elias-gamma", {}), ("elias-delta", {}),
                                             ("elias-omega", {}), ("fibonacci", {}), ("exp-golomb", {"k": 1}),
                                             ("golomb", {}), ("rice", {"k": 1})])},
}


def main() -> None:
    for name, (scheme, params, alphabet, p, q, n, seed, meta) in CASES.items():
        if (HERE / f"{name}.csim").exists():
            continue
        stream = np.random.default_rng(seed).choice(len(alphabet), size=n, p=p).astype(np.uint16)
        # The model with its labels: a code of the symbols' values reads them.
        coder = build(scheme, Distribution.from_probs(q if q is not None else p, alphabet=alphabet), **params)
        data = container.dumps(coder, coder.encode(stream), n, alphabet, model=q, source=p, meta=meta)
        (HERE / f"{name}.csim").write_bytes(data)
        expected = {"alphabet": alphabet, "symbols": stream.tolist()}
        (HERE / f"{name}.symbols.json").write_text(json.dumps(expected, separators=(",", ":")) + "\n")
        print(f"{name}.csim: {len(data)} bytes, {n} symbols")


if __name__ == "__main__":
    main()
