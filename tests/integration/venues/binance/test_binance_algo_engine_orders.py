"""A triggered stop's engine order under a client id of its own: the Binance adapter attributes its
fills and updates to our stop by the engine order id that ALGO_UPDATE names (`ai`), also when
the fill is processed before that ALGO_UPDATE, and asks the algo API when no ALGO_UPDATE comes.

The fake's `algo_engine_client_id="generated"` gives the engine order a Binance-style id of its
own, `algo_report_order="fills_first"` pushes its fill before ALGO_UPDATE TRIGGERED; the first
tests run the adapter against it over real sockets. The last ones feed the adapter's stream
hooks the parsed events in a chosen order (a hand-written client stub, no network), which is
the only way to pin that order: over the socket ccxt's trade and order watchers race.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import ccxt
import pytest
from binance_harness import SYMBOL, TRADER, VENUE, adapter, order

from tradeyard.bus import InProcessBus
from tradeyard.events import Event, Fill, OrderUpdate, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.store import open_store
from tradeyard.testkit import run, wait_until
from tradeyard.testkit.venues import local_fake
from tradeyard.venues.binance import BinanceConfig
from tradeyard.venues.binance.execution import BinanceExecution
from tradeyard.venues.fakes.binance import DEFAULT_API_KEY, FakeBinance

WARMUP = 600
CCXT_SYMBOL = "ETH/USDT:USDT"
STOP_ID = f"{TRADER}-2"
GENERATED = "x7Qm2LrT9vKc0aZpW4nHsE"
"""A Binance-style generated client id (22 letters and digits), never one of ours."""


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), [SYMBOL, "BTCUSDT"])


def _updates(seen: list[Event], coid: str = STOP_ID) -> list[OrderUpdate]:
    return [e for e in seen if isinstance(e, OrderUpdate) and e.client_order_id == coid]


def _fills(seen: list[Event], coid: str = STOP_ID) -> list[Fill]:
    return [e for e in seen if isinstance(e, Fill) and e.client_order_id == coid]


def _stop_that_triggers_soon(fake: FakeBinance, bars: dict[str, BarSeries]) -> float:
    """A sell-stop price under the current price that a coming bar trades through."""
    series = bars[SYMBOL]
    i = int(series.open_time.searchsorted(fake.exchange.replay.current_open))
    last = float(series.close[i - 1])
    target = next(float(lo) for lo in series.low[i : i + 200] if lo < last * 0.9995)
    return round(target + (last - target) * 0.5, 2)


async def _long_then_stop(fake: FakeBinance, venue: Any, bars: dict[str, BarSeries]) -> Any:
    """A filled 0.05 long, then a reduce-only stop under it that a coming bar triggers; the
    fake's algo order."""
    account = fake.exchange.accounts[DEFAULT_API_KEY]
    assert (await venue.execution.submit(order(1))).status == "new"
    await fake.advance(1)
    entry = account.find(None, f"{TRADER}-1")
    assert entry is not None and entry.status == "FILLED"
    trigger = _stop_that_triggers_soon(fake, bars)
    stop = order(2, "stop", "sell", trigger_price=trigger, reduce_only=True)
    assert (await venue.execution.submit(stop)).status == "new"
    algo = account.find_algo(None, STOP_ID)
    assert algo is not None
    for _ in range(200):
        if not algo.is_open:
            return algo
        await fake.advance(1)
    raise AssertionError(f"{STOP_ID} never triggered")


@pytest.mark.parametrize("report_order", ["trigger_first", "fills_first"])
def test_stop_when_engine_order_has_its_own_client_id_is_filled_once_under_ours(
    bars: dict[str, BarSeries], tmp_path: Path, report_order: str
) -> None:
    """The engine order's fill and `filled` reach the trader under the stop's client order id,
    once each, whether its fill comes before or after ALGO_UPDATE TRIGGERED; the store agrees."""

    async def scenario() -> None:
        store = open_store("", tmp_path)
        options = {"algo_engine_client_id": "generated", "algo_report_order": report_order}
        async with local_fake(VENUE, bars, WARMUP, **options) as fake:
            async with adapter(fake, store) as (venue, seen):
                algo = await _long_then_stop(fake, venue, bars)
                await wait_until(lambda: bool(_fills(seen)))
                await wait_until(lambda: any(u.status == "filled" for u in _updates(seen)))
                await asyncio.sleep(0.2)  # room for a duplicate (engine FILLED, algo FINISHED)
            assert algo.order.client_order_id != STOP_ID  # the fake did give it its own id
            updates = _updates(seen)
            assert [(u.status, u.order_type) for u in updates] == [
                ("new", "stop"),
                ("filled", "stop"),
            ]
            assert updates[-1].filled_qty == pytest.approx(0.05)
            fills = _fills(seen)
            assert [(f.side, f.qty) for f in fills] == [("sell", pytest.approx(0.05))]
            assert {e.client_order_id for e in seen} == {f"{TRADER}-1", STOP_ID}
            record = store.order(STOP_ID)
            assert record is not None and (record.status, record.order_type) == ("filled", "stop")
            assert len(store.fills(STOP_ID)) == 1
        store.close()

    run(scenario())


def test_held_fill_when_no_algo_update_names_it_is_claimed_over_rest(
    bars: dict[str, BarSeries],
) -> None:
    """No user stream at all: the engine order's trade (as fetched over REST, without a client
    id) is held, and after `algo_fill_hold_s` the fake's algo API (`actualOrderId`) tells which
    stop became it: the Fill is published under the stop's client order id."""

    async def scenario() -> None:
        options = {"algo_engine_client_id": "generated"}
        async with (
            local_fake(VENUE, bars, WARMUP, **options) as fake,
            adapter(fake, start=False, algo_fill_hold_s=0.1) as (venue, seen),
        ):
            execution = venue.execution
            algo = await _long_then_stop(fake, venue, bars)
            engine_id = str(algo.order.order_id)
            [trade] = await execution.fetch_order_trades(SYMBOL, engine_id)
            assert execution.trade_client_order_id(trade) == ""  # held, not dropped
            await wait_until(lambda: bool(_fills(seen)))
            assert execution.trade_client_order_id(trade) == STOP_ID  # learned
        assert [(f.side, f.qty) for f in _fills(seen)] == [("sell", pytest.approx(0.05))]

    run(scenario())


# -- the stream hooks fed parsed events in a chosen order (no network) ------------------------
class _AlgoApiStub:
    """The ccxt calls the attribution makes: GET /fapi/v1/algoOrder by `clientAlgoId`, answered
    from `algos` (OrderNotFound otherwise); the ids asked are kept in `asked`."""

    def __init__(self, algos: dict[str, dict[str, Any]] | None = None) -> None:
        self.algos = algos or {}
        self.asked: list[str] = []

    def milliseconds(self) -> int:
        return 1_700_000_000_000

    async def fetch_order(self, _id: Any, _symbol: str, params: dict[str, Any]) -> Any:
        coid = str(params.get("clientAlgoId"))
        self.asked.append(coid)
        if coid not in self.algos:
            raise ccxt.OrderNotFound(f"binanceusdm {coid}: Order does not exist.")
        return {"clientOrderId": coid, "info": self.algos[coid]}

    async def close(self) -> None:
        return None


def _execution(stub: _AlgoApiStub) -> tuple[BinanceExecution, list[Event]]:
    """The adapter with a stop of ours on SYMBOL armed (sent by this run)."""
    bus = InProcessBus()
    seen: list[Event] = []
    bus.subscribe(topics.execution(TRADER), lambda _t, e: seen.append(e))
    config = BinanceConfig(symbols=[SYMBOL], algo_fill_hold_s=0.05)
    execution = BinanceExecution(bus, stub, config)
    execution.order_params(order(2, "stop", "sell", trigger_price=1790.0, reduce_only=True))
    return execution, seen


def _engine_trade(client_id: str = GENERATED, order_id: str = "8000000005") -> dict[str, Any]:
    """A ccxt trade parsed from the engine order's ORDER_TRADE_UPDATE TRADE."""
    return {"id": "500000007", "order": order_id, "symbol": CCXT_SYMBOL, "side": "sell",
            "amount": 0.05, "price": 1789.5, "timestamp": 1_700_000_000_000,
            "takerOrMaker": "taker", "fee": {"cost": 0.0447, "currency": "USDT"},
            "info": {"c": client_id, "i": int(order_id), "x": "TRADE", "rp": "1.25"}}  # fmt: skip


def _engine_order(status: str, client_id: str = GENERATED) -> dict[str, Any]:
    """A ccxt order parsed from the engine order's ORDER_TRADE_UPDATE (its own type: MARKET)."""
    filled = 0.05 if status == "closed" else 0.0
    return {"id": "8000000005", "clientOrderId": client_id, "symbol": CCXT_SYMBOL,
            "status": status, "type": "market", "side": "sell", "amount": 0.05,
            "filled": filled, "average": 1789.5 if filled else None, "reduceOnly": True,
            "info": {"c": client_id, "i": 8000000005, "o": "MARKET", "ot": "MARKET"}}  # fmt: skip


def _algo_update(status: str, engine_id: str = "8000000005") -> dict[str, Any]:
    """A ccxt order parsed from ALGO_UPDATE of our stop."""
    aq = "0.050" if status == "FINISHED" else "0"
    info = {"aid": 3000000001, "caid": STOP_ID, "o": "STOP_MARKET", "X": status,
            "ai": engine_id, "q": "0.050", "aq": aq, "ap": "1789.50000"}  # fmt: skip
    return {"info": info, "id": "3000000001", "clientOrderId": STOP_ID, "status": "closed",
            "type": "market", "side": "sell", "amount": 0.05, "triggerPrice": 1790.0,
            "reduceOnly": True}  # fmt: skip


def test_fill_before_algo_update_is_held_then_published_once_under_ours() -> None:
    """ORDER_TRADE_UPDATE NEW / TRADE / FILLED of the engine order, then ALGO_UPDATE TRIGGERED
    and FINISHED: nothing is published until TRIGGERED names the engine order; then the Fill
    and `filled` (type stop), once; later items of that order map to the stop directly."""

    async def scenario() -> None:
        stub = _AlgoApiStub()
        execution, seen = _execution(stub)
        assert execution.stream_order(_engine_order("open")) is None
        assert execution.trade_client_order_id(_engine_trade()) == ""
        assert execution.stream_order(_engine_order("closed")) is None
        assert seen == []
        triggered = _algo_update("TRIGGERED")
        assert execution.stream_order(triggered) is triggered
        assert [(f.client_order_id, f.qty, f.fill_id) for f in _fills(seen)] == [
            (STOP_ID, pytest.approx(0.05), "500000007")
        ]
        assert [(u.status, u.order_type, u.venue_order_id) for u in _updates(seen)] == [
            ("new", "stop", "8000000005"), ("filled", "stop", "8000000005"),
        ]  # fmt: skip
        assert execution.trade_client_order_id(_engine_trade()) == STOP_ID
        rekeyed = execution.stream_order(_engine_order("closed"))
        assert rekeyed is not None and rekeyed["clientOrderId"] == STOP_ID
        execution.report_update(
            execution.order_update(_algo_update("FINISHED"), SYMBOL, TRADER)
        )  # what the order watcher does with FINISHED: no news
        await asyncio.sleep(0.1)  # past algo_fill_hold_s: the REST fallback had nothing to do
        assert len(_updates(seen)) == 2 and len(_fills(seen)) == 1
        assert stub.asked == []

    run(scenario())


def test_held_fill_of_a_foreign_order_is_dropped_after_the_algo_api_says_not_ours() -> None:
    """A fill under an unknown client id while our stop rests: held, the algo API says the stop
    has not triggered, so it is dropped (nothing published); the stop is still watched for."""

    async def scenario() -> None:
        stub = _AlgoApiStub({STOP_ID: {"algoStatus": "NEW", "actualOrderId": ""}})
        execution, seen = _execution(stub)
        foreign = _engine_trade("manual1", "8000000009")
        assert execution.trade_client_order_id(foreign) == ""
        await wait_until(lambda: stub.asked == [STOP_ID])
        await asyncio.sleep(0.05)
        assert seen == []
        assert execution.trade_client_order_id(foreign) == ""  # held again, not misattributed
        triggered = _algo_update("TRIGGERED")
        execution.stream_order(triggered)
        assert execution.trade_client_order_id(_engine_trade()) == STOP_ID
        await execution.close()

    run(scenario())


def test_unknown_fill_when_no_stop_of_ours_is_armed_is_not_held() -> None:
    """Without a resting stop or take-profit of ours on the symbol, an unknown fill is not ours:
    its own client id is returned at once (the watcher drops it) and the algo API is not asked."""

    async def scenario() -> None:
        stub = _AlgoApiStub()
        execution, seen = _execution(stub)
        canceled = {**_algo_update("CANCELED", ""), "status": "canceled"}
        execution.stream_order(canceled)
        assert execution.trade_client_order_id(_engine_trade("manual1")) == "manual1"
        assert execution.stream_order(_engine_order("closed", "manual1")) is not None
        await asyncio.sleep(0.1)
        assert stub.asked == [] and seen == []

    run(scenario())
