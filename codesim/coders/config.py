"""Checking coder configs read from files: the pieces every coder's ``check_config`` shares.

A config arrives as parsed JSON, so its numbers are Python ints and floats: a table entry must be an
``int`` exactly (``2.0`` and ``"2"`` are no writer's), and messages name the field as the file holds
it, ``field 'coder.lengths'``, and show the offending value as JSON.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError, json_kind, show_json

#: The most entries one table field may have: the largest table a coder builds (rans's 2^16 frequency
#: slots, block-huffman's 2^16 tuples, a prefix code over the largest alphabet a file may have).
MAX_TABLE_ENTRIES = 1 << 16


def field(key: str) -> str:
    """How a message names the config's field ``key``: ``field 'coder.key'``."""
    return f"field 'coder.{key}'"


def int_list(values: Any, key: str, what: str) -> list[int]:
    """A non-empty list of JSON integers (``what`` they are, for the message), at most
    MAX_TABLE_ENTRIES long."""
    if not isinstance(values, list) or not values:
        raise ConfigError(f"{field(key)} is {show_json(values)}, not a non-empty list of {what}", corrupt=True)
    if len(values) > MAX_TABLE_ENTRIES:
        raise ConfigError(f"{field(key)} has {len(values)} entries, over the limit of {MAX_TABLE_ENTRIES}",
                          corrupt=True)
    for i, v in enumerate(values):
        if type(v) is not int:
            raise ConfigError(f"{field(key)} entry {i + 1} is {show_json(v)}, not an integer", corrupt=True)
    return values


def check_count(got: int, size: int, key: str, why: str = "") -> None:
    """A table of ``size`` entries (``why``, or by default: one per label of the alphabet)."""
    if got != size:
        because = why or f"the alphabet has {size} labels"
        raise ConfigError(f"{field(key)} has {got} entries, but {because}")


def strict_int(value: Any, key: str, low: int, high: int) -> int:
    """A JSON integer from ``low`` to ``high`` (a bound checked before anything is computed from it)."""
    if type(value) is not int or not low <= value <= high:
        raise ConfigError(f"{field(key)} is {show_json(value)}: an integer from {low} to {high}", corrupt=True)
    return value


def check_version(config: dict[str, Any], versions: tuple[int, ...], scheme: str) -> int:
    """The config's version (1 when it has none), if its coder class reads it (see
    :mod:`codesim.coders.base`, "Config versions")."""
    if "version" not in config:
        return 1
    version = config["version"]
    if type(version) is not int:
        raise ConfigError(f"{field('version')} is {json_kind(version)}, not an integer", corrupt=True)
    if version == 1:
        raise ConfigError(f"{field('version')} is 1, which a config says by leaving the field out", corrupt=True)
    if version not in versions:
        newer = " (written by a newer codesim?)" if version > max(versions) else ""
        raise ConfigError(f"{field('version')} is {show_json(version)}: scheme {scheme!r} reads version "
                          f"{', '.join(map(str, versions))}{newer}")
    return version


def versioned(config: dict[str, Any], version: int) -> dict[str, Any]:
    """``config`` with its ``version`` recorded, unless it is 1 (which a config says by leaving it out)."""
    return config if version == 1 else {**config, "version": version}
