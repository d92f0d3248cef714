"""Bybit v5 JSON shapes built from the fake's records: one function per object, no logic.

Numbers are strings inside `result` and topic data, as on Bybit (docs v5 pages cited in
`shared/exchange-protocols/bybit-v5.md`), formatted with the symbol's price / qty decimals so a
client that parses them as Decimal sees what the exchange would send.
"""

from __future__ import annotations

from typing import Any

from tradeyard.events import Bar
from tradeyard.venues.fakes.binance.instruments import SymbolInfo
from tradeyard.venues.fakes.bybit.orders import BybitExecution, BybitOrder

__all__ = ["execution", "instrument", "kline_row", "kline_ws", "num", "order", "ticker"]


def num(value: float, dp: int = 8) -> str:
    """A decimal string without float noise or trailing zeros ("0" for zero)."""
    text = f"{value:.{dp}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def instrument(info: SymbolInfo, max_leverage: int) -> dict[str, Any]:
    spec = info.spec
    return {
        "symbol": info.symbol, "contractType": "LinearPerpetual", "status": "Trading",
        "baseCoin": spec.base_asset, "quoteCoin": "USDT", "settleCoin": "USDT",
        "launchTime": str(info.onboard_ms), "deliveryTime": "0", "deliveryFeeRate": "",
        "priceScale": str(info.price_dp),
        "leverageFilter": {"minLeverage": "1", "maxLeverage": f"{max_leverage}.00",
                           "leverageStep": "0.01"},
        "priceFilter": {"minPrice": f"{spec.tick_size:.{info.price_dp}f}",
                        "maxPrice": f"{info.max_qty * 100:.{info.price_dp}f}",
                        "tickSize": f"{spec.tick_size:.{info.price_dp}f}"},
        "lotSizeFilter": {"maxOrderQty": f"{info.max_qty:.{info.qty_dp}f}",
                          "minOrderQty": f"{spec.min_qty:.{info.qty_dp}f}",
                          "qtyStep": f"{spec.step_size:.{info.qty_dp}f}",
                          "postOnlyMaxOrderQty": f"{info.max_qty:.{info.qty_dp}f}",
                          "maxMktOrderQty": f"{info.market_max_qty:.{info.qty_dp}f}",
                          "minNotionalValue": num(spec.min_notional)},
        "unifiedMarginTrade": True, "fundingInterval": 480, "copyTrading": "both",
        "upperFundingRate": "0.005", "lowerFundingRate": "-0.005", "isPreListing": False,
        "preListingInfo": None, "symbolType": "",
    }  # fmt: skip


def kline_row(bar: Bar, info: SymbolInfo) -> list[str]:
    """[start, open, high, low, close, volume, turnover] (REST rows)."""
    p = info.price_dp
    turnover = bar.volume * (bar.open + bar.close) / 2.0
    return [
        str(bar.open_time), f"{bar.open:.{p}f}", f"{bar.high:.{p}f}", f"{bar.low:.{p}f}",
        f"{bar.close:.{p}f}", num(bar.volume, info.qty_dp), num(turnover, 4),
    ]  # fmt: skip


def kline_ws(bar: Bar, info: SymbolInfo, interval: str, ts: int) -> dict[str, Any]:
    """One element of a `kline.{interval}.{symbol}` push (`confirm` true on the closing one)."""
    row = kline_row(bar, info)
    return {
        "start": bar.open_time, "end": bar.close_time, "interval": interval,
        "open": row[1], "close": row[4], "high": row[2], "low": row[3],
        "volume": row[5], "turnover": row[6], "confirm": bar.closed, "timestamp": ts,
    }  # fmt: skip


def ticker(
    info: SymbolInfo, price: float, day: list[Bar], funding: tuple[int, float]
) -> dict[str, Any]:
    """A linear ticker: last = mark = index = the replay's latest price; 24 h stats from bars."""
    p = info.price_dp
    first = day[0].open if day else price
    high = max((b.high for b in day), default=price)
    low = min((b.low for b in day), default=price)
    volume = sum(b.volume for b in day)
    tick = info.spec.tick_size
    return {
        "symbol": info.symbol, "lastPrice": f"{price:.{p}f}", "indexPrice": f"{price:.{p}f}",
        "markPrice": f"{price:.{p}f}", "prevPrice24h": f"{first:.{p}f}",
        "price24hPcnt": num((price / first - 1.0) if first else 0.0, 6),
        "highPrice24h": f"{high:.{p}f}", "lowPrice24h": f"{low:.{p}f}",
        "prevPrice1h": f"{first:.{p}f}", "openInterest": "0", "openInterestValue": "0",
        "turnover24h": num(volume * price, 4), "volume24h": num(volume, info.qty_dp),
        "fundingRate": num(funding[1], 8), "nextFundingTime": str(funding[0]),
        "predictedDeliveryPrice": "", "basisRate": "", "deliveryFeeRate": "",
        "deliveryTime": "0", "bid1Price": f"{price:.{p}f}", "bid1Size": "1",
        "ask1Price": f"{price + tick:.{p}f}", "ask1Size": "1", "basis": "",
        "fundingIntervalHour": "8", "fundingCap": "0.005",
    }  # fmt: skip


def order(o: BybitOrder, info: SymbolInfo) -> dict[str, Any]:
    """An order as `/v5/order/realtime` lists it and the `order` topic pushes it."""
    p, q = info.price_dp, info.qty_dp
    leaves = max(o.qty - o.cum_qty, 0.0) if o.is_open else 0.0
    return {
        "orderId": o.order_id, "orderLinkId": o.order_link_id, "blockTradeId": "",
        "symbol": o.symbol, "price": f"{o.price:.{p}f}" if o.price else "0",
        "qty": f"{o.qty:.{q}f}", "side": o.side, "isLeverage": "", "positionIdx": 0,
        "orderStatus": o.status, "cancelType": o.cancel_type, "rejectReason": o.reject_reason,
        "avgPrice": num(o.avg_price, p + 4) if o.cum_qty else "0",
        "leavesQty": f"{leaves:.{q}f}", "leavesValue": num(leaves * o.price, 4),
        "cumExecQty": f"{o.cum_qty:.{q}f}", "cumExecValue": num(o.cum_value, 8),
        "cumExecFee": num(o.cum_fee, 8), "timeInForce": o.time_in_force,
        "orderType": o.order_type, "stopOrderType": "Stop" if o.conditional else "",
        "orderIv": "",
        "triggerPrice": num(o.trigger_price, p), "takeProfit": "", "stopLoss": "",
        "tpTriggerBy": "", "slTriggerBy": "", "triggerDirection": o.trigger_direction,
        "triggerBy": "LastPrice" if o.conditional else "", "lastPriceOnCreated": "",
        "reduceOnly": o.reduce_only, "closeOnTrigger": False,
        "smpType": "None", "smpGroup": 0, "smpOrderId": "", "tpslMode": "",
        "tpLimitPrice": "", "slLimitPrice": "", "placeType": "", "category": "linear",
        "createdTime": str(o.created), "updatedTime": str(o.updated), "feeCurrency": "USDT",
    }  # fmt: skip


def execution(e: BybitExecution, info: SymbolInfo, fee_rate: float) -> dict[str, Any]:
    """A fill as `/v5/execution/list` lists it and the `execution` topic pushes it."""
    o, p, q = e.order, info.price_dp, info.qty_dp
    return {
        "category": "linear", "symbol": o.symbol, "closedSize": "0",
        "execFee": num(e.fee, 8), "execId": e.exec_id, "execPrice": f"{e.price:.{p}f}",
        "execQty": f"{e.qty:.{q}f}", "execType": "Trade", "execValue": num(e.qty * e.price, 8),
        "feeRate": num(fee_rate, 8), "tradeIv": "", "markIv": "", "blockTradeId": "",
        "markPrice": f"{e.price:.{p}f}", "indexPrice": "", "underlyingPrice": "",
        "leavesQty": f"{e.leaves_qty:.{q}f}", "orderId": o.order_id,
        "orderLinkId": o.order_link_id, "orderPrice": f"{o.price:.{p}f}" if o.price else "0",
        "orderQty": f"{o.qty:.{q}f}", "orderType": o.order_type, "stopOrderType": "UNKNOWN",
        "side": o.side, "execTime": str(e.time), "isLeverage": "0", "isMaker": e.maker,
        "execPnl": num(e.pnl, 8), "createType": "CreateByUser", "feeCurrency": "USDT",
    }  # fmt: skip
