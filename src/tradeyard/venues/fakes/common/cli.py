"""What `tradeyard fake-exchange` does the same for every venue: config, data and run time.

`cli/fake_exchange.py` owns the options; each venue's `build_config` and `serve` call these.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from tradeyard.errors import ConfigError
from tradeyard.venues.fakes.common.account_spec import AccountSpec

__all__ = ["build_fake_config", "load_replay_data", "run_until"]

T = TypeVar("T")


def build_fake_config(
    make: Callable[..., T],
    *,
    default_key: str,
    default_secret: str,
    api_keys: list[str],
    api_secrets: list[str],
    balance: float,
    start: str | None,
    **fields: Any,
) -> T:
    """`make(**fields)` with `start` parsed and the accounts the keys, secrets (paired up in
    order) and balance describe; a refused value is a ConfigError."""
    from tradeyard.marketdata import parse_time

    if len(api_keys) != len(api_secrets):
        raise ConfigError(
            f"{len(api_keys)} --api-key but {len(api_secrets)} --api-secret: give them in pairs",
            where="--api-key",
        )
    extra: dict[str, object] = {}
    if api_keys:
        extra["accounts"] = [
            AccountSpec(k, s, balance) for k, s in zip(api_keys, api_secrets, strict=True)
        ]
    elif balance != 10_000.0:
        extra["accounts"] = [AccountSpec(default_key, default_secret, balance)]
    try:
        return make(start=parse_time(start, "--start"), **fields, **extra)
    except (msgspec.ValidationError, ValueError) as e:
        raise ConfigError(str(e), where="fake-exchange") from e


def load_replay_data(
    data: Path | None, symbols: str | None, funding: Path | None
) -> tuple[Mapping[str, Any] | None, Mapping[str, Sequence[tuple[int, float]]] | None]:
    """The bars and funding rates the options name (None, None: the fake's bundled default)."""
    from tradeyard.marketdata import bundled_bars_dir, bundled_funding_dir, load_bars, load_funding

    wanted = [s.strip().upper() for s in symbols.split(",")] if symbols else None
    if data is not None or wanted:
        bars = load_bars(data or bundled_bars_dir(), wanted)
        folder = funding or (bundled_funding_dir() if data is None else None)
        rates = load_funding(folder, bars) if folder is not None else {}
        return bars, rates
    if funding is not None:
        raise ConfigError("--funding needs --data (the bundled data brings its own rates)")
    return None, None


async def run_until(exit_after: float | None) -> None:
    """Wait `exit_after` seconds, or until cancelled."""
    if exit_after is not None:
        await asyncio.sleep(exit_after)
    else:
        await asyncio.Event().wait()
