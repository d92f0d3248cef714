"""parse.py on recorded payloads: the kline frame from the docs, and ccxt unified dicts captured
from ccxt binanceusdm talking to the fake (trimmed to the keys parse reads, plus `info`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeyard.events import Bar
from tradeyard.venues.binance.parse import (
    balance_updates,
    bar_from_kline,
    bar_from_ohlcv,
    fill_from_trade,
    interval_ms,
    order_update_from_order,
    position_from_ccxt,
    trader_from_client_order_id,
)
from tradeyard.venues.binance.schemas import decode_kline

FIXTURES = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "binanceusdm"

ORDER_OPEN = {  # create_order answer (market, not yet filled)
    "id": "8000000001", "clientOrderId": "trend-1-1", "timestamp": 1746409080000,
    "lastUpdateTimestamp": 1746409080000, "symbol": "ETH/USDT:USDT", "type": "market",
    "side": "buy", "price": None, "triggerPrice": None, "amount": 0.05, "filled": 0.0,
    "average": None, "status": "open", "reduceOnly": False,
}  # fmt: skip
TRADE = {  # watch_my_trades, from the ORDER_TRADE_UPDATE the fake sent on the fill
    "info": {"s": "ETHUSDT", "c": "trend-1-1", "X": "FILLED", "rp": "0.00000000", "n": "0.04481775"},
    "timestamp": 1746409080000, "symbol": "ETH/USDT:USDT", "id": "500000001",
    "order": "8000000001", "type": "market", "takerOrMaker": "taker", "side": "buy",
    "price": 1792.71, "amount": 0.05, "cost": 89.6355,
    "fee": {"currency": "USDT", "cost": 0.04481775},
}  # fmt: skip


def test_decode_kline_when_docs_frame_gives_bar_with_binance_times() -> None:
    frame = json.loads((FIXTURES / "ws_kline.json").read_text())
    kline = decode_kline(frame)
    assert kline is not None and not kline.closed
    bar = bar_from_kline(kline, "binanceusdm")
    assert bar == Bar(
        "binanceusdm", "BTCUSDT", "1m", 1638747660000, 1638747719999,
        0.001, 0.0025, 0.0015, 0.002, 1000.0, False,
    )  # fmt: skip


def test_decode_kline_when_not_a_kline_returns_none() -> None:
    frame = json.loads((FIXTURES / "ws_mark_price_update.json").read_text())
    assert decode_kline(frame) is None
    assert decode_kline({"e": "kline", "k": {"t": "bad"}}) is None


def test_bar_from_ohlcv_when_ccxt_row_sets_close_time_one_ms_before_next_open() -> None:
    bar = bar_from_ohlcv([1746409080000, 1.0, 2.0, 0.5, 1.5, None], "binanceusdm", "BTCUSDT", "1m")
    assert (bar.open_time, bar.close_time, bar.volume, bar.closed) == (
        1746409080000, 1746409139999, 0.0, True,
    )  # fmt: skip


@pytest.mark.parametrize(("interval", "ms"), [("1m", 60_000), ("15m", 900_000), ("4h", 14_400_000)])
def test_interval_ms_when_binance_interval_converts(interval: str, ms: int) -> None:
    assert interval_ms(interval) == ms


def test_interval_ms_when_unknown_raises_naming_it() -> None:
    with pytest.raises(ValueError, match="'1M'"):
        interval_ms("1M")


@pytest.mark.parametrize(
    ("coid", "trader"),
    [("trend-1-42", "trend-1"), ("ema-7", "ema"), ("x-cvBPrNm9abc", None), ("", None),
     ("42", None)],
)  # fmt: skip
def test_trader_from_client_order_id_when_prefix_seq_splits_at_last_dash(
    coid: str, trader: str | None
) -> None:
    assert trader_from_client_order_id(coid) == trader


def test_order_update_when_open_unfilled_is_new_and_closed_is_filled() -> None:
    new = order_update_from_order(ORDER_OPEN, "binanceusdm", "ETHUSDT", "trend-1")
    assert (new.status, new.client_order_id, new.venue_order_id) == (
        "new",
        "trend-1-1",
        "8000000001",
    )
    assert (new.order_type, new.side, new.qty, new.price) == ("market", "buy", 0.05, None)
    filled = order_update_from_order(
        {**ORDER_OPEN, "status": "closed", "filled": 0.05, "average": 1792.71},
        "binanceusdm", "ETHUSDT", "trend-1",
    )  # fmt: skip
    assert (filled.status, filled.filled_qty, filled.avg_price) == ("filled", 0.05, 1792.71)
    partial = order_update_from_order({**ORDER_OPEN, "filled": 0.01}, "b", "ETHUSDT", "t")
    assert partial.status == "partially_filled"


def test_fill_from_trade_when_user_stream_trade_keeps_fee_and_id() -> None:
    fill = fill_from_trade(TRADE, "binanceusdm", "ETHUSDT", "trend-1", "trend-1-1")
    assert (fill.qty, fill.price, fill.fee, fill.liquidity, fill.fill_id) == (
        0.05, 1792.71, 0.04481775, "taker", "500000001",
    )  # fmt: skip
    assert fill.ts == 1746409080000 and fill.side == "buy"


def test_position_from_ccxt_when_short_has_negative_qty() -> None:
    pos = {"symbol": "ETH/USDT:USDT", "contracts": 0.05, "side": "short", "entryPrice": 1792.71,
           "leverage": None, "unrealizedPnl": 0.0765, "liquidationPrice": None,
           "timestamp": 1746409140000}  # fmt: skip
    update = position_from_ccxt(pos, "binanceusdm", "ETHUSDT", "trend-1")
    assert (update.qty, update.entry_price, update.leverage) == (-0.05, 1792.71, 1.0)


def test_balance_updates_when_usdt_present_gives_total_and_free() -> None:
    balance = {"USDT": {"free": 9995.5, "used": 4.48, "total": 10000.03}, "timestamp": None}
    (update,) = balance_updates(balance, "binanceusdm", "trend-1", ts=5)
    assert (update.asset, update.wallet_balance, update.available_balance, update.ts) == (
        "USDT", 10000.03, 9995.5, 5,
    )  # fmt: skip
