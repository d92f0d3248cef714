"""A local fake exchange and a live adapter connected to it, for either venue, in two calls.

    async with local_fake("bybit", bars) as fake:
        venue = local_venue("bybit", bus, fake, symbols=["BTCUSDT"])
        await venue.execution.start()

The fake replays `bars` when told to (`await fake.advance(n)`), after `warmup_bars` of history;
the adapter gets the fake's URLs, its default keys, no client-side throttle and short
reconnect delays, plus any config fields given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from tradeyard.bus import Bus
from tradeyard.marketdata import BarSeries

__all__ = ["local_env", "local_fake", "local_venue"]

Kind = Literal["binanceusdm", "bybit"]


def local_fake(
    kind: Kind, bars: Mapping[str, BarSeries], warmup_bars: int = 600, **config: Any
) -> Any:
    """The fake exchange of `kind` (an async context manager), stepped by `advance(n)`."""
    if kind == "bybit":
        from tradeyard.venues.fakes import bybit

        return bybit.FakeBybit(
            bybit.FakeBybitConfig(substeps=2, warmup_bars=warmup_bars, **config), dict(bars), {}
        )
    from tradeyard.venues.fakes import binance

    return binance.FakeBinance(
        binance.FakeBinanceConfig(substeps=2, warmup_bars=warmup_bars, **config), dict(bars)
    )


def local_env(kind: Kind) -> dict[str, str]:
    """The environment with the fake's default API key and secret."""
    if kind == "bybit":
        from tradeyard.venues.fakes import bybit

        return {
            "BYBIT_API_KEY": bybit.DEFAULT_API_KEY,
            "BYBIT_API_SECRET": bybit.DEFAULT_API_SECRET,
        }
    from tradeyard.venues.fakes import binance

    return {
        "BINANCE_API_KEY": binance.DEFAULT_API_KEY,
        "BINANCE_API_SECRET": binance.DEFAULT_API_SECRET,
    }


def local_venue(
    kind: Kind, bus: Bus, fake: Any, env: Mapping[str, str] | None = None, **config: Any
) -> Any:
    """The live adapter of `kind` pointed at `fake` (not started)."""
    config.setdefault("rate_limit", False)
    config.setdefault("reconnect_delay_s", 0.05)
    env = dict(env) if env is not None else local_env(kind)
    if kind == "bybit":
        from tradeyard.venues import bybit

        cfg = bybit.BybitConfig(
            environment="local", rest_url=fake.rest_url, public_ws_url=fake.public_ws_url,
            private_ws_url=fake.private_ws_url, **config,
        )  # fmt: skip
        return bybit.build_venue(bus, cfg, env)
    from tradeyard.venues import binance

    cfg_b = binance.BinanceConfig(
        environment="local", rest_url=fake.rest_url, ws_url=fake.ws_url, **config
    )
    return binance.build_venue(bus, cfg_b, env)
