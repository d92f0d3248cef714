"""The `tradeyard fake-exchange --venue bybit` side of the CLI, kept next to the fake.

`cli/fake_exchange.py` owns the options; for `--venue bybit` it calls `build_config` and
`serve` here, so the command file only dispatches (and the fake's own tests cover these).
Binance-only options (`--listen-key-ttl`, `--weight-limit`) do not apply: Bybit has no listen
keys, and its per-key request limit keeps `FakeBybitConfig.rate_limit`'s default.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec

from tradeyard.errors import ConfigError
from tradeyard.venues.fakes.bybit.config import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    AccountSpec,
    FakeBybitConfig,
)

__all__ = ["build_config", "serve"]


def build_config(
    *,
    port: int,
    api_keys: list[str],
    api_secrets: list[str],
    balance: float,
    speed: float,
    start: str | None,
    substeps: int,
    warmup_bars: int,
) -> FakeBybitConfig:
    """The FakeBybitConfig the options describe (keys and secrets pair up in order)."""
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
        extra["accounts"] = [AccountSpec(DEFAULT_API_KEY, DEFAULT_API_SECRET, balance)]
    try:
        return FakeBybitConfig(
            port=port, speed=speed, start=parse_time(start, "--start"), substeps=substeps,
            warmup_bars=warmup_bars, **extra,  # type: ignore[arg-type]
        )  # fmt: skip
    except (msgspec.ValidationError, ValueError) as e:
        raise ConfigError(str(e), where="fake-exchange") from e


async def serve(
    config: FakeBybitConfig,
    data: Path | None,
    symbols: str | None,
    funding: Path | None,
    exit_after: float | None,
) -> None:
    """Run the fake until cancelled (or `exit_after` seconds), printing where it listens."""
    from tradeyard.marketdata import bundled_bars_dir, bundled_funding_dir, load_bars, load_funding
    from tradeyard.venues.fakes.bybit.app import FakeBybit
    from tradeyard.venues.fakes.bybit.auth import key_hint

    wanted = [s.strip().upper() for s in symbols.split(",")] if symbols else None
    bars = None
    rates = None
    if data is not None or wanted:
        bars = load_bars(data or bundled_bars_dir(), wanted)
        folder = funding or (bundled_funding_dir() if data is None else None)
        rates = load_funding(folder, bars) if folder is not None else {}
    elif funding is not None:
        raise ConfigError("--funding needs --data (the bundled data brings its own rates)")
    async with FakeBybit(config, bars, rates) as fake:
        keys = ", ".join(key_hint(a.api_key) for a in config.accounts)
        print(f"fake bybit listening on {fake.rest_url}", flush=True)
        print(f"  REST   {fake.rest_url}/v5/…   public ws {fake.public_ws_url}", flush=True)
        print(f"  private ws {fake.private_ws_url}   accounts {keys}", flush=True)
        print(f"  admin  {fake.rest_url}/_fake/state", flush=True)
        print(f"  replay at {fake.exchange.replay.now_ms} ms, speed {config.speed:g}x", flush=True)
        if exit_after is not None:
            await asyncio.sleep(exit_after)
        else:
            await asyncio.Event().wait()
