"""`tradeyard run` restarted on the same order store, against the local Binance fake over
sockets: the node opens the store next to the config, the adapter records every order, and the
restarted trader continues its client order ids instead of reusing them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.runtime import Node, load_run_config
from tradeyard.store import open_store
from tradeyard.testkit import wait_until
from tradeyard.venues.fakes.binance import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBinance,
    FakeBinanceConfig,
)

SYMBOL = "ETHUSDT"


def run(coro: Coroutine[Any, Any, Any], timeout_s: float = 60.0) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), [SYMBOL])


def _config(tmp_path: Path, fake: FakeBinance) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(f"""
[shutdown]
cancel_open_orders = true
positions = "keep"
timeout_s = 10

[[venues]]
name = "binance"
kind = "binanceusdm"
environment = "local"
rest_url = "{fake.rest_url}"
ws_url = "{fake.ws_url}"
api_key_env = "TY_RECON_KEY"
api_secret_env = "TY_RECON_SECRET"
symbols = ["{SYMBOL}"]
warmup_bars = 30
rate_limit = false
reconnect_delay_s = 0.05

[[strategies]]
id = "fastx"
strategy = "sma_cross"
params = {{ fast = 2, slow = 5 }}

[[traders]]
id = "t1"
follows = {{ fastx = 1.0 }}
sizing = {{ mode = "fixed_notional", notional = 500 }}
""")
    return path


async def _started(fake: FakeBinance, node: Node) -> None:
    await asyncio.wait_for(node.started.wait(), 10)
    await wait_until(
        lambda: (
            f"{SYMBOL.lower()}@kline_1m" in fake.hub.subscribed()
            and any(c.kind == "user" for c in fake.hub.clients)
        )
    )


async def _trade_until(fake: FakeBinance, node: Node, check: Callable[[], bool]) -> None:
    for _ in range(80):
        if check():
            return
        seen = node.stats.bars
        await fake.advance(1)
        await wait_until(lambda seen=seen: node.stats.bars > seen)
        for venue in node.live.values():
            await venue.drain()
        await asyncio.sleep(0.02)
    await wait_until(check, 2.0)


def test_node_when_restarted_on_same_store_continues_order_ids_and_sends_each_once(
    bars: dict[str, BarSeries], tmp_path: Path
) -> None:
    env = {"TY_RECON_KEY": DEFAULT_API_KEY, "TY_RECON_SECRET": DEFAULT_API_SECRET}

    async def scenario() -> tuple[int, list[str]]:
        async with FakeBinance(FakeBinanceConfig(substeps=2, warmup_bars=100), bars) as fake:
            path = _config(tmp_path, fake)
            cfg, env_ = load_run_config(path, environ=env)
            first = Node(cfg, env_)
            task = asyncio.create_task(first.run())
            await _started(fake, first)
            await _trade_until(fake, first, lambda: first.stats.fills >= 1)
            first.request_stop()
            await asyncio.wait_for(task, 15)
            with open_store(cfg.store.url) as store:
                last = store.last_sequence("t1")
            assert last >= 1

            second = Node(cfg, env_)
            task = asyncio.create_task(second.run())
            await _started(fake, second)
            await _trade_until(fake, second, lambda: second.stats.orders >= 1)
            second.request_stop()
            report = await asyncio.wait_for(task, 15)
            assert not report.errors and second.stats.rejections == 0
            sent = [o.client_order_id for o in fake.exchange.accounts[DEFAULT_API_KEY]
                    .orders.values()]  # fmt: skip
            return last, sent

    last, sent = run(scenario())
    assert (tmp_path / "tradeyard.db").is_file()
    assert len(sent) == len(set(sent))  # no client order id reached the exchange twice
    assert f"t1-{last + 1}" in sent  # the restarted trader went on from the store's sequence
    with open_store("", tmp_path) as store:
        assert {o.client_order_id for o in store.orders("binance")} == set(sent)
        assert store.unfinished("binance") == []
