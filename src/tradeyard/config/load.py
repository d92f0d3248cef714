"""Read and check a config; every problem is a ConfigError naming the key path and the fix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec

from tradeyard.config.schema import BacktestConfig, TraderConfig
from tradeyard.errors import ConfigError, DataError
from tradeyard.marketdata import parse_time
from tradeyard.strategies import get as get_strategy

__all__ = ["build_params", "load_config", "parse_config", "parse_param_overrides"]


def load_config(path: str | Path) -> BacktestConfig:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {str(p)!r} does not exist")
    return parse_config(p.read_bytes(), source=p.name)


def parse_config(text: bytes | str, source: str = "config") -> BacktestConfig:
    try:
        cfg = msgspec.toml.decode(text, type=BacktestConfig)
    except msgspec.ValidationError as e:
        raise ConfigError(_explain(str(e)), where=source) from e
    except msgspec.DecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", where=source) from e
    return validate(cfg)


def validate(cfg: BacktestConfig) -> BacktestConfig:
    """Checks that span several sections (ids unique, follows existing, params known)."""
    if not cfg.strategies:
        raise ConfigError("at least one [[strategies]] entry is needed", where="strategies")
    seen: set[str] = set()
    for i, s in enumerate(cfg.strategies):
        if s.id in seen:
            raise ConfigError(
                f"duplicate id {s.id!r}: every strategy needs its own id",
                where=f"strategies[{i}].id",
            )
        seen.add(s.id)
        build_params(s.strategy, s.params, where=f"strategies[{i}]")
    traders = cfg.traders or [TraderConfig(id="trader", follows=dict.fromkeys(seen, 1.0))]
    tids: set[str] = set()
    for i, t in enumerate(traders):
        if t.id in tids or t.id in seen:
            raise ConfigError(
                f"duplicate id {t.id!r}: bots need distinct ids", where=f"traders[{i}].id"
            )
        tids.add(t.id)
        if not t.follows:
            raise ConfigError(
                "a trader must follow at least one strategy, e.g. follows = { trend = 1.0 }",
                where=f"traders[{i}].follows",
            )
        for name in t.follows:
            if name not in seen:
                raise ConfigError(
                    f"unknown strategy id {name!r} (defined: {', '.join(sorted(seen))})",
                    where=f"traders[{i}].follows",
                )
    _check_window(cfg.data.start, cfg.data.end)
    return msgspec.structs.replace(cfg, traders=traders)


def _check_window(start: str, end: str) -> None:
    """`data.start` (`--from`) must come before `data.end` (`--to`) when both are given."""
    try:
        t0, t1 = parse_time(start, "from"), parse_time(end, "to")
    except DataError as e:
        raise ConfigError(str(e), where="data") from e
    if t0 is not None and t1 is not None and t0 >= t1:
        raise ConfigError(
            f"the window is empty: from {start} is not before to {end}", where="data.from"
        )


def build_params(
    strategy: str, params: dict[str, Any], where: str = "params", strict: bool = True
) -> msgspec.Struct:
    """The strategy's Params Struct from a dict; unknown or invalid parameters name the fix."""
    cls = get_strategy(strategy)
    params_cls = cls.Params
    known = list(params_cls.__struct_fields__)
    unknown = [k for k in params if k not in known]
    if unknown:
        raise ConfigError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for strategy {strategy!r} "
            f"(known: {', '.join(known)})",
            where=_params_where(where),
        )
    try:
        return msgspec.convert(params, params_cls, strict=strict)
    except msgspec.ValidationError as e:
        raise ConfigError(f"{strategy}: {_explain(str(e))}", where=_params_where(where)) from e
    except ConfigError as e:  # cross-field checks in the Params' __post_init__
        raise ConfigError(f"{strategy}: {e}", where=where) from e


def _params_where(where: str) -> str:
    """`strategies[0]` -> `strategies[0].params`; a command-line option (`--param`) as it is."""
    return where if where.startswith("--") else f"{where}.params"


def parse_param_overrides(items: list[str]) -> dict[str, str]:
    """`["fast=5", "slow=20"]` -> {"fast": "5", "slow": "20"} (values converted later, by type)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {item!r} is not key=value, e.g. --param fast=5")
        out[key.strip()] = value.strip()
    return out


def _explain(message: str) -> str:
    """Make msgspec's messages read as TOML paths: `- at `$.traders[0].leverage`` -> `at traders[0].leverage`."""
    m = re.search(r"- at `\$\.?(.*)`", message)
    if m:
        path = m.group(1) or "top level"
        head = message[: m.start()].strip()
        return f"{head} at {path}"
    return message
