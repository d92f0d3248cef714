"""The shared parse functions on ccxt unified dicts captured from ccxt talking to each fake
(binanceusdm and pro bybit; trimmed to the keys parse reads, plus `info`), run through each
venue's `parse` module."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tradeyard.venues.binance import parse as binance_parse
from tradeyard.venues.bybit import parse as bybit_parse

BINANCE_ORDER_OPEN = {  # create_order answer (market, not yet filled)
    "id": "8000000001", "clientOrderId": "trend-1-1", "timestamp": 1746409080000,
    "lastUpdateTimestamp": 1746409080000, "symbol": "ETH/USDT:USDT", "type": "market",
    "side": "buy", "price": None, "triggerPrice": None, "amount": 0.05, "filled": 0.0,
    "average": None, "status": "open", "reduceOnly": False,
}  # fmt: skip
BINANCE_TRADE = {  # watch_my_trades, from the ORDER_TRADE_UPDATE the fake sent on the fill
    "info": {"s": "ETHUSDT", "c": "trend-1-1", "X": "FILLED", "rp": "0.50000000", "n": "0.04481775"},
    "timestamp": 1746409080000, "symbol": "ETH/USDT:USDT", "id": "500000001",
    "order": "8000000001", "type": "market", "takerOrMaker": "taker", "side": "buy",
    "price": 1792.71, "amount": 0.05, "cost": 89.6355,
    "fee": {"currency": "USDT", "cost": 0.04481775},
}  # fmt: skip
BYBIT_ORDER_OPEN = {  # watch_orders, from the `order` push (before the fill)
    "id": "f2940f4c-d375-49ac-8ac4-4f3d5de8baa0", "clientOrderId": "trend-1-1",
    "timestamp": 1746409020000, "lastUpdateTimestamp": 1746409020000,
    "symbol": "ETH/USDT:USDT", "type": "market", "side": "buy", "price": None,
    "triggerPrice": None, "amount": 0.05, "filled": 0.0, "average": None,
    "status": "open", "reduceOnly": False,
}  # fmt: skip
BYBIT_TRADE = {  # watch_my_trades, from the `execution` push
    "info": {"symbol": "ETHUSDT", "orderLinkId": "trend-1-1", "execType": "Trade",
             "execPnl": "0.5", "execFee": "0.04926433", "isMaker": False},
    "timestamp": 1746409020000, "symbol": "ETH/USDT:USDT",
    "id": "ca7c1ae9-8e65-471a-8aa9-83032291861c",
    "order": "f2940f4c-d375-49ac-8ac4-4f3d5de8baa0", "type": "market", "takerOrMaker": "taker",
    "side": "buy", "price": 1791.43, "amount": 0.05, "cost": 89.5715,
    "fee": {"currency": "USDT", "cost": 0.04926433, "rate": 0.00055},
}  # fmt: skip

VENUES = pytest.mark.parametrize(
    ("parse", "venue", "order_open", "trade"),
    [
        (binance_parse, "binanceusdm", BINANCE_ORDER_OPEN, BINANCE_TRADE),
        (bybit_parse, "bybit", BYBIT_ORDER_OPEN, BYBIT_TRADE),
    ],
    ids=["binance", "bybit"],
)
Dict = dict[str, Any]


@VENUES
def test_bar_from_ohlcv_when_ccxt_row_sets_close_time_one_ms_before_next_open(
    parse: ModuleType, venue: str, order_open: Dict, trade: Dict
) -> None:
    bar = parse.bar_from_ohlcv([1746409080000, 1.0, 2.0, 0.5, 1.5, None], venue, "BTCUSDT", "1m")
    assert (bar.venue, bar.open_time, bar.close_time, bar.volume, bar.closed) == (
        venue, 1746409080000, 1746409139999, 0.0, True,
    )  # fmt: skip


@VENUES
@pytest.mark.parametrize(("interval", "ms"), [("1m", 60_000), ("15m", 900_000), ("4h", 14_400_000)])
def test_interval_ms_when_supported_interval_converts(
    parse: ModuleType, venue: str, order_open: Dict, trade: Dict, interval: str, ms: int
) -> None:
    assert parse.interval_ms(interval) == ms


@VENUES
def test_interval_ms_when_unknown_raises_naming_it(
    parse: ModuleType, venue: str, order_open: Dict, trade: Dict
) -> None:
    with pytest.raises(ValueError, match="'1M'"):
        parse.interval_ms("1M")


@VENUES
@pytest.mark.parametrize(
    ("coid", "trader"),
    [("trend-1-42", "trend-1"), ("ema-7", "ema"), ("x-cvBPrNm9abc", None), ("a1b2c3d4e5f6", None),
     ("", None), ("42", None)],
)  # fmt: skip
def test_trader_from_client_order_id_when_prefix_seq_splits_at_last_dash(
    parse: ModuleType, venue: str, order_open: Dict, trade: Dict, coid: str, trader: str | None
) -> None:
    assert parse.trader_from_client_order_id(coid) == trader


@VENUES
def test_order_update_when_open_unfilled_is_new_and_closed_is_filled(
    parse: ModuleType, venue: str, order_open: Dict, trade: Dict
) -> None:
    new = parse.order_update_from_order(order_open, venue, "ETHUSDT", "trend-1")
    assert (new.venue, new.status, new.client_order_id, new.venue_order_id) == (
        venue, "new", "trend-1-1", order_open["id"],
    )  # fmt: skip
    assert (new.order_type, new.side, new.qty, new.price) == ("market", "buy", 0.05, None)
    filled = parse.order_update_from_order(
        {**order_open, "status": "closed", "filled": 0.05, "average": 1792.71},
        venue, "ETHUSDT", "trend-1",
    )  # fmt: skip
    assert (filled.status, filled.filled_qty, filled.avg_price) == ("filled", 0.05, 1792.71)
    partial = parse.order_update_from_order({**order_open, "filled": 0.01}, venue, "ETHUSDT", "t")
    assert partial.status == "partially_filled"


@VENUES
def test_fill_from_trade_when_private_trade_keeps_fee_id_and_realized_pnl(
    parse: ModuleType, venue: str, order_open: Dict, trade: Dict
) -> None:
    fill = parse.fill_from_trade(trade, venue, "ETHUSDT", "trend-1", "trend-1-1")
    assert (fill.qty, fill.price, fill.fee, fill.liquidity, fill.fill_id) == (
        0.05, trade["price"], trade["fee"]["cost"], "taker", trade["id"],
    )  # fmt: skip
    assert fill.ts == trade["timestamp"] and fill.side == "buy" and fill.realized_pnl == 0.5


@VENUES
def test_position_from_ccxt_when_short_has_negative_qty(
    parse: ModuleType, venue: str, order_open: Dict, trade: Dict
) -> None:
    pos = {"symbol": "ETH/USDT:USDT", "contracts": 0.05, "side": "short", "entryPrice": 1792.71,
           "leverage": None, "unrealizedPnl": 0.0765, "liquidationPrice": None,
           "timestamp": 1746409140000}  # fmt: skip
    update = parse.position_from_ccxt(pos, venue, "ETHUSDT", "trend-1")
    assert (update.qty, update.entry_price, update.leverage) == (-0.05, 1792.71, 1.0)
    levered = parse.position_from_ccxt({**pos, "leverage": 10}, venue, "ETHUSDT", "trend-1")
    assert levered.leverage == 10.0


@VENUES
def test_balance_updates_when_usdt_present_gives_total_and_free(
    parse: ModuleType, venue: str, order_open: Dict, trade: Dict
) -> None:
    balance = {"USDT": {"free": 9995.5, "used": 4.48, "total": 10000.03}, "timestamp": None}
    (update,) = parse.balance_updates(balance, venue, "trend-1", ts=5)
    assert (update.asset, update.wallet_balance, update.available_balance, update.ts) == (
        "USDT", 10000.03, 9995.5, 5,
    )  # fmt: skip
