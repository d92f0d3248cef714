"""`tradeyard run` end to end over real sockets: the node against the local Binance fake.

Live: warm-up → signals on streamed bars → signed orders → fills over the user stream → the
traders' positions equal the fake's. Paper: the same bars, fills by a SimVenue, nothing reaches
the fake. Shutdown with positions = "flatten" leaves the fake flat. A missing key variable is a
ConfigError naming it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tradeyard.errors import ConfigError
from tradeyard.events import Signal, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.runtime import Node, ShutdownReport, load_run_config
from tradeyard.testkit import wait_until
from tradeyard.venues.fakes.binance import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBinance,
    FakeBinanceConfig,
)

SYMBOL = "ETHUSDT"


def run(coro: Coroutine[Any, Any, None], timeout_s: float = 20.0) -> None:
    asyncio.run(asyncio.wait_for(coro, timeout_s))


async def advance_until(
    fake: FakeBinance, node: Node, check: Callable[[], bool], max_bars: int = 80
) -> int:
    """Advance the fake a bar at a time until `check` holds: after each bar, wait until the node
    has seen it and every order it caused has been answered (no fixed sleeps)."""
    for n in range(max_bars):
        if check():
            return n
        seen = node.stats.bars
        await fake.advance(1)
        await wait_until(lambda seen=seen: node.stats.bars > seen)
        for venue in node.live.values():
            await venue.drain()
        await asyncio.sleep(0.02)  # let the user stream's frames of this bar arrive
    await wait_until(check, 2.0)
    return max_bars


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), [SYMBOL])


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TY_TEST_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("TY_TEST_SECRET", DEFAULT_API_SECRET)


def write_config(
    tmp_path: Path,
    fake: FakeBinance,
    trade_on: str = "binance",
    positions: str = "keep",
    order_transport: str = "rest",
    params: str = "fast = 2, slow = 5",
) -> Path:
    text = f"""
[shutdown]
cancel_open_orders = true
positions = "{positions}"
timeout_s = 10

[[venues]]
name = "binance"
kind = "binanceusdm"
environment = "local"
rest_url = "{fake.rest_url}"
ws_url = "{fake.ws_url}"
api_key_env = "TY_TEST_KEY"
api_secret_env = "TY_TEST_SECRET"
symbols = ["{SYMBOL}"]
interval = "1m"
warmup_bars = 30
rate_limit = false
reconnect_delay_s = 0.05
order_transport = "{order_transport}"

[[venues]]
name = "paper"
kind = "paper"
data = "binance"
starting_balance = 10000

[[strategies]]
id = "fastx"
strategy = "sma_cross"
venue = "binance"
params = {{ {params} }}

[[traders]]
id = "t1"
venue = "{trade_on}"
follows = {{ fastx = 1.0 }}
sizing = {{ mode = "fixed_notional", notional = 500 }}
"""
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


@asynccontextmanager
async def fake_exchange(bars: dict[str, BarSeries]) -> AsyncIterator[FakeBinance]:
    async with FakeBinance(FakeBinanceConfig(substeps=2, warmup_bars=100), bars) as fake:
        yield fake


def fake_account(fake: FakeBinance) -> Any:
    return fake.exchange.accounts[DEFAULT_API_KEY]


def fake_position(fake: FakeBinance) -> float:
    acct = fake_account(fake)
    pos = fake.exchange.sim.account(acct.trader).positions.get(SYMBOL)
    return pos.qty if pos is not None else 0.0


def fake_symbols_touched(fake: FakeBinance) -> int:
    """How many symbols the fake's account ever had a position record for."""
    acct = fake.exchange.accounts[DEFAULT_API_KEY]
    return len(fake.exchange.sim.account(acct.trader).positions)


@asynccontextmanager
async def running_node(
    path: Path, fake: FakeBinance
) -> AsyncIterator[tuple[Node, asyncio.Task[ShutdownReport]]]:
    """The node running `path` as a task, started, with its streams subscribed on `fake`."""
    cfg, env = load_run_config(path)
    node = Node(cfg, env)
    task = asyncio.create_task(node.run())
    try:
        await asyncio.wait_for(node.started.wait(), 10)
        await wait_until(
            lambda: (
                f"{SYMBOL.lower()}@kline_1m" in fake.hub.subscribed()
                and any(c.kind == "user" for c in fake.hub.clients)
            )
        )
        yield node, task
    finally:
        if not task.done():
            node.request_stop()
            await asyncio.wait_for(asyncio.shield(task), 15)


@pytest.mark.parametrize("transport", ["rest", "websocket"])
def test_run_live_signals_become_fills_and_positions_match_the_exchange(
    bars, keys, tmp_path, transport
) -> None:
    async def scenario() -> None:
        async with (
            fake_exchange(bars) as fake,
            running_node(write_config(tmp_path, fake, order_transport=transport), fake) as (
                node,
                task,
            ),
        ):
            trader = node.traders["t1"]
            assert node.stats.bars >= 30  # the warm-up went through the bots
            assert node.stats.orders == 0  # ... without trading on history
            assert trader.wallet == pytest.approx(10_000.0)  # the wallet read at start
            # Until two position changes (an entry and a reversal) have filled.
            await advance_until(fake, node, lambda: node.stats.fills >= 2, max_bars=80)
            await wait_until(lambda: trader.positions.get(SYMBOL, 0.0) == fake_position(fake))
            assert fake_position(fake) != 0.0
            assert trader.positions[SYMBOL] == pytest.approx(fake_position(fake))
            # the exchange's own report on the private websocket agrees (AccountStream)
            await wait_until(
                lambda: (
                    node.exchange_positions.get("binance", {}).get(SYMBOL)
                    == pytest.approx(fake_position(fake))
                )
            )
            assert node.stats.rejections == 0
            # a resting order (as a limit entry or a bracket would leave) for shutdown to cancel
            spec = trader.instruments[SYMBOL]
            far = spec.round_price(trader.account.last_price[SYMBOL] * 0.7)
            trader._submit(SYMBOL, "buy", "limit", spec.round_qty_down(200 / far), price=far)
            await node.live["binance"].drain()
            assert len(fake_account(fake).open_orders(SYMBOL)) == 1
            report = await asyncio.wait_for(_stop(node, task), 10)
            assert fake_account(fake).open_orders(SYMBOL) == []
        assert report.open_orders["binance"] == []
        # positions = "keep": the position stays open and is reported on both sides
        assert report.positions["t1"][SYMBOL] == pytest.approx(
            report.venue_positions["binance"][SYMBOL]
        )
        assert not report.errors

    run(scenario())


def test_run_live_bracket_exits_follow_the_entry_fill_and_one_cancels_the_other(
    bars, keys, tmp_path
) -> None:
    """Binance knows no parent orders: the trader sends the exits once the entry has filled,
    and cancels the stop over the wire when the take-profit fills."""

    async def scenario() -> None:
        quiet = "fast = 300, slow = 600"  # no crosses in this test: only the signal below
        async with (
            fake_exchange(bars) as fake,
            running_node(write_config(tmp_path, fake, params=quiet), fake) as (node, _task),
        ):
            trader = node.traders["t1"]
            acct = fake_account(fake)
            price = fake.exchange.feed.price(SYMBOL)
            assert price is not None
            # Take-profit 0.05 % above, stop 20 % below: the take-profit ends it
            sig = Signal(
                "fastx", SYMBOL, ts=trader.ctx.now, target=1.0, reason="bracket test",
                ref_price=price, take_profit=price * 1.0005, stop_loss=price * 0.8,
            )  # fmt: skip
            node.bus.publish(topics.signal("fastx", SYMBOL), sig)
            await node.live["binance"].drain()
            entry_id = trader.decisions[-1].client_order_id
            tp_id, sl_id = trader.decisions[-1].bracket_ids
            # only the entry (a market order fills at the next open): the exits wait for it
            assert [o.client_order_id for o in acct.open_orders(SYMBOL)] == [entry_id]
            assert not acct.open_algo_by_client_id
            await advance_until(fake, node, lambda: fake_position(fake) > 0.0)
            await wait_until(lambda: len(trader.open_orders.get(SYMBOL, {})) == 2)
            await node.live["binance"].drain()
            # the exits are on the exchange now: a reduce-only LIMIT and a STOP_MARKET algo order
            assert [o.client_order_id for o in acct.open_orders(SYMBOL)] == [tp_id]
            assert list(acct.open_algo_by_client_id) == [sl_id]
            await advance_until(fake, node, lambda: fake_position(fake) == 0.0)
            await wait_until(lambda: not trader.open_orders.get(SYMBOL))
            await node.live["binance"].drain()
            await wait_until(lambda: not acct.open_algo_by_client_id)
            assert acct.open_orders(SYMBOL) == []
            assert trader.positions.get(SYMBOL, 0.0) == 0.0
            assert node.stats.rejections == 0

    run(scenario(), timeout_s=40.0)


def test_run_paper_fills_locally_and_nothing_reaches_the_exchange(bars, keys, tmp_path) -> None:
    async def scenario() -> None:
        async with (
            fake_exchange(bars) as fake,
            running_node(write_config(tmp_path, fake, trade_on="paper"), fake) as (node, task),
        ):
            trader = node.traders["t1"]
            assert trader.wallet == pytest.approx(10_000.0)  # the paper account's deposit
            await advance_until(fake, node, lambda: node.stats.fills >= 2, max_bars=80)
            sim_qty = node.paper["paper"].account("t1").positions[SYMBOL].qty
            assert sim_qty != 0.0 and trader.positions[SYMBOL] == pytest.approx(sim_qty)
            assert fake_position(fake) == 0.0 and fake_symbols_touched(fake) == 0
            report = await asyncio.wait_for(_stop(node, task), 10)
        assert report.positions["t1"][SYMBOL] == pytest.approx(sim_qty)
        assert report.venue_positions["binance"] == {}

    run(scenario())


def test_run_paper_signal_below_the_minimum_notional_is_logged_not_lost(
    bars, keys, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    # A 10 USDT paper wallet: 95 % of it is below ETHUSDT's minimum notional (20 USDT), so no
    # signal is an order. (A fixed notional below it is refused at start: see the next test.)

    async def scenario() -> None:
        async with fake_exchange(bars) as fake:
            path = write_config(tmp_path, fake, trade_on="paper")
            text = path.read_text().replace("starting_balance = 10000", "starting_balance = 10")
            text = text.replace(
                'mode = "fixed_notional", notional = 500', 'mode = "equity_fraction"'
            )
            path.write_text(text)
            async with running_node(path, fake) as (node, task):
                await advance_until(fake, node, lambda: node.stats.skipped >= 2, max_bars=80)
                assert node.stats.orders == 0 and node.stats.fills == 0
                assert node.status()["skipped"] == node.stats.skipped
                await asyncio.wait_for(_stop(node, task), 10)

    with caplog.at_level("WARNING", logger="tradeyard"):
        run(scenario())
    lines = [r.getMessage() for r in caplog.records if "not traded" in r.getMessage()]
    assert len(lines) >= 2
    assert lines[0].startswith("t1: signal on ETHUSDT not traded: target ")
    assert "below the minimum 20 for ETHUSDT" in lines[0]


def test_run_config_fixed_notional_below_the_minimum_is_refused_at_start(
    bars, keys, tmp_path
) -> None:
    async def scenario() -> None:
        async with fake_exchange(bars) as fake:
            path = write_config(tmp_path, fake, trade_on="paper")
            path.write_text(path.read_text().replace("notional = 500", "notional = 3"))
            cfg, env = load_run_config(path)
            with pytest.raises(ConfigError) as err:
                await Node(cfg, env).run()
            assert str(err.value).startswith("traders[0].sizing: notional 3 USDT is below the")
            assert "minimum notional of ETHUSDT (20 USDT)" in str(err.value)

    run(scenario())


def test_run_shutdown_with_flatten_leaves_no_position_on_the_exchange(bars, keys, tmp_path) -> None:
    async def scenario() -> None:
        async with fake_exchange(bars) as fake:
            path = write_config(tmp_path, fake, positions="flatten")
            async with running_node(path, fake) as (node, task):
                await advance_until(fake, node, lambda: fake_position(fake) != 0.0, max_bars=80)
                await wait_until(lambda: node.traders["t1"].positions.get(SYMBOL, 0.0) != 0.0)
                node.request_stop()  # what SIGTERM does through the CLI
                # market orders on the fake fill on the next bar: keep the market moving
                async with asyncio.timeout(10):
                    while not task.done():
                        await fake.advance(1)
                        await asyncio.sleep(0.1)
                report = task.result()
            assert fake_position(fake) == 0.0
        assert report.positions["t1"] == {}
        assert report.venue_positions["binance"] == {}
        assert report.open_orders["binance"] == []

    run(scenario())


def test_run_config_missing_key_variable_names_it(bars, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("TY_TEST_KEY", raising=False)
    monkeypatch.setenv("TY_TEST_SECRET", DEFAULT_API_SECRET)

    class _Fake:
        rest_url, ws_url = "http://127.0.0.1:9", "ws://127.0.0.1:9/ws"

    path = write_config(tmp_path, _Fake())  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as err:
        load_run_config(path)
    assert "TY_TEST_KEY" in str(err.value)
    assert err.value.where == "venues[0].api_key_env"


async def _stop(node: Node, task: asyncio.Task[ShutdownReport]) -> ShutdownReport:
    node.request_stop()
    return await task
