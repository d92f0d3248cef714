"""A live node on the (fake) Bybit restarted on the same order store and account, over real
sockets: the position its trader owns is restored, a fill made while the node was down counts
once, and a bracket entry that filled while down gets the exits it announced (Bybit's own order
and conditional-order APIs, not Binance's)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tradeyard.events import Signal, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.runtime import Node, load_run_config
from tradeyard.testkit import run, wait_until
from tradeyard.venues.fakes.bybit import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBybit,
    FakeBybitConfig,
)

SYMBOL = "ETHUSDT"
ENV = {"TY_BYBIT_KEY": DEFAULT_API_KEY, "TY_BYBIT_SECRET": DEFAULT_API_SECRET}


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), [SYMBOL])


def _config(tmp_path: Path, fake: FakeBybit) -> Path:
    """One trader whose strategy never crosses (the test sends its signals); a stop leaves
    positions and orders as they are, as a crash would."""
    path = tmp_path / "bybit.toml"
    path.write_text(f"""
[shutdown]
cancel_open_orders = false
positions = "keep"
timeout_s = 5

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
params = {{ fast = 300, slow = 600 }}

[[traders]]
id = "b1"
follows = {{ fastx = 1.0 }}
sizing = {{ mode = "fixed_notional", notional = 500 }}
""")
    return path


def _account(fake: FakeBybit) -> Any:
    return fake.exchange.accounts[DEFAULT_API_KEY]


def _fake_qty(fake: FakeBybit) -> float:
    pos = fake.exchange.sim.account(_account(fake).trader).positions.get(SYMBOL)
    return pos.qty if pos is not None else 0.0


def _open_ids(fake: FakeBybit) -> set[str]:
    return {o.order_link_id for o in _account(fake).orders.values() if o.is_open}


@asynccontextmanager
async def _node(path: Path, fake: FakeBybit) -> AsyncIterator[Node]:
    cfg, env = load_run_config(path, environ=ENV)
    node = Node(cfg, env)
    task = asyncio.create_task(node.run())
    try:
        await asyncio.wait_for(node.started.wait(), 10)
        await wait_until(
            lambda: any(
                c.kind == "user" and {"order", "execution"} <= c.streams for c in fake.hub.clients
            )
        )
        yield node
    finally:
        node.request_stop()
        report = await asyncio.wait_for(task, 10)
        assert not report.errors


def _signal(node: Node, price: float, **kw: Any) -> str:
    trader = node.traders["b1"]
    sig = Signal("fastx", SYMBOL, ts=trader.ctx.now, target=1.0, reason="test", ref_price=price,
                 **kw)  # fmt: skip
    node.bus.publish(topics.signal("fastx", SYMBOL), sig)
    return trader.decisions[-1].client_order_id


def test_restarted_bybit_node_restores_the_position_and_protects_a_bracket_entry_filled_while_down(
    bars: dict[str, BarSeries], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tradeyard.runtime")

    async def scenario() -> None:
        config = FakeBybitConfig(substeps=2, warmup_bars=100, rate_limit=100)
        async with FakeBybit(config, bars, {}) as fake:
            path = _config(tmp_path, fake)
            price = float(bars[SYMBOL].close[100])
            take, stop = round(price * 1.05, 2), round(price * 0.95, 2)
            async with _node(path, fake) as first:
                entry = _signal(first, price, take_profit=take, stop_loss=stop)
                await first.live["bybit"].drain()
            await fake.advance(1)  # the entry fills while no node runs
            held = _fake_qty(fake)
            assert held > 0.0 and _open_ids(fake) == set()
            async with _node(path, fake) as second:
                trader = second.traders["b1"]
                assert trader.positions[SYMBOL] == pytest.approx(held)  # restored, counted once
                await second.live["bybit"].drain()
                exits = list(trader.open_orders[SYMBOL].values())
                assert [(o.side, o.order_type, o.qty, o.reduce_only) for o in exits] == [
                    ("sell", "limit", pytest.approx(held), True),
                    ("sell", "stop", pytest.approx(held), True),
                ]
                await wait_until(lambda: _open_ids(fake) == {o.client_order_id for o in exits})
                # the same bracket signal again: no entry (the position is right), the exits
                # are replaced by fresh ones, so the position stays protected exactly once
                before = {o.client_order_id for o in exits}
                _signal(second, price, take_profit=take, stop_loss=stop)
                await second.live["bybit"].drain()
                now = set(trader.open_orders[SYMBOL])
                assert len(now) == 2 and not now & before
                await wait_until(lambda: _open_ids(fake) == now)
                assert _fake_qty(fake) == pytest.approx(held)
            assert f"protects its {SYMBOL} position with the exits its entry {entry}" in caplog.text

    run(scenario(), timeout_s=60)
