"""The search space of an optimisation: which strategy parameters vary, and over what.

A space file is TOML, one table per searched parameter::

    [params.fast]            # an integer range (low/high/step are integers)
    low = 5
    high = 50
    step = 1                 # optional, default 1

    [params.k]               # a float range
    low = 1.0
    high = 3.0
    log = true               # optional: sample on a log scale (low must be > 0)
    # step = 0.25            # optional instead of log: a float grid

    [params.mode]            # a categorical parameter
    choices = ["a", "b"]

Everything is checked against the strategy's Params Struct before a single trial runs, because a
typo found after an hour of trials wastes the hour: an unknown parameter lists the known ones,
an empty or inverted range names the parameter, and a range reaching outside the bounds the
Params declare (``msgspec.Meta(ge=.., le=..)``) says which bound. Cross-field rules (sma_cross
needs fast < slow) cannot be checked per parameter; those combinations are pruned per trial.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import msgspec

from tradeyard.errors import ConfigError
from tradeyard.strategies import get as get_strategy

__all__ = [
    "Choice",
    "FloatRange",
    "IntRange",
    "ParamSpace",
    "SearchSpace",
    "load_space",
    "parse_space",
    "suggest",
]

_RANGE_KEYS = ("low", "high", "step", "log")
_ALLOWED_KEYS = (*_RANGE_KEYS, "choices")


class IntRange(msgspec.Struct, frozen=True):
    """Integers low..high (both included) every `step`, optionally log-scaled."""

    name: str
    low: int
    high: int
    step: int = 1
    log: bool = False


class FloatRange(msgspec.Struct, frozen=True):
    """Floats in [low, high]; on a grid of `step` when given, or log-scaled when `log`."""

    name: str
    low: float
    high: float
    step: float | None = None
    log: bool = False


class Choice(msgspec.Struct, frozen=True):
    """One of a fixed list of values (strings, numbers or booleans)."""

    name: str
    choices: tuple[str | int | float | bool, ...]


ParamSpace = IntRange | FloatRange | Choice


class SearchSpace(msgspec.Struct, frozen=True):
    """The searched parameters of one strategy, in file order."""

    strategy: str
    params: tuple[ParamSpace, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def describe(self) -> dict[str, Any]:
        """A plain dict (for JSON, and to recognise the same search when a study is resumed)."""
        return {p.name: msgspec.to_builtins(p) for p in self.params}


def load_space(path: str | Path, strategy: str) -> SearchSpace:
    """Read and check a space file for `strategy`."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(
            f"space file {str(p)!r} does not exist; write a TOML file with one [params.NAME] "
            "table per parameter, e.g. [params.fast] low = 5, high = 50",
            where="--space",
        )
    return parse_space(p.read_text(encoding="utf-8"), strategy, source=p.name)


def parse_space(text: str, strategy: str, source: str = "space") -> SearchSpace:
    """Parse the TOML text of a space for `strategy`; every problem is a ConfigError."""
    params_cls = get_strategy(strategy).Params
    try:
        doc = msgspec.toml.decode(text)
    except msgspec.DecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", where=source) from e
    extra = [k for k in doc if k != "params"]
    if extra:
        raise ConfigError(
            f"unknown top-level key(s) {', '.join(map(repr, extra))}: a space file holds only "
            "[params.NAME] tables",
            where=source,
        )
    tables = doc.get("params")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(
            "no parameters to search: add one [params.NAME] table per parameter, "
            "e.g. [params.fast] low = 5, high = 50",
            where=source,
        )
    fields = {f.name: f for f in msgspec.inspect.type_info(params_cls).fields}
    annotations = {f.name: f.type for f in msgspec.structs.fields(params_cls)}
    unknown = [name for name in tables if name not in fields]
    if unknown:
        raise ConfigError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for strategy {strategy!r} "
            f"(known: {', '.join(fields)})",
            where=source,
        )
    specs = tuple(
        _parse_one(name, table, fields[name].type, annotations[name], f"{source} [params.{name}]")
        for name, table in tables.items()
    )
    return SearchSpace(strategy=strategy, params=specs)


def suggest(trial: Any, space: SearchSpace) -> dict[str, Any]:
    """Draw one value per searched parameter from an optuna trial."""
    values: dict[str, Any] = {}
    for p in space.params:
        if isinstance(p, IntRange):
            values[p.name] = trial.suggest_int(p.name, p.low, p.high, step=p.step, log=p.log)
        elif isinstance(p, FloatRange):
            values[p.name] = trial.suggest_float(p.name, p.low, p.high, step=p.step, log=p.log)
        else:
            values[p.name] = trial.suggest_categorical(p.name, list(p.choices))
    return values


def _parse_one(name: str, table: Any, info: Any, annotation: Any, where: str) -> ParamSpace:
    if not isinstance(table, dict):
        raise ConfigError(
            f"expected a table such as [params.{name}] low = 1, high = 10, found {table!r}",
            where=where,
        )
    extra = [k for k in table if k not in _ALLOWED_KEYS]
    if extra:
        raise ConfigError(
            f"unknown key(s) {', '.join(map(repr, extra))}; allowed: {', '.join(_ALLOWED_KEYS)}",
            where=where,
        )
    if "choices" in table:
        return _parse_choices(name, table, annotation, where)
    if "low" not in table or "high" not in table:
        raise ConfigError(
            "give a range (low = ..., high = ...) or a list (choices = [...])", where=where
        )
    kind = type(info).__name__
    if kind == "IntType":
        spec: ParamSpace = _parse_int(name, table, where)
    elif kind == "FloatType":
        spec = _parse_float(name, table, where)
    else:
        raise ConfigError(
            f"{name} is not a number parameter ({kind.removesuffix('Type').lower()}): "
            f"list its values instead, e.g. choices = [...]",
            where=where,
        )
    _check_bounds(name, spec.low, info, annotation, "low", where)
    _check_bounds(name, spec.high, info, annotation, "high", where)
    return spec


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _parse_int(name: str, table: dict[str, Any], where: str) -> IntRange:
    low, high, step = table["low"], table["high"], table.get("step", 1)
    for key, value in (("low", low), ("high", high), ("step", step)):
        if not _is_int(value):
            raise ConfigError(
                f"{name} is an integer parameter: {key} must be an integer, found {value!r} "
                "(e.g. low = 5, high = 50, step = 1)",
                where=where,
            )
    log = _parse_log(table, where)
    _check_order(low, high, where)
    if step < 1:
        raise ConfigError(f"step must be >= 1, found {step}", where=where)
    if log and "step" in table and step != 1:
        raise ConfigError("log = true cannot be combined with a step; drop one", where=where)
    if log and low < 1:
        raise ConfigError(f"log = true needs low >= 1, found low = {low}", where=where)
    if (high - low) % step:
        fixed = low + (high - low) // step * step
        raise ConfigError(
            f"high - low ({high - low}) is not a multiple of step ({step}): use high = {fixed}",
            where=where,
        )
    return IntRange(name=name, low=low, high=high, step=step, log=log)


def _parse_float(name: str, table: dict[str, Any], where: str) -> FloatRange:
    low, high, step = table["low"], table["high"], table.get("step")
    for key, value in (("low", low), ("high", high), ("step", step)):
        if value is not None and not _is_number(value):
            raise ConfigError(f"{key} must be a finite number, found {value!r}", where=where)
    log = _parse_log(table, where)
    low, high = float(low), float(high)
    _check_order(low, high, where)
    if step is not None:
        step = float(step)
        if step <= 0:
            raise ConfigError(f"step must be > 0, found {step}", where=where)
        if log:
            raise ConfigError("log = true cannot be combined with a step; drop one", where=where)
        if step > high - low:
            raise ConfigError(
                f"step ({step}) is larger than the range {low}..{high}: use a smaller step",
                where=where,
            )
    if log and low <= 0:
        raise ConfigError(f"log = true needs low > 0, found low = {low}", where=where)
    return FloatRange(name=name, low=low, high=high, step=step, log=log)


def _parse_log(table: dict[str, Any], where: str) -> bool:
    log = table.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"log must be true or false, found {log!r}", where=where)
    return log


def _check_order(low: float, high: float, where: str) -> None:
    if low >= high:
        raise ConfigError(
            f"empty or inverted range: low ({low}) must be below high ({high})", where=where
        )


def _bounds_text(info: Any) -> str:
    parts = [
        f"{op} {getattr(info, attr)}"
        for attr, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
        if getattr(info, attr, None) is not None
    ]
    return ", ".join(parts) or "no bounds"


def _check_bounds(
    name: str, value: float, info: Any, annotation: Any, key: str, where: str
) -> None:
    """A range end must itself be a valid value of the parameter (its declared Meta bounds)."""
    try:
        msgspec.convert(value, annotation, strict=False)
    except msgspec.ValidationError:
        raise ConfigError(
            f"{key} = {value} is outside the bounds the strategy declares for {name} "
            f"({_bounds_text(info)}); narrow the range",
            where=where,
        ) from None


def _parse_choices(name: str, table: dict[str, Any], annotation: Any, where: str) -> Choice:
    mixed = [k for k in table if k != "choices"]
    if mixed:
        raise ConfigError(
            f"choices cannot be combined with {', '.join(mixed)}: give a list or a range",
            where=where,
        )
    choices = table["choices"]
    if not isinstance(choices, list) or not choices:
        raise ConfigError(
            f"choices must be a non-empty list, e.g. choices = [...], found {choices!r}",
            where=where,
        )
    seen: set[tuple[type, Any]] = set()
    for value in choices:
        if not isinstance(value, str | int | float | bool):
            raise ConfigError(f"choice {value!r} is not a string, number or boolean", where=where)
        try:
            msgspec.convert(value, annotation, strict=False)
        except msgspec.ValidationError as e:
            raise ConfigError(f"choice {value!r} is not a valid {name}: {e}", where=where) from e
        if (type(value), value) in seen:  # typed: true and 1 are different choices
            raise ConfigError(f"choice {value!r} is listed twice", where=where)
        seen.add((type(value), value))
    return Choice(name=name, choices=tuple(choices))
