"""The fake's payloads against Binance's documented example payloads (tests/fixtures/binanceusdm).

Same keys and same JSON types at every level (values differ: the fixtures are examples). The
payload builders are pure functions, so no server is started here; the stream payloads come
from one real replay step of the exchange core.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tradeyard.marketdata import BarSeries
from tradeyard.venues.fakes.binance import (
    BinanceError,
    FakeBinanceConfig,
    account_payloads,
    payloads,
    user_payloads,
)
from tradeyard.venues.fakes.binance.account_payloads import AccountView, PositionView
from tradeyard.venues.fakes.binance.exchange import Exchange
from tradeyard.venues.fakes.binance.instruments import SymbolInfo, derive_symbols
from tradeyard.venues.fakes.binance.orders import BinanceOrder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "binanceusdm"


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _kind(x: Any) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int | float):
        return "number"
    return type(x).__name__


def shape_problems(
    ours: Any, ref: Any, path: str = "$", optional: frozenset[str] = frozenset(),
    extra: frozenset[str] = frozenset(),
) -> list[str]:  # fmt: skip
    """Differences in keys and JSON types between `ours` and the reference payload `ref`."""
    if isinstance(ref, dict):
        if not isinstance(ours, dict):
            return [f"{path}: expected an object, found {_kind(ours)}"]
        out = [f"{path}.{k}: missing" for k in sorted(set(ref) - set(ours) - optional)]
        out += [
            f"{path}.{k}: not in Binance's payload" for k in sorted(set(ours) - set(ref) - extra)
        ]
        for k in sorted(set(ref) & set(ours)):
            out += shape_problems(ours[k], ref[k], f"{path}.{k}", optional, extra)
        return out
    if isinstance(ref, list):
        if not isinstance(ours, list):
            return [f"{path}: expected an array, found {_kind(ours)}"]
        if ref and ours:
            if isinstance(ref[0], list | dict):
                return shape_problems(ours[0], ref[0], f"{path}[0]", optional, extra)
            if len(ref) == len(ours):  # a positional row (klines)
                return [p for i, (o, r) in enumerate(zip(ours, ref, strict=True))
                        for p in shape_problems(o, r, f"{path}[{i}]")]  # fmt: skip
        return []
    if ref is None or _kind(ours) == _kind(ref):
        return []
    return [f"{path}: expected {_kind(ref)}, found {_kind(ours)} ({ours!r})"]


@pytest.fixture(scope="module")
def info(bars: dict[str, BarSeries]) -> SymbolInfo:
    return derive_symbols(bars)["BTCUSDT"]


def _order(status: str = "NEW") -> BinanceOrder:
    return BinanceOrder(
        8_000_000_001, "x-abc", "BTCUSDT", "BUY", "LIMIT", "GTC", 0.01, 90_000.0, 0.0, False,
        1_746_463_020_000, 1_746_463_020_000, status=status,
    )  # fmt: skip


def _position(info: SymbolInfo) -> PositionView:
    return PositionView(info, 0.01, 95_000.0, 95_100.0, 1.0, 20, False, 47.5, 3.8, 0.0, 0.0,
                        95_047.5, 1_746_463_080_000)  # fmt: skip


def _account(info: SymbolInfo) -> AccountView:
    return AccountView(9_999.5, 1.0, 9_900.0, 47.5, 0.0, 3.8, 1_746_463_080_000, [_position(info)])


def test_error_body_when_built_matches_binance_envelope() -> None:
    assert BinanceError(-1021).body() == _fixture("http_error.json")


def test_exchange_info_when_built_has_documented_shape(info: SymbolInfo) -> None:
    ours = payloads.exchange_info([info], 1, 2400)
    ref = _fixture("http_get_exchange_info.json")
    by_type = {f["filterType"]: f for f in ref["symbols"][0]["filters"]}
    mine = {f["filterType"]: f for f in ours["symbols"][0]["filters"]}
    assert set(mine) == set(by_type)
    for name, flt in by_type.items():
        assert shape_problems(mine[name], flt, f"$.filters.{name}") == []
    extra = frozenset({"futuresType", "maxMoveOrderLimit"})
    assert shape_problems(ours, ref, extra=extra) == []


def test_rest_market_payloads_when_built_have_documented_shapes(
    bars: dict[str, BarSeries], funding: dict[str, list[tuple[int, float]]], info: SymbolInfo
) -> None:
    exchange = Exchange(FakeBinanceConfig(warmup_bars=100), bars, funding)
    bar = exchange.feed.klines("BTCUSDT", "1m", None, None, 1)[0]
    assert shape_problems([payloads.kline_row(bar, info)], _fixture("http_get_klines.json")) == []
    premium = exchange.feed.premium_index("BTCUSDT")
    assert shape_problems(premium, _fixture("http_get_premium_index.json")) == []


def test_order_payloads_when_built_have_documented_shapes(info: SymbolInfo) -> None:
    newer = frozenset({"priceMatch", "selfTradePreventionMode", "goodTillDate"})
    posted = user_payloads.order_json(_order(), info, with_time=False)
    assert shape_problems(posted, _fixture("http_post_order.json"), extra=newer) == []
    queried = user_payloads.order_json(_order(), info)
    trailing = frozenset({"activatePrice", "priceRate"})  # trailing-stop orders only
    ref = _fixture("http_get_order.json")
    assert (
        shape_problems(
            queried, ref, optional=trailing, extra=frozenset({"cumQty", "closePosition"})
        )
        == []
    )


def test_account_payloads_when_built_have_documented_shapes(info: SymbolInfo) -> None:
    account = account_payloads.account_v3(_account(info))
    ref = _fixture("http_get_account_v3.json")
    assert shape_problems(account, ref, extra=frozenset({"marginAvailable"})) == []
    risk = account_payloads.position_risk_v3([_position(info)])
    assert shape_problems(risk, _fixture("http_get_position_risk_v3.json")) == []


def test_user_stream_events_when_built_have_documented_shapes(info: SymbolInfo) -> None:
    trade = user_payloads.order_trade_update(
        _order("FILLED"), info, event_time=1, exec_type="TRADE", last_qty=0.01,
        last_price=90_000.0, commission=0.45, trade_id=7, realized=0.0,
    )  # fmt: skip
    trailing = frozenset({"AP", "cr"})  # trailing-stop orders only
    assert shape_problems(trade, _fixture("ws_order_trade_update.json"), optional=trailing) == []
    update = user_payloads.account_update("ORDER", 2, 1, 9_999.5, 0.0, [_position(info)])
    assert shape_problems(update, _fixture("ws_account_update.json")) == []
    expired = user_payloads.listen_key_expired("k" * 64, 3)
    assert shape_problems(expired, _fixture("ws_listen_key_expired.json")) == []


def test_stream_payloads_when_a_replay_step_runs_have_documented_shapes(
    bars: dict[str, BarSeries], funding: dict[str, list[tuple[int, float]]]
) -> None:
    exchange = Exchange(FakeBinanceConfig(warmup_bars=100, substeps=2), bars, funding)
    names = {"btcusdt@kline_1m", "btcusdt@markPrice", "btcusdt@aggTrade", "btcusdt@bookTicker"}
    got: dict[str, Any] = {}
    exchange.step(names, lambda name, payload: got.setdefault(name, payload))
    assert set(got) == names
    assert shape_problems(got["btcusdt@kline_1m"], _fixture("ws_kline.json")) == []
    assert shape_problems(got["btcusdt@markPrice"], _fixture("ws_mark_price_update.json")) == []
    assert shape_problems(got["btcusdt@aggTrade"], _fixture("ws_agg_trade.json")) == []
    assert shape_problems(got["btcusdt@bookTicker"], _fixture("ws_book_ticker.json")) == []
