"""The `--venue bybit` helpers of the fake-exchange command: config building and serving."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest

from tradeyard.errors import ConfigError
from tradeyard.venues.fakes.bybit import cli


def test_build_config_when_keys_paired_makes_accounts_and_refuses_odd_pairs() -> None:
    config = cli.build_config(
        port=0, api_keys=["k1", "k2"], api_secrets=["s1", "s2"], balance=500.0, speed=0.0,
        start=None, substeps=3, warmup_bars=100,
    )  # fmt: skip
    assert [(a.api_key, a.balance) for a in config.accounts] == [("k1", 500.0), ("k2", 500.0)]
    assert config.substeps == 3 and config.warmup_bars == 100
    with pytest.raises(ConfigError):
        cli.build_config(
            port=0, api_keys=["k1"], api_secrets=[], balance=1.0, speed=0.0, start=None,
            substeps=2, warmup_bars=10,
        )  # fmt: skip


async def test_serve_when_started_answers_market_time_then_stops(capsys) -> None:
    config = cli.build_config(
        port=0, api_keys=[], api_secrets=[], balance=10_000.0, speed=0.0, start=None,
        substeps=2, warmup_bars=100,
    )  # fmt: skip
    task = asyncio.create_task(cli.serve(config, None, "BTCUSDT", None, None))
    try:
        async with asyncio.timeout(20):
            while "fake bybit listening on" not in (out := capsys.readouterr().out):
                await asyncio.sleep(0.02)
        url = out.split("listening on ", 1)[1].split()[0]
        async with aiohttp.ClientSession() as s, s.get(f"{url}/v5/market/time") as r:
            body = await r.json()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert body["retCode"] == 0
