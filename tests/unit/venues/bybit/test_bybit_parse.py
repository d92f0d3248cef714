"""parse.py and schemas.py on recorded payloads: the kline frame from Bybit's docs, and ccxt
unified dicts captured from ccxt pro bybit talking to the fake (trimmed to the keys parse reads,
plus `info`)."""

from __future__ import annotations

import pytest

from tradeyard.events import Bar, SubmitOrder
from tradeyard.venues.bybit.parse import (
    accepted_update,
    balance_updates,
    bar_from_kline,
    bar_from_ohlcv,
    fill_from_trade,
    interval_ms,
    order_update_from_order,
    position_from_ccxt,
    trade_client_order_id,
    trader_from_client_order_id,
)
from tradeyard.venues.bybit.schemas import decode_klines

WS_KLINE = {  # docs v5 websocket/public/kline
    "topic": "kline.5.BTCUSDT",
    "data": [
        {"start": 1672324800000, "end": 1672325099999, "interval": "5", "open": "16649.5",
         "close": "16677", "high": "16677", "low": "16608", "volume": "2.081",
         "turnover": "34666.4005", "confirm": False, "timestamp": 1672324988882},
    ],
    "ts": 1672324988882,
    "type": "snapshot",
}  # fmt: skip
WS_TICKER = {"topic": "tickers.BTCUSDT", "type": "snapshot", "data": {"symbol": "BTCUSDT"}}
ORDER_CLOSED = {  # watch_orders, from the `order` push after the fill
    "id": "f2940f4c-d375-49ac-8ac4-4f3d5de8baa0", "clientOrderId": "trend-1-1",
    "timestamp": 1746409020000, "lastUpdateTimestamp": 1746409020000,
    "symbol": "ETH/USDT:USDT", "type": "market", "side": "buy", "price": 1791.43,
    "triggerPrice": None, "amount": 0.05, "filled": 0.05, "average": 1791.43,
    "status": "closed", "reduceOnly": False,
}  # fmt: skip
ORDER_OPEN = {**ORDER_CLOSED, "status": "open", "filled": 0.0, "average": None, "price": None}
TRADE = {  # watch_my_trades, from the `execution` push
    "info": {"symbol": "ETHUSDT", "orderLinkId": "trend-1-1", "execType": "Trade",
             "execPnl": "0", "execFee": "0.04926433", "isMaker": False},
    "timestamp": 1746409020000, "symbol": "ETH/USDT:USDT",
    "id": "ca7c1ae9-8e65-471a-8aa9-83032291861c",
    "order": "f2940f4c-d375-49ac-8ac4-4f3d5de8baa0", "type": "market", "takerOrMaker": "taker",
    "side": "buy", "price": 1791.43, "amount": 0.05, "cost": 89.5715,
    "fee": {"currency": "USDT", "cost": 0.04926433, "rate": 0.00055},
}  # fmt: skip


def test_bybit_decode_klines_when_docs_frame_gives_bar_with_bybit_times() -> None:
    (kline,) = decode_klines(WS_KLINE)
    assert not kline.closed
    assert bar_from_kline(kline, "bybit") == Bar(
        "bybit", "BTCUSDT", "5m", 1672324800000, 1672325099999,
        16649.5, 16677.0, 16608.0, 16677.0, 2.081, False,
    )  # fmt: skip


def test_bybit_decode_klines_when_confirm_true_marks_bar_closed() -> None:
    entry = {**WS_KLINE["data"][0], "confirm": True}  # type: ignore[index]
    (kline,) = decode_klines({**WS_KLINE, "data": [entry]})
    assert kline.closed and kline.interval == "5m"


def test_bybit_decode_klines_when_not_a_kline_returns_empty() -> None:
    assert decode_klines(WS_TICKER) == []
    assert decode_klines({"topic": "kline.1.BTCUSDT", "data": [{"start": "bad"}]}) == []
    assert decode_klines({"op": "pong"}) == []
    assert decode_klines("kline") == []


def test_bybit_bar_from_ohlcv_when_ccxt_row_sets_close_time_one_ms_before_next_open() -> None:
    bar = bar_from_ohlcv([1746409080000, 1.0, 2.0, 0.5, 1.5, None], "bybit", "BTCUSDT", "1m")
    assert (bar.open_time, bar.close_time, bar.volume, bar.closed) == (
        1746409080000, 1746409139999, 0.0, True,
    )  # fmt: skip


@pytest.mark.parametrize(("interval", "ms"), [("1m", 60_000), ("15m", 900_000), ("4h", 14_400_000)])
def test_bybit_interval_ms_when_supported_interval_converts(interval: str, ms: int) -> None:
    assert interval_ms(interval) == ms


def test_bybit_interval_ms_when_unknown_raises_naming_it() -> None:
    with pytest.raises(ValueError, match="'1M'"):
        interval_ms("1M")


@pytest.mark.parametrize(
    ("coid", "trader"),
    [("trend-1-42", "trend-1"), ("ema-7", "ema"), ("a1b2c3d4e5f6", None), ("", None),
     ("42", None)],
)  # fmt: skip
def test_bybit_trader_from_client_order_id_when_prefix_seq_splits_at_last_dash(
    coid: str, trader: str | None
) -> None:
    assert trader_from_client_order_id(coid) == trader


def test_bybit_order_update_when_open_unfilled_is_new_and_closed_is_filled() -> None:
    new = order_update_from_order(ORDER_OPEN, "bybit", "ETHUSDT", "trend-1")
    assert (new.status, new.client_order_id, new.venue_order_id) == (
        "new", "trend-1-1", "f2940f4c-d375-49ac-8ac4-4f3d5de8baa0",
    )  # fmt: skip
    assert (new.order_type, new.side, new.qty, new.price) == ("market", "buy", 0.05, None)
    filled = order_update_from_order(ORDER_CLOSED, "bybit", "ETHUSDT", "trend-1")
    assert (filled.status, filled.filled_qty, filled.avg_price) == ("filled", 0.05, 1791.43)
    partial = order_update_from_order({**ORDER_OPEN, "filled": 0.01}, "bybit", "ETHUSDT", "t")
    assert partial.status == "partially_filled"


def test_bybit_accepted_update_when_ack_has_only_ids_takes_the_rest_from_the_command() -> None:
    cmd = SubmitOrder("trend-1", "bybit", "ETHUSDT", 0, "trend-1-3", "sell", "limit", 0.1,
                      price=1500.0, reduce_only=True)  # fmt: skip
    update = accepted_update(cmd, "bybit", "oid-1", now_ms=7)
    assert (update.status, update.qty, update.price, update.reduce_only) == (
        "new", 0.1, 1500.0, True,
    )  # fmt: skip
    assert (update.venue_order_id, update.ts, update.side) == ("oid-1", 7, "sell")


def test_bybit_fill_from_trade_when_execution_push_keeps_fee_id_and_link_id() -> None:
    assert trade_client_order_id(TRADE) == "trend-1-1"
    fill = fill_from_trade(TRADE, "bybit", "ETHUSDT", "trend-1", "trend-1-1")
    assert (fill.qty, fill.price, fill.fee, fill.liquidity, fill.fill_id) == (
        0.05, 1791.43, 0.04926433, "taker", "ca7c1ae9-8e65-471a-8aa9-83032291861c",
    )  # fmt: skip
    assert fill.ts == 1746409020000 and fill.side == "buy" and fill.realized_pnl == 0.0


def test_bybit_position_from_ccxt_when_short_has_negative_qty() -> None:
    pos = {"symbol": "ETH/USDT:USDT", "contracts": 0.05, "side": "short", "entryPrice": 1791.43,
           "leverage": 10, "unrealizedPnl": 0.0765, "liquidationPrice": None,
           "timestamp": 1746409140000}  # fmt: skip
    update = position_from_ccxt(pos, "bybit", "ETHUSDT", "trend-1")
    assert (update.qty, update.entry_price, update.leverage) == (-0.05, 1791.43, 10.0)


def test_bybit_balance_updates_when_usdt_present_gives_total_and_free() -> None:
    balance = {"USDT": {"free": 9995.5, "used": 4.48, "total": 10000.03}, "timestamp": None}
    (update,) = balance_updates(balance, "bybit", "trend-1", ts=5)
    assert (update.asset, update.wallet_balance, update.available_balance, update.ts) == (
        "USDT", 10000.03, 9995.5, 5,
    )  # fmt: skip
