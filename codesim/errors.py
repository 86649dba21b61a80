"""Every failure a user can cause is a CodesimError with a message they can act on.

The CLI prints the message as one line on stderr and exits non-zero; library callers catch
``CodesimError`` (or ``ValueError``, which it extends) and never see a bare numpy or TOML error for
bad input.
"""


class CodesimError(ValueError):
    """Base class: bad input, named with where it came from and how to fix it."""


class ArgumentError(CodesimError):
    """A value the caller gave (on the command line: an option) that is refused, as against one read from
    a file; the CLI reports it as a misused command line (exit 2)."""


class DistributionError(CodesimError):
    """A probability vector, count vector or alphabet that cannot define a distribution."""


class ScenarioError(CodesimError):
    """A scenario file or option that cannot be read or does not validate."""


class SchemeError(CodesimError):
    """An unknown coding scheme, or parameters it does not accept."""


class DecodeError(CodesimError):
    """A bitstream that does not decode to the promised number of symbols."""


class ContainerError(CodesimError):
    """A .csim file that is not one, is damaged, truncated, or describes an impossible code."""


class ConfigError(CodesimError):
    """A coder config read from a file that describes no valid code; the message names the field
    (``field 'coder.lengths' ...``). ``corrupt``: the config is ill-formed (a field missing or of the
    wrong type) rather than well-formed but impossible (an over-subscribed prefix code)."""

    def __init__(self, message: str, corrupt: bool = False):
        super().__init__(message)
        self.corrupt = corrupt


class EstimateError(CodesimError):
    """A smoothing, sample size or count vector that cannot give an estimate."""


class TextSourceError(CodesimError):
    """A file that cannot be read as units, or units that do not fit a model's alphabet."""


class StreamFileError(CodesimError):
    """A symbol file that cannot be read, or an output that cannot be written."""


class StandardOutputError(StreamFileError):
    """Standard output that cannot be written (a full disk behind a redirection)."""


class PlotUnavailable(CodesimError):
    """Plotting was asked for but matplotlib is not installed."""


def did_you_mean(name: str, choices) -> str:
    """`` (did you mean 'x'?)`` when one of ``choices`` is close to ``name``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular for exactly one: every count said in words goes through here.

    >>> counted(1, "trial"), counted(5, "trial"), counted(0, "occurrence"), counted(2, "entry", "entries")
    ('1 trial', '5 trials', '0 occurrences', '2 entries')
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def show_value(value) -> str:
    """A value from a user's file or command line, for a one-line message: its kind where that is the
    problem (``the string '4'``, ``the boolean true``), and never more than about 40 characters."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        text = repr(value)
        return f"the string {text if len(text) <= 40 else text[:36] + '...' + text[0]}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, tuple):  # where a list is expected, "got a list" would contradict it
        return "a tuple"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int) and value.bit_length() > 100:  # str() refuses past 4300 digits
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def show_count(n: int) -> str:
    """A whole number over a limit, for a one-line message: as it is up to 30 digits (100 bits, as
    :func:`show_value` has it), else in e notation (1e+308 as written, not the 309 digits of int(1e308));
    past a double's range, its size in bits.

    >>> show_count(10**11), show_count(int(1e308)), show_count(10**400)
    ('100000000000', '1e+308', 'an integer of 1329 bits')
    """
    if int(n).bit_length() <= 100:
        return str(n)
    try:
        return f"{float(n):.6g}"
    except OverflowError:
        return show_value(int(n))


def json_kind(value) -> str:
    """A JSON value's type, as a reader of the JSON would name it (``an integer``, ``a list``, ``null``)."""
    if value is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"),
                       (list, "a list"), (dict, "an object")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def show_json(value) -> str:
    """A value read from JSON, as JSON and cut short: a message stays one short line whatever a file holds."""
    import json

    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def json_key(key: str) -> str:
    """An object key as it can sit inside a quoted field name, or as JSON when it cannot."""
    return key if key.isprintable() and "'" not in key and len(key) <= 40 else show_json(key)


def one_line(exc: BaseException) -> str:
    """An error's message as one line of at most 200 characters, to quote inside another message."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."
