"""The `tradeyard fake-exchange --venue bybit` side of the CLI, kept next to the fake.

`cli/fake_exchange.py` owns the options; for `--venue bybit` it calls `build_config` and
`serve` here, so the command file only dispatches (and the fake's own tests cover these).
Binance-only options (`--listen-key-ttl`, `--weight-limit`) do not apply: Bybit has no listen
keys, and its per-key request limit keeps `FakeBybitConfig.rate_limit`'s default.
"""

from __future__ import annotations

from pathlib import Path

from tradeyard.venues.fakes.bybit.config import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBybitConfig,
)
from tradeyard.venues.fakes.common.cli import build_fake_config, load_replay_data, run_until

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
    return build_fake_config(
        FakeBybitConfig, default_key=DEFAULT_API_KEY, default_secret=DEFAULT_API_SECRET,
        api_keys=api_keys, api_secrets=api_secrets, balance=balance, start=start,
        port=port, speed=speed, substeps=substeps, warmup_bars=warmup_bars,
    )  # fmt: skip


async def serve(
    config: FakeBybitConfig,
    data: Path | None,
    symbols: str | None,
    funding: Path | None,
    exit_after: float | None,
) -> None:
    """Run the fake until cancelled (or `exit_after` seconds), printing where it listens."""
    from tradeyard.venues.fakes.bybit.app import FakeBybit
    from tradeyard.venues.fakes.common.account_spec import key_hint

    bars, rates = load_replay_data(data, symbols, funding)
    async with FakeBybit(config, bars, rates) as fake:
        keys = ", ".join(key_hint(a.api_key) for a in config.accounts)
        print(f"fake bybit listening on {fake.rest_url}", flush=True)
        print(f"  REST   {fake.rest_url}/v5/…   public ws {fake.public_ws_url}", flush=True)
        print(f"  private ws {fake.private_ws_url}   accounts {keys}", flush=True)
        print(f"  admin  {fake.rest_url}/_fake/state", flush=True)
        print(f"  replay at {fake.exchange.replay.now_ms} ms, speed {config.speed:g}x", flush=True)
        await run_until(exit_after)
