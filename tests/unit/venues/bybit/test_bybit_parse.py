"""schemas.py and Bybit's own parse functions on recorded payloads: the kline frame from Bybit's
docs, and a ccxt unified trade from ccxt pro bybit talking to the fake (the shared conversions
are tested for both venues in tests/unit/venues/common/test_common_parse.py)."""

from __future__ import annotations

from tradeyard.events import Bar, SubmitOrder
from tradeyard.venues.bybit.parse import (
    accepted_update,
    bar_from_kline,
    trade_client_order_id,
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


def test_bybit_accepted_update_when_ack_has_only_ids_takes_the_rest_from_the_command() -> None:
    cmd = SubmitOrder("trend-1", "bybit", "ETHUSDT", 0, "trend-1-3", "sell", "limit", 0.1,
                      price=1500.0, reduce_only=True)  # fmt: skip
    update = accepted_update(cmd, "bybit", "oid-1", now_ms=7)
    assert (update.status, update.qty, update.price, update.reduce_only) == (
        "new", 0.1, 1500.0, True,
    )  # fmt: skip
    assert (update.venue_order_id, update.ts, update.side) == ("oid-1", 7, "sell")


def test_bybit_trade_client_order_id_when_execution_push_reads_order_link_id() -> None:
    assert trade_client_order_id(TRADE) == "trend-1-1"
    assert trade_client_order_id({"clientOrderId": "ema-3"}) == "ema-3"
