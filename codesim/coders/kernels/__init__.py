"""The per-symbol loops that cannot be vectorised, one module per family.

Symbol i of an arithmetic code is coded with the interval the model gives after symbols 0..i-1, and a
decoder knows symbol i only after decoding it; a dynamic Huffman tree changes after every symbol. So
these loops run symbol by symbol. They are plain functions over sequences of integers and Python
ints: no objects, dicts or lists of lists inside a loop, every table preallocated by the caller and
updated in place, errors reported by a return value, not raised. The interpreter runs them on Python
lists (indexing a list is several times faster than indexing a numpy array from Python); numba's
``njit`` compiles the Fenwick and Vitter kernels as they are written, over int64 arrays (a test checks
this where numba is installed).

- :mod:`.rangecoder`: the range coder's encode and decode loops, the only ones in codesim, for
  every model;
- :mod:`.fenwick`: cumulative weights in a Fenwick tree (build, add, find, and the adaptive model's
  pass over a stream);
- :mod:`.vitter`: the update of Vitter's dynamic Huffman tree, and its coding and decoding loops;
- :mod:`.rans`: the version-2 rANS encoder and decoder over interleaved lanes;
- :mod:`.prefix`: a single prefix-code stream decoded with a lookup table (compiled only).

The range coder of config version 1, whose registers are wider than 64 bits, runs outside these
kernels, in plain Python (:mod:`codesim.coders.rangecoder_v1`).
"""
