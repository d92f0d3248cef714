"""Market-data payloads in Binance USDⓈ-M's exact JSON shape: pure functions, no I/O.

Shapes follow `shared/exchange-protocols/binance-usdm.md` §3–4 (Binance docs "Kline/Candlestick
Data", "Mark Price", "Exchange Information", "Kline/Candlestick Streams", "Mark Price Stream").
Numbers that are prices or quantities are strings formatted with the symbol's precision, ids
and times are integers, as on the venue.

The bars carry OHLCV only, so a few kline fields are derived, not recorded: quote volume `q` ≈
volume × (o + h + l + c) / 4, taker-buy volumes `V` / `Q` = half of `v` / `q`, trade count `n` =
0 and first / last trade ids `f` / `L` = -1 (Binance's "no trade" id). Index and estimated settle
prices equal the mark price (one price source).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tradeyard.events import Bar
from tradeyard.venues.fakes.binance.instruments import SymbolInfo

__all__ = [
    "exchange_info",
    "fmt",
    "funding_rate_row",
    "kline_event",
    "kline_row",
    "mark_price_event",
    "premium_index",
    "symbol_entry",
    "ticker_24hr",
    "ticker_price",
]

ORDER_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
               "TRAILING_STOP_MARKET"]  # fmt: skip
TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTX"]
INTEREST_RATE = "0.00010000"


def fmt(x: float, dp: int) -> str:
    """`x` with `dp` decimals, as Binance writes numbers (never "-0.00")."""
    s = f"{x:.{dp}f}"
    if s.startswith("-") and not s.strip("-0."):
        s = s[1:]
    return s


def _quote_dp(info: SymbolInfo) -> int:
    return min(8, info.price_dp + info.qty_dp)


def _derived(bar: Bar) -> tuple[float, float, float]:
    quote = bar.volume * (bar.open + bar.high + bar.low + bar.close) / 4.0
    return quote, bar.volume / 2.0, quote / 2.0


def kline_row(bar: Bar, info: SymbolInfo) -> list[Any]:
    """One row of GET /fapi/v1/klines."""
    p, q, qd = info.price_dp, info.qty_dp, _quote_dp(info)
    quote, taker_base, taker_quote = _derived(bar)
    return [
        bar.open_time, fmt(bar.open, p), fmt(bar.high, p), fmt(bar.low, p), fmt(bar.close, p),
        fmt(bar.volume, q), bar.close_time, fmt(quote, qd), 0, fmt(taker_base, q),
        fmt(taker_quote, qd), "0",
    ]  # fmt: skip


def kline_event(bar: Bar, info: SymbolInfo, event_time: int) -> dict[str, Any]:
    """The `<symbol>@kline_<interval>` stream payload; `x` is `bar.closed`."""
    p, q, qd = info.price_dp, info.qty_dp, _quote_dp(info)
    quote, taker_base, taker_quote = _derived(bar)
    return {
        "e": "kline",
        "E": event_time,
        "s": bar.symbol,
        "k": {
            "t": bar.open_time,
            "T": bar.close_time,
            "s": bar.symbol,
            "i": bar.interval,
            "f": -1,
            "L": -1,
            "o": fmt(bar.open, p),
            "c": fmt(bar.close, p),
            "h": fmt(bar.high, p),
            "l": fmt(bar.low, p),
            "v": fmt(bar.volume, q),
            "n": 0,
            "x": bar.closed,
            "q": fmt(quote, qd),
            "V": fmt(taker_base, q),
            "Q": fmt(taker_quote, qd),
            "B": "0",
        },
    }


def mark_price_event(
    symbol: str, price: float, rate: float, next_funding: int, event_time: int
) -> dict[str, Any]:
    """The `<symbol>@markPrice` payload (also the items of `!markPrice@arr`)."""
    p = fmt(price, 8)
    return {
        "e": "markPriceUpdate",
        "E": event_time,
        "s": symbol,
        "p": p,
        "i": p,
        "P": p,
        "r": fmt(rate, 8),
        "T": next_funding,
    }


def premium_index(
    symbol: str, price: float, rate: float, next_funding: int, now: int
) -> dict[str, Any]:
    """GET /fapi/v1/premiumIndex for one symbol."""
    p = fmt(price, 8)
    return {
        "symbol": symbol,
        "markPrice": p,
        "indexPrice": p,
        "estimatedSettlePrice": p,
        "lastFundingRate": fmt(rate, 8),
        "interestRate": INTEREST_RATE,
        "nextFundingTime": next_funding,
        "time": now,
    }


def funding_rate_row(symbol: str, time: int, rate: float, mark: float | None) -> dict[str, Any]:
    """One row of GET /fapi/v1/fundingRate."""
    return {
        "symbol": symbol,
        "fundingRate": fmt(rate, 8),
        "fundingTime": time,
        "markPrice": fmt(mark, 8) if mark is not None else "",
    }


def ticker_price(symbol: str, price: float, info: SymbolInfo, now: int) -> dict[str, Any]:
    return {"symbol": symbol, "price": fmt(price, info.price_dp), "time": now}


def ticker_24hr(bars: Sequence[Bar], info: SymbolInfo, now: int) -> dict[str, Any]:
    """GET /fapi/v1/ticker/24hr from the last day of bars (oldest first, at least one)."""
    p, q = info.price_dp, info.qty_dp
    first, last = bars[0], bars[-1]
    volume = sum(b.volume for b in bars)
    quote = sum(_derived(b)[0] for b in bars)
    change = last.close - first.open
    return {
        "symbol": info.symbol,
        "priceChange": fmt(change, p),
        "priceChangePercent": fmt(100.0 * change / first.open if first.open else 0.0, 3),
        "weightedAvgPrice": fmt(quote / volume if volume else last.close, p),
        "lastPrice": fmt(last.close, p),
        "lastQty": fmt(0.0, q),
        "openPrice": fmt(first.open, p),
        "highPrice": fmt(max(b.high for b in bars), p),
        "lowPrice": fmt(min(b.low for b in bars), p),
        "volume": fmt(volume, q),
        "quoteVolume": fmt(quote, _quote_dp(info)),
        "openTime": first.open_time,
        "closeTime": now,
        "firstId": -1,
        "lastId": -1,
        "count": 0,
    }


def symbol_entry(info: SymbolInfo) -> dict[str, Any]:
    """One `symbols[]` item of exchangeInfo, with the filters ccxt reads (see module doc)."""
    spec = info.spec
    p, q = info.price_dp, info.qty_dp
    return {
        "symbol": spec.symbol,
        "pair": spec.symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": info.onboard_ms,
        "status": "TRADING",
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": spec.base_asset,
        "quoteAsset": spec.quote_asset,
        "marginAsset": spec.quote_asset,
        "pricePrecision": p,
        "quantityPrecision": q,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": fmt(spec.tick_size, p),
             "maxPrice": "4529764", "tickSize": fmt(spec.tick_size, p)},
            {"filterType": "LOT_SIZE", "minQty": fmt(spec.min_qty, q),
             "maxQty": fmt(info.max_qty, q), "stepSize": fmt(spec.step_size, q)},
            {"filterType": "MARKET_LOT_SIZE", "minQty": fmt(spec.min_qty, q),
             "maxQty": fmt(info.market_max_qty, q), "stepSize": fmt(spec.step_size, q)},
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
            {"filterType": "MIN_NOTIONAL", "notional": fmt(spec.min_notional, 1)},
            {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500",
             "multiplierDown": "0.9500", "multiplierDecimal": 4},
        ],
        "orderTypes": ORDER_TYPES,
        "timeInForce": TIME_IN_FORCE,
    }  # fmt: skip


def exchange_info(
    symbols: Iterable[SymbolInfo], server_time: int, weight_limit: int
) -> dict[str, Any]:
    """GET /fapi/v1/exchangeInfo."""
    return {
        "timezone": "UTC",
        "serverTime": server_time,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
             "limit": weight_limit},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
        ],
        "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": 0}],
        "symbols": [symbol_entry(i) for i in symbols],
    }  # fmt: skip
