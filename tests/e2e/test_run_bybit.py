"""`tradeyard run` live on Bybit (the local fake, real sockets): a signal from Bybit bars becomes
signed orders, fills come back on the private stream, positions match the fake's; shutdown with
positions = "flatten" leaves the fake flat."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.runtime import Node, load_run_config
from tradeyard.testkit import wait_until
from tradeyard.venues.fakes.bybit import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBybit,
    FakeBybitConfig,
)

SYMBOL = "ETHUSDT"


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), [SYMBOL])


def _config(tmp_path: Path, fake: FakeBybit) -> Path:
    path = tmp_path / "bybit.toml"
    path.write_text(f"""
[shutdown]
positions = "flatten"
timeout_s = 10

[[venues]]
name = "bybit"
kind = "bybit"
environment = "local"
rest_url = "{fake.rest_url}"
ws_url = "{fake.public_ws_url}"
private_ws_url = "{fake.private_ws_url}"
api_key_env = "TY_BYBIT_KEY"
api_secret_env = "TY_BYBIT_SECRET"
symbols = ["{SYMBOL}"]
warmup_bars = 30
rate_limit = false
reconnect_delay_s = 0.05

[[strategies]]
id = "fastx"
strategy = "sma_cross"
params = {{ fast = 2, slow = 5 }}

[[traders]]
id = "b1"
follows = {{ fastx = 1.0 }}
sizing = {{ mode = "fixed_notional", notional = 500 }}
""")
    return path


def _fake_qty(fake: FakeBybit) -> float:
    acct = fake.exchange.accounts[DEFAULT_API_KEY]
    pos = fake.exchange.sim.account(acct.trader).positions.get(SYMBOL)
    return pos.qty if pos is not None else 0.0


def test_run_bybit_live_trades_then_flattens_on_stop(bars, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TY_BYBIT_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("TY_BYBIT_SECRET", DEFAULT_API_SECRET)

    async def scenario() -> None:
        config = FakeBybitConfig(substeps=2, warmup_bars=100, rate_limit=100)
        async with FakeBybit(config, bars, {}) as fake:
            cfg, env = load_run_config(_config(tmp_path, fake))
            node = Node(cfg, env)
            task = asyncio.create_task(node.run())
            try:
                await asyncio.wait_for(node.started.wait(), 10)
                await wait_until(
                    lambda: (
                        f"kline.1.{SYMBOL}" in fake.hub.subscribed()
                        and any(
                            c.kind == "user" and {"order", "execution"} <= c.streams
                            for c in fake.hub.clients
                        )
                    )
                )
                trader = node.traders["b1"]
                assert node.stats.orders == 0 and trader.wallet > 0.0
                for _ in range(80):
                    if node.stats.fills >= 2:
                        break
                    seen = node.stats.bars
                    await fake.advance(1)
                    await wait_until(lambda seen=seen: node.stats.bars > seen)
                    await node.live["bybit"].drain()
                    await asyncio.sleep(0.02)
                await wait_until(lambda: trader.positions.get(SYMBOL, 0.0) == _fake_qty(fake))
                assert node.stats.fills >= 2 and _fake_qty(fake) != 0.0
                node.request_stop()
                async with asyncio.timeout(10):
                    while not task.done():
                        await fake.advance(1)
                        await asyncio.sleep(0.1)
                report = task.result()
            finally:
                if not task.done():
                    node.request_stop()
                    await asyncio.wait_for(task, 15)
            assert _fake_qty(fake) == 0.0
        assert report.positions["b1"] == {} and report.venue_positions["bybit"] == {}
        assert not report.errors

    asyncio.run(asyncio.wait_for(scenario(), 20))
