"""The compressors people run every day, as schemes: ``zlib``, ``bz2``, ``lzma``, ``zstd``, ``brotli``.

They take no model: like the adaptive coders (:mod:`.adaptive`, which says what the Coder contract
means for a scheme without q) they learn from the message as they code it, so a simulation runs each
once per stream and its rows carry no model figures; ``build(q, level)`` uses q only for the alphabet
size K. ``zlib``, ``bz2`` and ``lzma`` are the standard library's; ``zstd`` (package ``zstandard``)
and ``brotli`` (package ``brotli``) come with the optional extra ``compressors`` and are imported
only when such a coder is built or restored: without them codesim imports and runs, and building or
restoring those two schemes is a SchemeError saying ``pip install 'codesim[compressors]'``.

Packing
-------
A compressor reads bytes, so the stream's symbol indices are packed as bytes: one byte per symbol
over up to 256 symbols, two bytes above (up to 65536, the largest alphabet of a .csim file), the high
byte first (big-endian, the index's base-256 digits as they are written: each symbol's low byte then
comes right after its own high byte, the byte that byte-wise literal models such as lzma's and
brotli's condition on; measured on Zipf, uniform and random-walk streams over 300 to 65536 symbols,
neither order won consistently, within 3% either way). The packing shapes what a compressor can find:
a binary source packed 8 symbols per byte would compress differently, so each coder says its packing
in words (:attr:`ReferenceCompressor.packing`).

Levels, and what the bits hold
------------------------------
``level`` defaults to each library's strongest. The bits are the library's whole output, 8 per byte,
framing and checksums included (the last column: the whole output for an empty message):

========  ==================  ==========================================================  =====
scheme    level (default)     framing in the bits                                         empty
========  ==================  ==========================================================  =====
zlib      1 to 9 (9)          a 2-byte header, an Adler-32 checksum                       8 B
bz2       1 to 9 (9)          a 4-byte header, a 48-bit marker and CRC-32 per block of    14 B
                              level x 100 kB, an end marker and the stream's CRC-32
lzma      preset 0 to 9 (9)   the xz container: stream header and footer, a block         32 B
                              header, the CRC-64 check of the data, an index
zstd      1 to 22 (22)        a frame header holding the content size, and the            13 B
                              content's XXH64 checksum (its low 4 bytes)
brotli    quality 0 to 11     none: neither header bytes nor a checksum (the first        1 B
          (11)                bits give the window size)
========  ==================  ==========================================================  =====

``zstd`` writes its frames as the ``zstd`` tool does, with the content size and the checksum
(``ZstdCompressor(write_content_size=True, write_checksum=True)``); its one-shot compressor knows the
message's size, so zstd fits its window to it. ``brotli`` codes with ``lgwin`` = 24, the largest
window of the standard format (16 MiB - 16 bytes, longer than any message): the binding's default,
22, spent 15 bytes more on a 2 MiB message. ``lzma`` writes the xz container (``FORMAT_XZ``, check
CRC-64) with one LZMA2 filter at the preset, its dictionary limited to the smallest power of two that
holds the message, at least 4 KiB (liblzma's least) and at most the preset's own (256 KiB at preset 0
to 64 MiB at 9). That changes no match: a match reaches back at most to the message's first byte,
which a dictionary as long as the message holds; measured, the output differs from the preset
dictionary's only in the block header's byte that records the dictionary size and in that header's
CRC-32, never in length. It keeps memory at what the message needs: preset 9's 64 MiB dictionary has
liblzma ask for about 674 MiB to compress (xz(1)) whatever the message's size.

Decoding, and hostile payloads
------------------------------
A payload read from a file may be anything, so decoding bounds both output and memory before the
library runs: the output is cut at what n symbols need plus one byte (the library's own bound:
``decompress(data, max_length)`` of zlib's, bz2's and lzma's decompressor objects; brotli's
``output_buffer_limit``, from brotli 1.2, which stops the output at the end of the buffer block that
reaches the limit, within about twice it; zstd's one-shot output buffer, sized by the frame's content
size once that is checked to be the message's), so a decompression bomb stops there; lzma's decoder gets a memory limit
of the message's dictionary plus 1 MiB, so a header claiming a huge dictionary is refused before it is
allocated; a zstd frame's window may be no larger than the message's size rounded up to a power of two
(at least 1 KiB), as the scheme writes it (the one-shot decoder needs no window buffer, so this is
strictness, not memory); brotli's standard window is at most 16 MiB. Then the payload must be exactly one compressed stream of exactly the
message's bytes: whole bytes (a bitarray whose length is not a multiple of 8 is refused), ending where
the stream ends (trailing bytes, or a stream cut short, are refused), its checksum matching, every
decoded index in the alphabet. Each failure, and each error the library raises, is a DecodeError of
one line.

Message limit
-------------
A message holds at most :data:`MAX_MESSAGE_BYTES` = 2^20 packed bytes: 2^20 symbols over up to 256
symbols, 2^19 over more (:meth:`ReferenceCompressor.symbol_limit`). The libraries are C, so there is
no slower interpreted path, and encoding at the strongest levels is what takes time: measured here on
2^20 bytes (2 cores shared with other work), the slowest streams found took 3.7 s to encode with zlib
9 (random bits, one per byte: its hash chains fill with candidates), 3.2 to 3.9 s with brotli 11
(skewed bits, runs), at most 1.2 s with lzma 9 and 0.9 s with zstd 22, and 0.2 s with bz2; decoding
took at most 0.2 s (bz2), the others 0.03 s or less. A hostile payload as large as a .csim file holds
(128 MiB) took at most 0.8 s to refuse or decode (zstd, 44 million empty blocks).

The limit of a general-purpose compressor's bits per symbol as the message grows has no closed form,
so :meth:`ReferenceCompressor.expected_length` and ``code_divergence`` are None (shown blank).

>>> from codesim.coders import build
>>> coder = build("zlib", [0.5, 0.5])
>>> bits = coder.encode(np.array([0, 1, 1, 0] * 100))
>>> len(bits) % 8, coder.decode(bits, 400)[:4].tolist(), coder.packing
(0, [0, 1, 1, 0], '1 symbol per byte')
"""

from __future__ import annotations

import importlib
from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray

from ..errors import ConfigError, DecodeError, SchemeError, one_line
from ..sources.iid import index_dtype
from .adaptive import AdaptiveCoder
from .base import Columns, table_columns_with
from .rangecoder import symbol_count
from .registry import Param, Scheme, register

#: The largest alphabet: indices are packed in at most two bytes.
MAX_ALPHABET = 1 << 16
#: The most packed bytes one message may hold (see "Message limit" above).
MAX_MESSAGE_BYTES = 1 << 20
#: What to install for the schemes of the optional extra.
INSTALL = "pip install 'codesim[compressors]'"


def power_of_two_at_least(size: int, least: int) -> int:
    """The smallest power of two that is at least ``size`` and at least ``least`` (a power of two)."""
    return max(least, 1 << max(size - 1, 0).bit_length())


class ReferenceCompressor(AdaptiveCoder):
    """A general-purpose compressor over the stream's symbol indices packed as bytes (module notes).

    A subclass is one library: its scheme ``name``, its ``module``, its ``levels`` (least, strongest:
    the strongest is the default), its ``framing`` in words, and how it compresses and decompresses.
    """

    name: ClassVar[str]
    #: The module to import: a standard library module, or a package of the ``compressors`` extra.
    module: ClassVar[str]
    #: The distribution that provides ``module`` when it is not the standard library's (else None).
    package: ClassVar[str | None] = None
    levels: ClassVar[tuple[int, int]]
    #: What the library's output holds besides the compressed data: headers and checksums.
    framing: ClassVar[str]

    def __init__(self, size: int, level: int | None = None):
        low, high = self.levels
        level = high if level is None else level
        if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not low <= level <= high:
            raise SchemeError(f"scheme {self.name!r}: parameter level must be an integer from {low} to {high}, "
                              f"got {level!r}")
        check_size(self.name, size)
        super().__init__(size, self.name, {"level": int(level)})
        self.level = int(level)
        self.library = load(type(self))
        #: Bytes per symbol, and the packed symbols' dtype: one byte, or two with the high byte first.
        self.width = 1 if self._size <= 256 else 2
        self._packed = np.dtype(np.uint8) if self.width == 1 else np.dtype(">u2")

    def note(self) -> str:
        """What the results say beside the bits: the packing, and the framing the bits include."""
        empty = len(self.encode(np.zeros(0, dtype=self._packed))) // 8
        return (f"{self.packing}; framing in its bits: {self.framing}; an empty message takes {empty} "
                f"byte{'s' * (empty != 1)}")

    @property
    def packing(self) -> str:
        """How the symbols are laid out in the bytes the library compresses, in words."""
        return "1 symbol per byte" if self.width == 1 else "1 symbol per 2 bytes, high byte first"

    def expected_length(self, p) -> None:
        """None: a general-purpose compressor's bits per symbol tend to no closed-form limit."""
        return None

    def code_divergence(self, p) -> None:
        """None, as :meth:`expected_length`."""
        return None

    def symbol_limit(self) -> int:
        return MAX_MESSAGE_BYTES // self.width

    def _limit_reason(self) -> str:
        return f" (2^{MAX_MESSAGE_BYTES.bit_length() - 1} bytes at {self.packing})"

    # -- coding ---------------------------------------------------------------------------------------
    def pack(self, stream: np.ndarray) -> bytes:
        """The bytes the library compresses: the symbol indices as :attr:`packing` says."""
        return self._check_stream(stream).astype(self._packed).tobytes()

    def encode(self, stream: np.ndarray) -> bitarray:
        bits = bitarray(endian="big")
        bits.frombytes(self._compress(self.pack(stream)))
        return bits

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        n = symbol_count(bits, n)
        if len(bits) % 8:
            raise DecodeError(f"a {self.name} stream is whole bytes, and {len(bits)} bits are not")
        need = n * self.width
        data = (bits if bits.endian == "big" else bitarray(bits, endian="big")).tobytes()
        try:
            out, ended, trailing = self._decompress(data, need)
        except self._errors() as exc:
            raise DecodeError(f"the {self.name} stream does not decompress: {one_line(exc)}") from None
        if len(out) > need:
            raise DecodeError(f"the {self.name} stream decompresses to more than {need} bytes, and {n} symbols "
                              f"need {need} bytes")
        if not ended:
            raise DecodeError(f"the {self.name} stream is cut short: it ends before its end mark, after "
                              f"{len(out)} bytes of output")
        if trailing:
            raise DecodeError(f"{trailing} bytes follow the end of the {self.name} stream")
        if len(out) != need:
            raise DecodeError(f"the {self.name} stream decompresses to {len(out)} bytes, and {n} symbols "
                              f"need {need} bytes")
        indices = np.frombuffer(out, dtype=self._packed)
        outside = np.flatnonzero(indices >= self._size)
        if outside.size:
            at = int(outside[0])
            raise DecodeError(f"symbol {at} decompresses to index {int(indices[at])}, outside the alphabet "
                              f"0..{self._size - 1}")
        return indices.astype(index_dtype(self._size))

    @abstractmethod
    def _compress(self, data: bytes) -> bytes:
        """The library's compressed stream of ``data`` at :attr:`level`."""

    @abstractmethod
    def _errors(self) -> tuple[type[BaseException], ...]:
        """The errors the library raises on a stream it cannot decompress."""

    @abstractmethod
    def _decompress(self, data: bytes, need: int) -> tuple[bytes, bool, int]:
        """Decompress ``data``, a message of ``need`` bytes, with the output cut at need + 1 bytes and
        memory bounded by the message: (the output, whether the stream ended, how many bytes follow
        its end). Raises the library's errors, or a DecodeError."""

    # -- the coder contract: a config read from a file --------------------------------------------
    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        """The alphabet size, the whole table: the alphabet's own, at most 65536 (two bytes a symbol)."""
        super().check_table(config, params, size)
        if size > MAX_ALPHABET:
            raise ConfigError(f"field 'coder.size' is {size}: scheme {cls.name!r} packs at most "
                              f"{MAX_ALPHABET} symbols", corrupt=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self._size}, level={self.level})"

    # -- the coder contract: inspect --------------------------------------------------------------
    trace_note = ("the bytes each symbol is packed into, which the compressor reads, and the ideal "
                  "length; the compressor codes the message whole, so no symbol has bits of its own")
    table_columns: ClassVar[Columns] = table_columns_with(("packed", "packed bytes"))
    trace_columns: ClassVar[Columns] = (("index", "index"), ("symbol", "symbol"), ("packed", "packed bytes"),
                                        ("ideal_bits", "-log2 q"), ("total_ideal", "ideal so far"))

    def table_entry(self, i: int) -> dict[str, Any]:
        """The bytes symbol i is packed into, in hex."""
        return {"packed": self._show(i)}

    def _show(self, index: int) -> str:
        return np.array([index], dtype=self._packed).tobytes().hex(" ")

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """Each symbol's packed bytes beside its ideal length and the ideal so far: no cost per symbol."""
        head = stream[:limit].tolist()
        costs = self.ideal_costs(model)
        ideal = 0.0
        rows = []
        for i, s in enumerate(head):
            ideal += float(costs[s])
            rows.append({"index": i, "symbol": alphabet[s], "packed": self._show(s),
                         "ideal_bits": float(costs[s]), "total_ideal": ideal})
        return rows


def check_size(scheme: str, size: int) -> None:
    """Refuse an alphabet whose indices do not fit two bytes."""
    if size > MAX_ALPHABET:
        raise SchemeError(f"scheme {scheme!r} packs a symbol in at most 2 bytes: at most {MAX_ALPHABET} "
                          f"symbols, not {size}")


def load(coder: type[ReferenceCompressor]):
    """The coder's library module, imported now; a SchemeError saying what to install if it is missing."""
    try:
        return importlib.import_module(coder.module)
    except ImportError:
        raise SchemeError(f"scheme {coder.name!r} needs the package {coder.package!r}: {INSTALL}") from None


class ZlibCoder(ReferenceCompressor):
    """zlib (RFC 1950) over DEFLATE (RFC 1951): LZ77 in a 32 KiB window, Huffman-coded."""

    name, module, levels = "zlib", "zlib", (1, 9)
    framing = "a 2-byte header and an Adler-32 checksum"

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (self.library.error,)

    def _compress(self, data: bytes) -> bytes:
        return self.library.compress(data, self.level)

    def _decompress(self, data: bytes, need: int) -> tuple[bytes, bool, int]:
        stream = self.library.decompressobj()
        out = stream.decompress(data, need + 1)
        return out, stream.eof, len(stream.unused_data)


class Bz2Coder(ReferenceCompressor):
    """bzip2: the Burrows-Wheeler transform of blocks of level x 100 kB, move-to-front, Huffman."""

    name, module, levels = "bz2", "bz2", (1, 9)
    framing = "a 4-byte header, a marker and CRC-32 per block, an end marker and a CRC-32"

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (OSError, EOFError)  # "Invalid data stream"; "End of stream already reached"

    def _compress(self, data: bytes) -> bytes:
        return self.library.compress(data, self.level)

    def _decompress(self, data: bytes, need: int) -> tuple[bytes, bool, int]:
        stream = self.library.BZ2Decompressor()
        out = stream.decompress(data, need + 1)
        return out, stream.eof, len(stream.unused_data)


#: The LZMA2 dictionary of each preset, log2 bytes (xz(1), "Presets"); a message's own is smaller.
PRESET_DICTIONARY_BITS = (18, 20, 21, 22, 22, 23, 23, 24, 25, 26)
#: liblzma's least dictionary.
LEAST_DICTIONARY = 1 << 12


class LzmaCoder(ReferenceCompressor):
    """LZMA2 in the xz container: LZ77 over a large dictionary with adaptive binary range coding."""

    name, module, levels = "lzma", "lzma", (0, 9)
    framing = "xz stream header and footer, a block header, a CRC-64 check and an index"

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (self.library.LZMAError,)

    def dictionary(self, size: int) -> int:
        """The dictionary for a message of ``size`` bytes: the smallest power of two holding it, at
        least 4 KiB, at most the preset's."""
        return min(power_of_two_at_least(size, LEAST_DICTIONARY), 1 << PRESET_DICTIONARY_BITS[self.level])

    def _compress(self, data: bytes) -> bytes:
        lzma = self.library
        lzma2 = {"id": lzma.FILTER_LZMA2, "preset": self.level, "dict_size": self.dictionary(len(data))}
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, filters=[lzma2])

    def _decompress(self, data: bytes, need: int) -> tuple[bytes, bool, int]:
        lzma = self.library
        stream = lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=self.dictionary(need) + (1 << 20))
        out = stream.decompress(data, need + 1)
        if stream.eof and stream.check != lzma.CHECK_CRC64:
            raise DecodeError(f"the lzma stream's check is not the CRC-64 the scheme writes (check id "
                              f"{stream.check})")
        return out, stream.eof, len(stream.unused_data)


#: The first bytes of every zstd frame (RFC 8878, 3.1.1), little-endian 0xFD2FB528.
ZSTD_MAGIC = bytes.fromhex("28b52ffd")


class ZstdCoder(ReferenceCompressor):
    """Zstandard (RFC 8878): LZ77 with Huffman-coded literals and FSE-coded sequences."""

    name, module, package, levels = "zstd", "zstandard", "zstandard", (1, 22)
    framing = "a frame header with the content size and an XXH64 checksum (4 bytes)"

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (self.library.ZstdError,)

    def _compress(self, data: bytes) -> bytes:
        compressor = self.library.ZstdCompressor(level=self.level, write_content_size=True, write_checksum=True)
        return compressor.compress(data)

    def _decompress(self, data: bytes, need: int) -> tuple[bytes, bool, int]:
        zstd = self.library
        if data[:4] != ZSTD_MAGIC:
            raise DecodeError("the zstd stream does not start with a zstd frame's magic number")
        frame = zstd.get_frame_parameters(data)
        if frame.content_size != need:
            claimed = "no content size" if frame.content_size == zstd.CONTENTSIZE_UNKNOWN else \
                f"a content size of {frame.content_size} bytes"
            raise DecodeError(f"the zstd frame's header gives {claimed}, and the message needs {need} bytes")
        if not frame.has_checksum:
            raise DecodeError("the zstd frame has no checksum, which the scheme always writes")
        if need == 0:
            # zstandard's one-shot decoder returns at once for a frame of no content, reading none of it.
            if data != self._compress(b""):
                raise DecodeError("the zstd frame of an empty message is not the one the scheme writes")
            return b"", True, 0
        window = power_of_two_at_least(need, 1 << 10)
        if frame.window_size > window:
            raise DecodeError(f"the zstd frame's window of {frame.window_size} bytes is over the {window} a "
                              f"message of {need} bytes needs")
        # The one-shot decoder writes into an output buffer of the content size (the window takes no
        # memory of its own): a frame that would write more stops with an error.
        out = zstd.ZstdDecompressor().decompress(data, allow_extra_data=False)
        return out, True, 0


class BrotliCoder(ReferenceCompressor):
    """Brotli (RFC 7932): LZ77 with context-modelled Huffman codes and a built-in static dictionary."""

    name, module, package, levels = "brotli", "brotli", "brotli", (0, 11)
    framing = "none (no header bytes, no checksum)"
    #: The window: the standard format's largest, 2^24 - 16 bytes, longer than any message.
    window_bits = 24

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (self.library.error,)

    def _compress(self, data: bytes) -> bytes:
        return self.library.compress(data, quality=self.level, lgwin=self.window_bits)

    def _decompress(self, data: bytes, need: int) -> tuple[bytes, bool, int]:
        stream = self.library.Decompressor()
        # Bytes after the stream's end are an error of the library's own.
        out = stream.process(data, output_buffer_limit=need + 1)
        return out, stream.is_finished(), 0


def _register(coder: type[ReferenceCompressor], summary: str, level: str) -> Scheme:
    low, high = coder.levels

    def serves(size: int, level: int) -> None:
        check_size(coder.name, size)
        load(coder)

    return register(
        Scheme(
            name=coder.name,
            summary=summary,
            build=lambda q, level: coder(len(q), level),
            restore=coder.from_config,
            learns=True,
            per_symbol_table=False,
            serves=serves,
            groups=("compressors",),
            params=(Param("level", int, high, level, minimum=low, maximum=high),),
        )
    )


ZLIB = _register(ZlibCoder, "zlib (DEFLATE: LZ77 in a 32 KiB window + Huffman) over the symbols packed "
                 "as bytes; bits include its header and Adler-32", "compression level, 9 the strongest")
BZ2 = _register(Bz2Coder, "bzip2 (Burrows-Wheeler transform + move-to-front + Huffman) over the symbols "
                "packed as bytes; bits include its header and CRCs", "compression level: blocks of level x 100 kB")
LZMA = _register(LzmaCoder, "xz (LZMA2) over the symbols packed as bytes; bits include the xz container and "
                 "its CRC-64", "xz preset, 9 the strongest (its dictionary limited to the message)")
ZSTD = _register(ZstdCoder, "Zstandard over the symbols packed as bytes, with the content size and checksum "
                 "in the frame (optional extra 'compressors')", "compression level, 20 to 22 zstd's ultra levels")
BROTLI = _register(BrotliCoder, "Brotli over the symbols packed as bytes, window 2^24 (optional extra "
                   "'compressors')", "quality, 11 the strongest")
