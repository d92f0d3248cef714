"""Market data of the fake Bybit: REST history up to replay time, and what each step streams.

History and aggregation are the Binance fake's `MarketFeed` (one replay, the same bars, the
same in-progress candle path), so both fakes agree on every candle; this module only puts
Bybit's conventions on top: interval codes (`1`, `60`, `D`), kline rows **newest first** with
the forming candle at the head, `limit` ≤ 1000 (default 200), funding history newest first.

Each replay step streams, for subscribed topics only, `kline.{interval}.{symbol}` (the forming
candle with `confirm: false`, the closing update with `confirm: true`; coarser intervals are
aggregated from the base bars) and `tickers.{symbol}` (always a full snapshot, which Bybit
clients accept as well as deltas).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tradeyard.events import Bar
from tradeyard.marketdata import interval_ms
from tradeyard.venues.fakes.binance.errors import BinanceError
from tradeyard.venues.fakes.binance.instruments import SymbolInfo
from tradeyard.venues.fakes.binance.market import FundingBook, MarketFeed
from tradeyard.venues.fakes.binance.probe import LatencyProbe
from tradeyard.venues.fakes.bybit import payloads
from tradeyard.venues.fakes.bybit.errors import BybitError
from tradeyard.venues.fakes.common.replay import Replay

__all__ = ["INTERVALS", "BybitMarket"]

INTERVALS = {"1": "1m", "3": "3m", "5": "5m", "15": "15m", "30": "30m", "60": "1h",
             "120": "2h", "240": "4h", "360": "6h", "720": "12h", "D": "1d"}  # fmt: skip
"""Bybit interval code -> tradeyard interval (W and M are not served: no such bars)."""
Publish = Callable[[str, Any], None]


class BybitMarket:
    """REST market data and per-step topic pushes over one replay."""

    def __init__(
        self,
        replay: Replay,
        symbols: Mapping[str, SymbolInfo],
        funding: Mapping[str, Sequence[tuple[int, float]]] | None,
    ) -> None:
        self.replay = replay
        self.symbols = symbols
        self.funding = FundingBook(funding)
        self.feed = MarketFeed(replay, symbols, self.funding)
        self._last_volume: dict[str, float] = {}  # per symbol: the forming bar's volume so far
        self._trade_id = 0
        base = replay.interval
        self.base_code = next((k for k, v in INTERVALS.items() if v == base), base)
        self.probe: LatencyProbe | None = None
        """When set, stamps each closing kline of the replay's interval as it is sent."""

    def info(self, symbol: str | None) -> SymbolInfo:
        info = self.symbols.get(symbol or "")
        if info is None:
            raise BybitError(10001, msg=f"params error: symbol invalid {symbol!r}")
        return info

    def price(self, symbol: str) -> float | None:
        return self.replay.last_price(symbol)

    # -- REST --------------------------------------------------------------------------------
    def klines(
        self, symbol: str, code: str, start: int | None, end: int | None, limit: int
    ) -> list[list[str]]:
        """`/v5/market/kline` rows, newest first, the forming candle included."""
        info = self.info(symbol)
        interval = INTERVALS.get(code)
        if interval is None:
            raise BybitError(10001, msg=f"params error: interval invalid {code!r}")
        if not 1 <= limit <= 1000:
            raise BybitError(10001, msg="params error: limit invalid")
        if start is not None:  # Bybit includes the candle containing `start`
            start -= start % interval_ms(interval)
        try:
            bars = self.feed.klines(symbol, interval, start, end, limit)
        except BinanceError as e:
            raise BybitError(10001, msg=f"params error: {e.msg}") from None
        return [payloads.kline_row(b, info) for b in reversed(bars)]

    def ticker(self, symbol: str) -> dict[str, Any] | None:
        price = self.price(symbol)
        if price is None:
            return None
        info = self.symbols[symbol]
        upcoming = self.funding.upcoming(symbol, self.replay.now_ms)
        return payloads.ticker(info, price, self.feed.day_bars(symbol), upcoming)

    def funding_history(
        self, symbol: str, start: int | None, end: int | None, limit: int
    ) -> list[dict[str, str]]:
        """`/v5/market/funding/history` rows, newest first, never after replay time."""
        self.info(symbol)
        if not 1 <= limit <= 200:
            raise BybitError(10001, msg="params error: limit invalid")
        now = self.replay.now_ms
        until = now if end is None else min(end, now)
        rows = self.funding.history(symbol, start, until, 10**9 if start else limit)
        rows = rows[-limit:]
        return [
            {"symbol": symbol, "fundingRate": payloads.num(rate, 8),
             "fundingRateTimestamp": str(t)}
            for t, rate in reversed(rows)
        ]  # fmt: skip

    # -- streaming ---------------------------------------------------------------------------
    def publish_step(self, bars: list[Bar], subscribed: set[str], publish: Publish) -> None:
        ts = self.replay.now_ms
        for bar in bars:
            info = self.symbols.get(bar.symbol)
            if info is None:
                continue
            for code, interval in INTERVALS.items():
                topic = f"kline.{code}.{bar.symbol}"
                if topic not in subscribed:
                    continue
                candle = bar if code == self.base_code else self._aggregate(bar, interval)
                if candle is not None:
                    data = [payloads.kline_ws(candle, info, code, ts)]
                    publish(topic, {"topic": topic, "data": data, "ts": ts, "type": "snapshot"})
                    if self.probe is not None and candle is bar and bar.closed:
                        self.probe.kline_closed(bar.symbol, bar.open_time)
            topic = f"tickers.{bar.symbol}"
            if topic in subscribed:
                data = self.ticker(bar.symbol)
                publish(topic, {"topic": topic, "type": "snapshot", "data": data, "cs": ts,
                                "ts": ts})  # fmt: skip
            topic = f"publicTrade.{bar.symbol}"
            if topic in subscribed:
                # one synthetic print per step: the price moved to, the volume added
                prev = self._last_volume.get(bar.symbol, 0.0)
                self._last_volume[bar.symbol] = 0.0 if bar.closed else bar.volume
                self._trade_id += 1
                trade = {
                    "T": ts, "s": bar.symbol, "S": "Sell" if bar.close < bar.open else "Buy",
                    "v": f"{max(bar.volume - prev, 0.0):.{info.qty_dp}f}",
                    "p": f"{bar.close:.{info.price_dp}f}", "L": "ZeroPlusTick",
                    "i": f"fake-{self._trade_id}", "BT": False,
                }  # fmt: skip
                publish(topic, {"topic": topic, "type": "snapshot", "ts": ts, "data": [trade]})

    def _aggregate(self, bar: Bar, interval: str) -> Bar | None:
        if interval_ms(interval) % self.replay.interval_ms:
            return None
        return self.replay.aggregate(bar, interval)
