"""Conditional orders (`triggerPrice` on /v5/order/create) on the Bybit fake, driven by ccxt.

Bybit keeps conditional orders on the ordinary order endpoints: `triggerPrice` +
`triggerDirection` (1: the price rises to it, 2: falls to it) make a market order wait as
`Untriggered` (stopOrderType `Stop`) until the market reaches the trigger, then it fills;
cancelled before that it is `Deactivated` (the UTA status for it, `bybit-v5.md` order status
enum). A conditional limit order is refused by the fake (10001), a documented limitation.
"""

from __future__ import annotations

from typing import Any

import pytest
from fake_bybit_client import start_bybit

from tradeyard.venues.fakes.bybit import DEFAULT_API_KEY, DEFAULT_API_SECRET, FakeBybit

ccxt = pytest.importorskip("ccxt")
ccxt_async = pytest.importorskip("ccxt.async_support")

WARMUP = 600
SYMBOL, CCXT_SYMBOL = "ETHUSDT", "ETH/USDT:USDT"


def _ccxt_for(fake: FakeBybit) -> Any:
    ex = ccxt_async.bybit(
        {
            "apiKey": DEFAULT_API_KEY,
            "secret": DEFAULT_API_SECRET,
            "enableRateLimit": False,
            "options": {
                "fetchMarkets": {"types": ["linear"]},
                "enableUnifiedAccount": True,
                "enableUnifiedMargin": False,
            },
        }
    )
    ex.has["fetchCurrencies"] = False
    fake.point_ccxt(ex)
    return ex


def _position(fake: FakeBybit) -> float:
    acct = fake.exchange.accounts[DEFAULT_API_KEY]
    pos = fake.exchange.sim.account(acct.trader).positions.get(SYMBOL)
    return pos.qty if pos is not None else 0.0


async def test_ccxt_conditional_stop_waits_untriggered_then_fills(bars, funding) -> None:
    async with start_bybit(bars, funding, warmup_bars=WARMUP, rate_limit=1000) as fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            await ex.create_order(CCXT_SYMBOL, "market", "buy", 0.05)
            await fake.advance(1)
            assert _position(fake) == pytest.approx(0.05)
            series = bars[SYMBOL]
            i = int(series.open_time.searchsorted(fake.exchange.replay.current_open))
            last = float(series.close[i - 1])
            low = next(float(x) for x in series.low[i : i + 200] if x < last * 0.9995)
            stop = round(low + (last - low) * 0.5, 2)
            placed = await ex.create_order(
                CCXT_SYMBOL, "market", "sell", 0.05, None,
                {"triggerPrice": stop, "triggerDirection": "descending", "reduceOnly": True,
                 "clientOrderId": "b1-2"},
            )  # fmt: skip
            acct = fake.exchange.accounts[DEFAULT_API_KEY]
            order = acct.orders[placed["id"]]
            waiting = (order.status, order.trigger_direction)
            listed = await ex.fetch_open_orders(CCXT_SYMBOL, params={"orderFilter": "StopOrder"})
            for _ in range(200):
                if not order.is_open:
                    break
                await fake.advance(1)
            done = await ex.fetch_order(placed["id"], CCXT_SYMBOL, {"acknowledged": True})
        finally:
            await ex.close()
    assert waiting == ("Untriggered", 2)
    assert [o["clientOrderId"] for o in listed] == ["b1-2"]
    assert listed[0]["triggerPrice"] == pytest.approx(stop) and listed[0]["status"] == "open"
    assert done["status"] == "closed" and done["filled"] == pytest.approx(0.05)
    assert done["average"] <= stop
    assert _position(fake) == 0.0


async def test_ccxt_conditional_cancelled_before_its_trigger_is_deactivated(bars, funding) -> None:
    async with start_bybit(bars, funding, warmup_bars=WARMUP, rate_limit=1000) as fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            price = fake.exchange.market.price(SYMBOL)
            placed = await ex.create_order(
                CCXT_SYMBOL, "market", "buy", 0.05, None,
                {"triggerPrice": round(price * 1.2, 2), "triggerDirection": "ascending",
                 "clientOrderId": "b1-3"},
            )  # fmt: skip
            canceled = await ex.cancel_order(placed["id"], CCXT_SYMBOL)
            order = fake.exchange.accounts[DEFAULT_API_KEY].orders[placed["id"]]
            with pytest.raises(ccxt.ExchangeError):  # a conditional limit: not on the fake
                await ex.create_order(
                    CCXT_SYMBOL,
                    "limit",
                    "buy",
                    0.05,
                    round(price * 0.9, 2),
                    {"triggerPrice": round(price * 0.95, 2), "triggerDirection": "descending"},
                )
        finally:
            await ex.close()
    assert canceled["id"] == placed["id"]
    assert order.status == "Deactivated"
