"""A live node restarted on the same order store and the same (fake) Binance account, over real
sockets: each trader starts from the position its recorded fills give it, a fill made while the
node was down is counted once, and a position the traders do not own is reported, not adopted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradeyard.events import Signal, topics
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
NODE_LOG = "tradeyard.runtime"
"""The node's loggers (`runtime.node`, `runtime.restart`)."""


def run(coro: Coroutine[Any, Any, None], timeout_s: float = 30.0) -> None:
    asyncio.run(asyncio.wait_for(coro, timeout_s))


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), [SYMBOL])


@pytest.fixture
def env() -> dict[str, str]:
    return {"TY_RESTART_KEY": DEFAULT_API_KEY, "TY_RESTART_SECRET": DEFAULT_API_SECRET}


def write_config(tmp_path: Path, fake: FakeBinance) -> Path:
    """One trader on the fake; its strategy never crosses (the tests send the signals), and a
    stop leaves positions and orders as they are (what a crash leaves)."""
    path = tmp_path / "run.toml"
    path.write_text(f"""
[shutdown]
cancel_open_orders = false
positions = "keep"
timeout_s = 5

[[venues]]
name = "binance"
kind = "binanceusdm"
environment = "local"
rest_url = "{fake.rest_url}"
ws_url = "{fake.ws_url}"
api_key_env = "TY_RESTART_KEY"
api_secret_env = "TY_RESTART_SECRET"
symbols = ["{SYMBOL}"]
interval = "1m"
warmup_bars = 30
rate_limit = false
reconnect_delay_s = 0.05

[[strategies]]
id = "fastx"
strategy = "sma_cross"
venue = "binance"
params = {{ fast = 300, slow = 600 }}

[[traders]]
id = "t1"
venue = "binance"
follows = {{ fastx = 1.0 }}
sizing = {{ mode = "fixed_notional", notional = 500 }}
""")
    return path


def fake_position(fake: FakeBinance) -> float:
    acct = fake.exchange.accounts[DEFAULT_API_KEY]
    pos = fake.exchange.sim.account(acct.trader).positions.get(SYMBOL)
    return pos.qty if pos is not None else 0.0


@asynccontextmanager
async def exchange(
    bars: dict[str, BarSeries], tmp_path: Path
) -> AsyncIterator[tuple[FakeBinance, Path, float]]:
    """The fake Binance (the account outlives the nodes), a config on it, and ETHUSDT's price."""
    async with FakeBinance(FakeBinanceConfig(substeps=2, warmup_bars=100), bars) as fake:
        price = fake.exchange.feed.price(SYMBOL)
        assert price is not None
        yield fake, write_config(tmp_path, fake), price


@asynccontextmanager
async def running_node(path: Path, env: dict[str, str], fake: FakeBinance) -> AsyncIterator[Node]:
    """A node on `path`, started and subscribed on `fake`; stopped (positions kept) on exit."""
    cfg, env_ = load_run_config(path, environ=env)
    node = Node(cfg, env_)
    task = asyncio.create_task(node.run())
    try:
        await asyncio.wait_for(node.started.wait(), 10)
        await wait_until(
            lambda: (
                f"{SYMBOL.lower()}@kline_1m" in fake.hub.subscribed()
                and any(c.kind == "user" for c in fake.hub.clients)
            )
        )
        yield node
    finally:
        node.request_stop()
        report = await asyncio.wait_for(task, 10)
        assert not report.errors


def node_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The node's own warnings (the adapter's reconcile logs the exchange's position too)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(NODE_LOG) and r.levelno >= logging.WARNING
    ]


def signal(node: Node, target: float, price: float) -> None:
    trader = node.traders["t1"]
    sig = Signal("fastx", SYMBOL, ts=trader.ctx.now, target=target, reason="test",
                 ref_price=price)  # fmt: skip
    node.bus.publish(topics.signal("fastx", SYMBOL), sig)


async def fill_next_bar(fake: FakeBinance, node: Node, check: Any) -> None:
    """Market orders on the fake fill at the next bar's open: advance until `check()`."""
    await node.live["binance"].drain()
    for _ in range(5):
        if check():
            return
        await fake.advance(1)
        await asyncio.sleep(0.05)  # the user stream's frames of this bar
    await wait_until(check, 2.0)


async def go_long(node: Node, fake: FakeBinance, price: float) -> float:
    """t1 goes long (a signal, its market order filled at the next bar); returns the qty."""
    trader = node.traders["t1"]
    signal(node, 1.0, price)
    await fill_next_bar(fake, node, lambda: trader.positions.get(SYMBOL, 0.0) > 0)
    return trader.positions[SYMBOL]


def test_restarted_node_when_a_fill_came_while_down_adopts_the_position_and_counts_it_once(
    bars: dict[str, BarSeries],
    env: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=NODE_LOG)

    async def scenario() -> None:
        async with exchange(bars, tmp_path) as (fake, path, price):
            # 1. the first node goes long, then sends one more buy and stops before it fills
            async with running_node(path, env, fake) as first:
                trader = first.traders["t1"]
                opened = await go_long(first, fake, price)
                assert opened == pytest.approx(fake_position(fake))
                trader._submit(SYMBOL, "buy", "market", opened)
                await first.live["binance"].drain()
            # 2. while no node runs, that order fills on the exchange
            await fake.advance(1)
            assert fake_position(fake) == pytest.approx(2 * opened)
            with open_store("", tmp_path) as store:
                # the store has the first fill only; the order of the second is unfinished
                assert [(p.qty, p.fills) for p in store.positions("binance").values()] == [
                    (opened, 1)
                ]
            # 3. the restarted trader holds both: the seed (1st fill) + reconcile (2nd), once
            caplog.clear()
            async with running_node(path, env, fake) as second:
                trader = second.traders["t1"]
                assert trader.positions[SYMBOL] == pytest.approx(2 * opened)
                assert second.stats.fills == 1  # reconcile published the missed fill, once
                assert f"trader t1 adopts {SYMBOL} {opened:+g}" in caplog.text
                assert "recorded fill" in caplog.text
                assert not node_warnings(caplog)  # the exchange agrees with the traders
                # a reversal sells what it holds and the new short: the old code sold only the
                # short (it believed it was flat)
                signal(second, -1.0, price)
                decision = trader.decisions[-1]
                assert decision.current_qty == pytest.approx(2 * opened)
                assert decision.target_qty == pytest.approx(-opened)
                assert decision.order_qty == pytest.approx(-3 * opened)
                await fill_next_bar(fake, second, lambda: fake_position(fake) < 0)
                await wait_until(lambda: trader.positions[SYMBOL] == pytest.approx(-opened))
                assert fake_position(fake) == pytest.approx(-opened)
            # 4. a third start changes nothing: the same signal again sends no order
            async with running_node(path, env, fake) as third:
                trader = third.traders["t1"]
                assert trader.positions[SYMBOL] == pytest.approx(-opened)
                assert trader.account.entry[SYMBOL] > 0.0
                signal(third, -1.0, price)
                await third.live["binance"].drain()
                assert third.stats.orders == 0 and trader.decisions == []

    run(scenario())


@pytest.mark.parametrize(
    ("side", "fraction", "fix"),
    [
        ("BUY", 0.5, "close the difference on the exchange by hand"),  # more than owned
        ("SELL", 1.0, "trade the difference on the exchange by hand"),  # closed by hand
    ],
)
def test_restarted_node_when_the_exchange_differs_warns_and_keeps_what_the_trader_owns(
    bars: dict[str, BarSeries],
    env: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    side: str,
    fraction: float,
    fix: str,
) -> None:
    caplog.set_level(logging.INFO, logger=NODE_LOG)

    async def scenario() -> None:
        async with exchange(bars, tmp_path) as (fake, path, price):
            async with running_node(path, env, fake) as first:
                trader = first.traders["t1"]
                opened = await go_long(first, fake, price)
                step = Decimal(str(trader.instruments[SYMBOL].step_size))
            # a trade by hand on the same account while the node is down
            manual = (Decimal(str(opened * fraction)) / step).to_integral_value() * step
            fake.exchange.place(
                DEFAULT_API_KEY,
                {"symbol": SYMBOL, "side": side, "type": "MARKET", "quantity": str(manual)},
            )
            await fake.advance(1)
            held = fake_position(fake)
            assert held == pytest.approx(opened + float(manual) * (1 if side == "BUY" else -1))
            caplog.clear()
            async with running_node(path, env, fake) as second:
                trader = second.traders["t1"]
                assert trader.positions[SYMBOL] == pytest.approx(opened)  # not the manual trade
                warnings = node_warnings(caplog)
                assert len(warnings) == 1, warnings
                assert warnings[0].startswith(
                    f"binance {SYMBOL}: the exchange holds {held:+g} but the traders own "
                    f"{opened:+g} by the order store (t1 {opened:+g})"
                )
                assert fix in warnings[0]

    run(scenario())


def test_restarted_node_when_an_order_rests_takes_it_back_and_cancels_it_on_the_next_signal(
    bars: dict[str, BarSeries],
    env: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A resting limit entry left on the exchange by a stop is the trader's again after the
    restart: the next signal cancels it before sizing, instead of leaving two entries."""
    caplog.set_level(logging.INFO, logger=NODE_LOG)

    async def scenario() -> None:
        async with exchange(bars, tmp_path) as (fake, path, price):
            async with running_node(path, env, fake) as first:
                cid = first.traders["t1"]._submit(
                    SYMBOL, "buy", "limit", 0.05, price=round(price * 0.8, 2)
                )
                await first.live["binance"].drain()
            account = fake.exchange.accounts[DEFAULT_API_KEY]
            assert account.find(None, cid).status == "NEW"  # rests while no node runs
            caplog.clear()
            async with running_node(path, env, fake) as second:
                trader = second.traders["t1"]
                assert list(trader.open_orders[SYMBOL]) == [cid]
                assert trader.account.working[cid].remaining == pytest.approx(0.05)
                assert trader.account.working[cid].reserved > 0.0  # its margin counts
                assert f"trader t1 takes back its open limit buy {SYMBOL} 0.05" in caplog.text
                signal(second, 1.0, price)
                await second.live["binance"].drain()
                await wait_until(lambda: account.find(None, cid).status == "CANCELED")
                # one entry rests now, the new one, not two
                assert [c for c in trader.open_orders[SYMBOL]] == [
                    trader.decisions[-1].client_order_id
                ]
                assert cid not in trader.account.working

    run(scenario())


def test_restarted_node_when_a_stop_outlived_its_position_cancels_it(
    bars: dict[str, BarSeries],
    env: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A reduce-only stop still resting for a position closed before the stop: left alone it
    would act on the trader's next position at an old price; the restarted trader cancels it."""
    caplog.set_level(logging.INFO, logger=NODE_LOG)

    async def scenario() -> None:
        async with exchange(bars, tmp_path) as (fake, path, price):
            async with running_node(path, env, fake) as first:
                trader = first.traders["t1"]
                qty = await go_long(first, fake, price)
                stop = trader._submit(SYMBOL, "sell", "stop", qty, trigger=round(price * 0.5, 2),
                                      reduce_only=True)  # fmt: skip
                trader._submit(SYMBOL, "sell", "market", qty, reduce_only=True)
                await fill_next_bar(fake, first, lambda: trader.positions[SYMBOL] == 0.0)
            account = fake.exchange.accounts[DEFAULT_API_KEY]
            assert account.find_algo(None, stop).is_open  # outlived its position
            caplog.clear()
            async with running_node(path, env, fake) as second:
                await second.live["binance"].drain()
                await wait_until(lambda: not account.find_algo(None, stop).is_open)
                assert not second.traders["t1"].open_orders.get(SYMBOL)
            assert f"trader t1 cancels its reduce-only stop sell {SYMBOL} ({stop})" in caplog.text

    run(scenario())


def test_restarted_node_when_a_bracket_entry_filled_while_down_sends_its_exits(
    bars: dict[str, BarSeries],
    env: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The entry of a bracket signal goes out, the node stops before it fills, it fills while
    the node is down: its take-profit and stop were never sent. The restarted trader sends them
    for the position, with the levels the entry's intent recorded."""
    caplog.set_level(logging.INFO, logger=NODE_LOG)

    async def scenario() -> None:
        async with exchange(bars, tmp_path) as (fake, path, price):
            take, stop = round(price * 1.05, 2), round(price * 0.95, 2)
            async with running_node(path, env, fake) as first:
                trader = first.traders["t1"]
                sig = Signal("fastx", SYMBOL, ts=trader.ctx.now, target=1.0, reason="test",
                             ref_price=price, take_profit=take, stop_loss=stop)  # fmt: skip
                first.bus.publish(topics.signal("fastx", SYMBOL), sig)
                entry = trader.decisions[-1].client_order_id
                await first.live["binance"].drain()
            await fake.advance(1)  # the entry fills while no node runs
            held = fake_position(fake)
            assert held > 0
            with open_store("", tmp_path) as store:
                record = store.order(entry)
                assert record is not None and (record.take_profit, record.stop_loss) == (take, stop)
            caplog.clear()
            async with running_node(path, env, fake) as second:
                trader = second.traders["t1"]
                await second.live["binance"].drain()
                exits = list(trader.open_orders[SYMBOL].values())
                assert [(o.side, o.order_type, o.qty, o.reduce_only) for o in exits] == [
                    ("sell", "limit", pytest.approx(held), True),
                    ("sell", "stop", pytest.approx(held), True),
                ]
                account = fake.exchange.accounts[DEFAULT_API_KEY]
                assert account.find(None, exits[0].client_order_id).price == pytest.approx(take)
                algo = account.find_algo(None, exits[1].client_order_id)
                assert algo is not None and algo.is_open
            assert f"trader t1 protects its {SYMBOL} position with the exits its entry {entry}" in (
                caplog.text
            )

    run(scenario())


def test_running_node_when_a_trade_by_hand_moves_the_exchange_warns_and_clears_when_undone(
    bars: dict[str, BarSeries],
    env: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The position watch: while the node runs, a trade by hand on the same account makes the
    exchange differ from what the trader owns; after two checks in a row one WARNING says so,
    and when the hand trade is undone one INFO says they agree again."""
    caplog.set_level(logging.INFO, logger=NODE_LOG)

    async def scenario() -> None:
        async with exchange(bars, tmp_path) as (fake, path, price):
            text = path.read_text().replace(
                'symbols = ["ETHUSDT"]', 'symbols = ["ETHUSDT"]\nposition_check_s = 0.2'
            )
            path.write_text(text)
            async with running_node(path, env, fake) as node:
                opened = await go_long(node, fake, price)
                watch = node._watches[0]
                await asyncio.sleep(0.5)
                assert watch.reported == set()  # the trader's own fill: no difference
                qty = (Decimal(str(opened)) / 2).quantize(Decimal("0.001"))
                for side in ("BUY", "SELL"):  # by hand, then undone by hand
                    fake.exchange.place(
                        DEFAULT_API_KEY,
                        {"symbol": SYMBOL, "side": side, "type": "MARKET", "quantity": str(qty)},
                    )
                    await fake.advance(1)
                    want = {SYMBOL} if side == "BUY" else set()
                    await wait_until(lambda want=want: watch.reported == want, 5.0)
                    if side == "BUY":
                        assert node.traders["t1"].positions[SYMBOL] == pytest.approx(opened)
        warnings = node_warnings(caplog)
        assert len(warnings) == 1, warnings
        assert warnings[0].startswith(f"binance {SYMBOL}: the exchange holds +")
        assert f"binance {SYMBOL}: the exchange's position and the traders' agree again" in (
            caplog.text
        )

    run(scenario())
