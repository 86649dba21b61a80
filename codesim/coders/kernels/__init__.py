"""The per-symbol loops that cannot be vectorised, one module per family.

Symbol i of an arithmetic code is coded with the interval the model gives after symbols 0..i-1, and a
decoder knows symbol i only after decoding it; a dynamic Huffman tree changes after every symbol; a
rANS state carries every symbol before it. So these loops run symbol by symbol, as
:func:`codesim.jit.kernel` functions: compiled by numba with the ``fast`` extra, plain Python over lists
without it, one source for both (see :mod:`codesim.jit` for what that asks of them).

- :mod:`.rangecoder`: the range coder's encode and decode loops (config version 2), for every model;
- :mod:`.fenwick`: cumulative weights in a Fenwick tree (build, add, find, halve, and the adaptive
  model's pass over a stream);
- :mod:`.vitter`: Vitter's dynamic Huffman code, encoding and decoding in one loop;
- :mod:`.rans`: the version-2 rANS encoder and decoder over interleaved lanes;
- :mod:`.prefix`: a prefix-code stream decoded with a lookup table (used compiled only: a plain
  install decodes with bitarray's C decoder, which the interpreted loop could not match).

The range coder of config version 1, whose registers are wider than 64 bits, runs outside these
kernels, in plain Python (:mod:`codesim.coders.rangecoder_v1`), as version-1 rANS keeps its numpy
lanes (:mod:`codesim.coders.rans_v1`).
"""
