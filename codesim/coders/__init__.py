"""Coders: one module per family, each registering its schemes by name.

>>> from codesim.coders import build
>>> code = build("huffman", [0.5, 0.25, 0.25])
>>> [code.codeword(i) for i in range(3)]
['0', '10', '11']
"""

# Importing a coder module registers its schemes, in this order.
from . import prefix, block, rangecoder, rans, adaptive, vitter  # noqa: F401
from .base import Coder, PrefixCode
from .registry import Param, Scheme, SchemeSpec, available, build, from_config, get

__all__ = ["Coder", "PrefixCode", "Param", "Scheme", "SchemeSpec", "available", "build", "from_config", "get"]
