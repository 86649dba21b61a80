"""Coders: one module per family, each registering its schemes by name.

>>> from codesim.coders import build
>>> code = build("huffman", [0.5, 0.25, 0.25])
>>> [code.codeword(i) for i in range(3)]
['0', '10', '11']
"""

# Importing a coder module registers its schemes, in this order.
from . import prefix, block, rangecoder, rans, adaptive, vitter, ctw, lz78, compressors, tunstall, tans  # noqa: F401
from . import integer  # noqa: F401
from .base import Coder
from .prefix_code import PrefixCode
from .registry import (
    Param, Scheme, SchemeSpec, available, build, check_config, from_config, get, register, unregister,
)

__all__ = ["Coder", "PrefixCode", "Param", "Scheme", "SchemeSpec", "available", "build", "check_config",
           "from_config", "get", "register", "unregister"]
