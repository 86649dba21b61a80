"""Scheme names -> coder builders, and scheme specs with parameters ("block-huffman:k=3").

A module that defines a scheme registers it at import with :func:`register`; :mod:`codesim.coders`
imports every such module, so importing the package is enough to see them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..errors import CodesimError, ConfigError, SchemeError, did_you_mean, json_key, json_kind, one_line, show_json
from ..errors import show_value as _show
from ..sources.base import order0_probs
from .base import Coder


@dataclass(frozen=True)
class Param:
    """One scheme parameter: its type, default, lower bound and a line of help."""

    name: str
    kind: type  # int or float
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    #: Whether a config leaves the parameter out at its default (and only then): one added to a scheme
    #: whose configs were written without it, so those still read and its default codes' stay as they were.
    optional: bool = False

    def convert(self, scheme: str, value: Any) -> Any:
        """The value as this parameter's type, or a SchemeError saying what is accepted.

        A value is a number: a string is refused here (a command line's text goes through
        :meth:`parse`), as is a boolean (which Python counts as an int). An integer parameter takes a
        whole number written either way, 4 or 4.0, as a count on the command line may be 1e6."""
        where = f"scheme {scheme!r}: parameter {self.name}"
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise SchemeError(f"{where} must be {self._describe()}, got {_show(value)}")
        if isinstance(value, (float, np.floating)) and not np.isfinite(value):
            raise SchemeError(f"{where} must be {self._describe()}, got {value!r}")
        if self.kind is int:
            if isinstance(value, (float, np.floating)) and value != int(value):
                raise SchemeError(f"{where} must be {self._describe()}, got {value!r}")
            value = int(value)
        if not self.admits(value):
            raise SchemeError(f"{where} must be {self._describe()}, got {_show(value)}")
        return value if self.kind is int else float(value)

    def admits(self, value) -> bool:
        """Whether a number lies within the bounds, compared exactly before any conversion: an integer
        of hundreds of digits overflows a float."""
        return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)

    def strict(self, scheme: str, value: Any) -> Any:
        """A value read from a file's JSON, which must already have this parameter's type (an int for
        an integer parameter: ``4.0`` and ``"4"`` are no writer's) and lie within its bounds; a
        ConfigError naming the field ``coder.params.NAME``."""
        where = f"field 'coder.params.{self.name}'"
        if type(value) not in ((int,) if self.kind is int else (int, float)):
            raise ConfigError(f"{where} is {show_json(value)}, not "
                              f"{'an integer' if self.kind is int else 'a number'}", corrupt=True)
        if not self.admits(value):
            raise ConfigError(f"{where} is {show_json(value)}: scheme {scheme!r} takes {self.name} "
                              f"{self._range()}", corrupt=True)
        return value

    def parse(self, scheme: str, text: str) -> Any:
        """A value written on the command line (``"4"``, ``"0x10"``, ``"1e3"``, ``"0.5"``), converted."""
        try:
            value: Any = int(text, 0)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise SchemeError(f"scheme {scheme!r}: parameter {self.name} must be {self._describe()}, "
                                  f"got {text!r}") from None
        return self.convert(scheme, value)

    def _describe(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        return f"{what} {self._range()}".rstrip()

    def _range(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"from {self.minimum:g} to {self.maximum:g}"
        if self.minimum is not None:
            return f">= {self.minimum:g}"
        if self.maximum is not None:
            return f"<= {self.maximum:g}"
        return ""


@dataclass(frozen=True)
class Scheme:
    """A registered coding scheme: how to build its coder from q, and how to restore it from a config."""

    name: str
    summary: str
    build: Callable[..., Coder]  # build(q_probs, **params) -> Coder
    restore: Callable[[dict[str, Any]], Coder]
    params: tuple[Param, ...] = ()
    #: serves(size, **params) raises a SchemeError saying why the scheme with these parameters cannot
    #: code an alphabet of ``size`` symbols (None: it codes any alphabet a scenario may have). It is
    #: asked before a code is built, so a scenario can name the scheme at fault and a default scheme
    #: list can leave out the schemes that do not fit.
    serves: Callable[..., None] | None = None
    #: unit(**params): how many symbols the scheme codes as one (a block code's k); None: one. A
    #: stream cut into messages at multiples of it costs the bits it costs whole.
    unit: Callable[..., int] | None = None
    #: check(config, params) raises a ConfigError naming the field when a config read from a file is
    #: not what this scheme always builds, beyond what its coder class checks in any config (a Huffman
    #: code is complete, a fixed-length code has one length). None: nothing more to check.
    check: Callable[[dict[str, Any], dict[str, Any]], None] | None = None
    #: Whether the scheme learns as it codes instead of taking a model: a simulation then runs it once
    #: per stream rather than once per model (its build still gets a q, for the alphabet's size).
    learns: bool = False
    #: The named groups the scheme belongs to ("prefix", "stream", "learners", and DEFAULT for the set
    #: run when none is named), so that ``--scheme prefix`` selects it; every scheme is in ALL.
    groups: tuple[str, ...] = ()
    #: context(model, **params) builds the scheme's context code for a model with memory (order > 0;
    #: see :mod:`codesim.coders.context`), from ``model.context_table()`` (or, for a block code,
    #: ``model.block_probs(k)``); None: the scheme codes with i.i.d. models only.
    context: Callable[..., Coder] | None = None
    #: The Coder class that restores (and checks) the configs of the scheme's context codes, those with
    #: an ``order`` field; None when the scheme has no context code.
    context_coder: type[Coder] | None = None
    #: Whether the code holds a table of an entry per symbol (or per tuple, K^unit) while it exists, which
    #: the simulation counts before building codes; False for a code whose memory does not grow with the
    #: alphabet and is held only while it codes a message (a context tree, a dictionary, a compressor).
    per_symbol_table: bool = True
    #: Whether build needs the model itself, not only its probabilities (a code of the symbols' values
    #: reads the labels, and a model's family and parameter where it has them): then build(q_probs,
    #: model=q, **params), q a Model or the plain probability vector it was given.
    takes_model: bool = False

    def restorer(self, config: Any) -> type[Coder]:
        """The Coder class for a config of this scheme: its context coder's for a config with ``order``."""
        if isinstance(config, dict) and "order" in config:
            if self.context_coder is None:
                raise ConfigError(f"field 'coder.order': scheme {self.name!r} has no context code", corrupt=True)
            return self.context_coder
        return self.coder

    @property
    def coder(self) -> type[Coder] | None:
        """The Coder class whose ``from_config`` restores this scheme's configs (and whose
        ``check_config`` checks them); None when ``restore`` is another function, which
        :func:`register` refuses."""
        owner = getattr(self.restore, "__self__", None)
        return owner if isinstance(owner, type) and issubclass(owner, Coder) else None

    def check_params(self, params: Any) -> dict[str, Any]:
        """A config's ``params`` read from a file: exactly this scheme's parameters, each of its JSON
        type and within its bounds (:meth:`Param.strict`), and accepted together; a ConfigError
        naming the field."""
        if not isinstance(params, dict):
            raise ConfigError(f"field 'coder.params' is {json_kind(params)}, not an object", corrupt=True)
        known = {p.name: p for p in self.params}
        for key in params:
            if key not in known:
                raise ConfigError(f"field 'coder.params.{json_key(key)}' is not a parameter of scheme "
                                  f"{self.name!r} (parameters: {', '.join(known) or 'none'})", corrupt=True)
        for key, param in known.items():
            if key not in params:
                if param.optional:
                    continue
                raise ConfigError(f"field 'coder.params.{key}' is missing", corrupt=True)
            param.strict(self.name, params[key])
            if param.optional and params[key] == param.default:
                raise ConfigError(f"field 'coder.params.{key}' is {param.default}, which a config says by "
                                  "leaving the field out", corrupt=True)
        try:
            self.resolve(params)
        except CodesimError as exc:
            raise ConfigError(f"field 'coder.params': {one_line(exc)}", corrupt=True) from None
        return params

    def resolve(self, params: dict[str, Any]) -> dict[str, Any]:
        """Defaults filled in, values converted (see :meth:`Param.convert`); unknown names are errors."""
        known = {p.name: p for p in self.params}
        for name in params:
            if name not in known:
                hint = did_you_mean(name, known)
                accepted = ", ".join(known) or "none"
                raise SchemeError(
                    f"scheme {self.name!r} has no parameter {name!r}{hint} (parameters: {accepted})"
                )
        return {p.name: p.convert(self.name, params.get(p.name, p.default)) for p in self.params}


@dataclass(frozen=True)
class SchemeSpec:
    """A scheme name with parameter values, as written in scenarios and on the command line."""

    name: str
    params: tuple[tuple[str, Any], ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> "SchemeSpec":
        """``"huffman"`` or ``"block-huffman:k=3"`` or ``"rans:lanes=64,precision=12"``."""
        name, _, rest = text.strip().partition(":")
        known = {p.name: p for p in get(name).params}
        params: dict[str, Any] = {}
        for item in filter(None, (s.strip() for s in rest.split(","))):
            key, eq, value = item.partition("=")
            key = key.strip()
            if not eq or not key:
                raise SchemeError(f"scheme {text!r}: parameters are written name=value, got {item!r}")
            if key in params:
                raise SchemeError(f"scheme {text!r}: parameter {key} is given twice")
            params[key] = known[key].parse(name, value.strip()) if key in known else value.strip()
        return cls(name, tuple(params.items())).resolved()

    @classmethod
    def of(cls, name: str, **params: Any) -> "SchemeSpec":
        return cls(name, tuple(params.items())).resolved()

    def resolved(self) -> "SchemeSpec":
        """The spec with every parameter converted and defaults filled in (validates the name)."""
        values = get(self.name).resolve(dict(self.params))
        return SchemeSpec(self.name, tuple(sorted(values.items())))

    @property
    def label(self) -> str:
        """How the spec is shown in reports: the name, then non-default parameters."""
        scheme = get(self.name)
        defaults = {p.name: p.default for p in scheme.params}
        changed = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in self.params if defaults.get(k) != v]
        return self.name + (":" + ",".join(changed) if changed else "")

    @property
    def unit(self) -> int:
        """Symbols the scheme codes as one: cutting a stream at multiples of this changes no codeword."""
        scheme = get(self.name)
        return 1 if scheme.unit is None else scheme.unit(**scheme.resolve(dict(self.params)))

    def check_alphabet(self, size: int) -> None:
        """A SchemeError saying why, when this scheme with these parameters cannot code ``size`` symbols."""
        scheme = get(self.name)
        if scheme.serves is not None:
            scheme.serves(size, **scheme.resolve(dict(self.params)))

    def build(self, q) -> Coder:
        """The scheme's coder for the model q (a context code for a model with memory); a SchemeError
        names the scheme when q cannot be served (a probability too small for the longest codeword a
        decoder takes, say)."""
        scheme = get(self.name)
        if getattr(q, "order", 0) > 0:
            if scheme.context is None:
                raise SchemeError(f"scheme {self.label!r} has no context code: it codes with i.i.d. "
                                  f"models only, and this model looks at {q.order} symbols of context")
            self.check_alphabet(len(q.alphabet))
            try:
                return scheme.context(q, **dict(self.params))
            except SchemeError:
                raise
            except CodesimError as exc:
                raise SchemeError(f"scheme {self.label!r}: {exc}") from None
        probs = order0_probs(q)
        self.check_alphabet(probs.size)
        try:
            if scheme.takes_model:
                return scheme.build(probs, model=q, **dict(self.params))
            return scheme.build(probs, **dict(self.params))
        except SchemeError:
            raise
        except CodesimError as exc:
            raise SchemeError(f"scheme {self.label!r}: {exc}") from None


_REGISTRY: dict[str, Scheme] = {}

#: The group of every registered scheme.
ALL = "all"
#: The group run when no scheme is named: a fixed set, so that a new scheme does not lengthen every
#: default run (see the README, "Command line").
DEFAULT = "default"


def register(scheme: Scheme) -> Scheme:
    """Make ``scheme`` known by its name. Its ``restore`` is its Coder class's ``from_config``, so that a
    config read from a file is checked (:func:`check_config`) by the class that will rebuild it."""
    if scheme.name in _REGISTRY:
        raise ValueError(f"scheme {scheme.name!r} is registered twice")
    if scheme.coder is None:
        raise ValueError(f"scheme {scheme.name!r}: restore must be a Coder class's from_config, whose "
                         "check_config checks the configs it restores")
    clash = ({scheme.name} & set(groups())) | (set(scheme.groups) & set(_REGISTRY)) | ({ALL} & set(scheme.groups))
    if clash:
        raise ValueError(f"scheme {scheme.name!r}: {clash.pop()!r} names both a scheme and a group")
    _REGISTRY[scheme.name] = scheme
    return scheme


def unregister(name: str) -> Scheme:
    """Take a scheme out of the registry (a test's own scheme, when the test is done)."""
    scheme = get(name)
    del _REGISTRY[name]
    return scheme


def get(name: str) -> Scheme:
    """The registered scheme called ``name``, or a SchemeError listing the known ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise SchemeError(
            f"unknown scheme {name!r}{did_you_mean(name, _REGISTRY)} (schemes: {', '.join(_REGISTRY)})"
        ) from None


def available() -> list[Scheme]:
    """Every registered scheme, in registration order."""
    return list(_REGISTRY.values())


def groups() -> dict[str, tuple[str, ...]]:
    """Each group's name -> its schemes' names, in registration order; ALL last."""
    out: dict[str, list[str]] = {}
    for scheme in _REGISTRY.values():
        for name in scheme.groups:
            out.setdefault(name, []).append(scheme.name)
    return {**{name: tuple(members) for name, members in out.items()}, ALL: tuple(_REGISTRY)}


def group(name: str) -> tuple[SchemeSpec, ...]:
    """The schemes of a group, each with its default parameters; a SchemeError for no such group."""
    known = groups()
    if name not in known:
        raise SchemeError(f"unknown scheme group {name!r}{did_you_mean(name, known)} (groups: {', '.join(known)})")
    return tuple(SchemeSpec.of(member) for member in known[name])


def choice(text: str) -> SchemeSpec | str:
    """What a ``--scheme`` names: a group's name as it is, else the scheme spec it parses to."""
    name = text.strip()
    known = groups()
    if name in known:
        return name
    if name.partition(":")[0].strip() not in _REGISTRY:
        raise SchemeError(f"unknown scheme or group {name!r}{did_you_mean(name, [*_REGISTRY, *known])} "
                          f"(schemes: {', '.join(_REGISTRY)}; groups: {', '.join(known)})")
    return SchemeSpec.parse(text)


def select(choices, size: int | None = None) -> tuple[tuple[SchemeSpec, ...], dict[str, str]]:
    """The schemes ``choices`` name (specs, names, and groups standing for their schemes), in order; a
    group adds its schemes not chosen before it. With an alphabet ``size``, a group's scheme that cannot
    code it is left out, and the second value says why, by label. A scheme named on its own is kept:
    where it cannot serve, the caller's check says so as an error.

    >>> [s.label for s in select(["huffman", "stream", "default"])[0]]
    ['huffman', 'arithmetic', 'rans', 'fixed', 'shannon']
    """
    chosen: list[SchemeSpec] = []
    unfit: dict[str, str] = {}
    for item in choices:
        item = choice(item) if isinstance(item, str) else item
        if isinstance(item, SchemeSpec):
            chosen.append(item)
            continue
        for spec in group(item):
            if spec in chosen:
                continue
            try:
                if size is not None:
                    spec.check_alphabet(size)
            except CodesimError as exc:
                unfit[spec.label] = str(exc)
            else:
                chosen.append(spec)
    return tuple(chosen), unfit


def build(scheme: str | SchemeSpec, q, **params: Any) -> Coder:
    """Build a coder from the model q by scheme name (or spec) and parameters.

    >>> build("huffman", [0.5, 0.25, 0.25]).lengths.tolist()
    [1, 2, 2]
    """
    spec = scheme if isinstance(scheme, SchemeSpec) else SchemeSpec(scheme, tuple(params.items()))
    if isinstance(scheme, SchemeSpec) and params:
        spec = SchemeSpec(spec.name, spec.params + tuple(params.items()))
    return spec.resolved().build(q)


def from_config(config: dict[str, Any]) -> Coder:
    """The coder a :meth:`Coder.get_config` dict describes."""
    if not isinstance(config, dict) or not isinstance(config.get("scheme"), str):
        raise SchemeError("a coder config is a dict with a 'scheme' name")
    scheme = get(config["scheme"])
    return scheme.restorer(config).from_config(config) if "order" in config else scheme.restore(config)


#: Longer than any scheme's name: the did-you-mean search is spared a huge string from a file.
_MAX_NAME = 100


def check_config(config: dict[str, Any], size: int) -> None:
    """Refuse a coder config read from a file for an alphabet of ``size`` symbols, before anything is
    built from it: a ConfigError naming the field (:meth:`Coder.check_config` of the scheme's coder)."""
    name = config.get("scheme") if isinstance(config, dict) else None
    if not isinstance(name, str):
        raise ConfigError(f"field 'coder' is {show_json(config)}, not an object with a 'scheme' name", corrupt=True)
    if len(name) > _MAX_NAME:
        raise ConfigError(f"field 'coder.scheme': unknown scheme {show_json(name)}")
    try:
        coder = get(name).restorer(config)
    except SchemeError as exc:  # "unknown scheme 'x' (did you mean ...) (schemes: ...)"
        raise ConfigError(f"field 'coder.scheme': {one_line(exc)}") from None
    coder.check_config(config, size)
