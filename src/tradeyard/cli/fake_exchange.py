"""`tradeyard fake-exchange`: a local venue server for offline rehearsal and adapter tests.

Registered in `cli/main.py` as the `fake-exchange` command. It replays Parquet bars (default:
the bundled data) through the venue's real wire protocol on 127.0.0.1, with a simulated venue
executing the orders, until Ctrl-C (or `--exit-after` seconds, for scripted runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradeyard.errors import ConfigError, TradeyardError

if TYPE_CHECKING:
    from tradeyard.venues.fakes.binance.config import FakeBinanceConfig

__all__ = ["build_config", "fake_exchange_command"]

VENUES = ("binanceusdm", "bybit")


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
    listen_key_ttl_s: float,
    weight_limit: int,
) -> FakeBinanceConfig:
    """The FakeBinanceConfig the options describe (keys and secrets pair up in order)."""
    # Imported here, like every command's work, so `tradeyard --help` stays fast.
    from tradeyard.venues.fakes.binance.config import (
        DEFAULT_API_KEY,
        DEFAULT_API_SECRET,
        FakeBinanceConfig,
    )
    from tradeyard.venues.fakes.common.cli import build_fake_config

    return build_fake_config(
        FakeBinanceConfig, default_key=DEFAULT_API_KEY, default_secret=DEFAULT_API_SECRET,
        api_keys=api_keys, api_secrets=api_secrets, balance=balance, start=start,
        port=port, speed=speed, substeps=substeps, warmup_bars=warmup_bars,
        listen_key_ttl_s=listen_key_ttl_s, weight_limit=weight_limit,
    )  # fmt: skip


async def _serve(
    config: FakeBinanceConfig,
    data: Path | None,
    symbols: str | None,
    funding: Path | None,
    exit_after: float | None,
) -> None:
    # Imported here: aiohttp is only needed when a server actually runs.
    from tradeyard.venues.fakes.binance import FakeBinance
    from tradeyard.venues.fakes.common.account_spec import key_hint
    from tradeyard.venues.fakes.common.cli import load_replay_data, run_until

    bars, rates = load_replay_data(data, symbols, funding)
    async with FakeBinance(config, bars, rates) as fake:
        keys = ", ".join(key_hint(a.api_key) for a in config.accounts)
        print(f"fake binanceusdm listening on {fake.rest_url}", flush=True)
        print(f"  REST   {fake.rest_url}/fapi/v1/…   websocket {fake.ws_url}", flush=True)
        print(f"  admin  {fake.rest_url}/_fake/state   accounts {keys}", flush=True)
        print(f"  replay at {fake.exchange.replay.now_ms} ms, speed {config.speed:g}x", flush=True)
        await run_until(exit_after)


def fake_exchange_command(
    venue: Annotated[str, typer.Option(help="Venue to fake: binanceusdm, bybit.")] = "binanceusdm",
    data: Annotated[
        Path | None,
        typer.Option(
            help="A .parquet file or folder of <SYMBOL>.parquet 1m bars. Default: bundled."
        ),
    ] = None,
    symbols: Annotated[
        str | None, typer.Option(help="Comma-separated symbols to serve (default: all).")
    ] = None,
    funding: Annotated[
        Path | None, typer.Option(help="Folder of <SYMBOL>.parquet funding rates (with --data).")
    ] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 9100,
    api_key: Annotated[
        list[str] | None,
        typer.Option(help="API key of an account (repeatable, with --api-secret)."),
    ] = None,
    api_secret: Annotated[
        list[str] | None, typer.Option(help="Its secret (repeatable, same order).")
    ] = None,
    balance: Annotated[float, typer.Option(help="USDT each account starts with.")] = 10_000.0,
    speed: Annotated[
        float, typer.Option(help="Replay speed × real time (60: one 1m bar per second); 0: paused.")
    ] = 1.0,
    start: Annotated[
        str | None, typer.Option(help="Open time of the first replayed bar (UTC date or ms).")
    ] = None,
    warmup_bars: Annotated[
        int, typer.Option(help="Bars served as history before the replay starts.")
    ] = 1500,
    substeps: Annotated[int, typer.Option(help="Kline updates per bar (the last closes it).")] = 4,
    listen_key_ttl: Annotated[
        float, typer.Option(help="Seconds a listen key lives without keep-alive.")
    ] = 3600.0,
    weight_limit: Annotated[int, typer.Option(help="Request weight allowed per minute.")] = 2400,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING.")] = "INFO",
    exit_after: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (scripts).", hidden=True)
    ] = None,
) -> None:
    """Serve a fake exchange on 127.0.0.1: the venue's REST + websocket API over replayed bars."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        if venue not in VENUES:
            raise ConfigError(
                f"unknown venue {venue!r}: expected one of {', '.join(VENUES)}", where="--venue"
            )
        if venue == "bybit":
            from tradeyard.venues.fakes.bybit import cli as bybit_cli

            bybit_config = bybit_cli.build_config(
                port=port, api_keys=api_key or [], api_secrets=api_secret or [],
                balance=balance, speed=speed, start=start, substeps=substeps,
                warmup_bars=warmup_bars,
            )  # fmt: skip
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(bybit_cli.serve(bybit_config, data, symbols, funding, exit_after))
            return
        config = build_config(
            port=port, api_keys=api_key or [], api_secrets=api_secret or [], balance=balance,
            speed=speed, start=start, substeps=substeps, warmup_bars=warmup_bars,
            listen_key_ttl_s=listen_key_ttl, weight_limit=weight_limit,
        )  # fmt: skip
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(config, data, symbols, funding, exit_after))
    except (TradeyardError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise typer.Exit(code=2) from e
