"""codesim's version, as installed: every JSON and CSV output records it beside the seed, so a result can
be traced to the code that made it (CHANGELOG.md says what changed between versions)."""

from functools import cache
from importlib import metadata


@cache
def version() -> str:
    """The installed distribution's version (pyproject.toml's), or ``0+unknown`` for a source tree run
    without installing it."""
    try:
        return metadata.version("codesim")
    except metadata.PackageNotFoundError:
        return "0+unknown"
