"""Market data of the fake: REST history up to replay time, and what each replay step streams.

REST klines serve every closed bar before the replay time plus the forming bar (Binance always
includes the current, unfinished candle), so a bot warms up and backfills exactly as live.
Intervals coarser than the data's are aggregated on the fly (UTC-aligned buckets) with the
project's `resample`, the same rules the backtester uses.

Each replay step streams, for the subscribed names only: `<s>@kline_<i>` (forming with `x`
false, closing with `x` true), `<s>@markPrice[@1s]` and `!markPrice@arr` (mark = latest price),
`<s>@aggTrade` (one synthetic trade per step: the price moved to, the volume added) and
`<s>@bookTicker` (bid = latest price, ask one tick above). Funding rates come from the funding
files: `lastFundingRate` is the rate of the next settlement in the data (0 when there is none),
`nextFundingTime` its time, or the next 8-hour boundary without data.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tradeyard.errors import DataError
from tradeyard.events import Bar
from tradeyard.marketdata import BarSeries, interval_ms
from tradeyard.marketdata.aggregate import resample
from tradeyard.venues.fakes.binance import payloads
from tradeyard.venues.fakes.binance.errors import BinanceError
from tradeyard.venues.fakes.binance.instruments import SymbolInfo
from tradeyard.venues.fakes.binance.probe import LatencyProbe
from tradeyard.venues.fakes.common.replay import Replay

__all__ = ["FundingBook", "MarketFeed"]

EIGHT_HOURS = 8 * 3_600_000
Publish = Callable[[str, Any], None]


class FundingBook:
    """Funding settlements per symbol (time-sorted), read by time."""

    def __init__(self, funding: Mapping[str, Sequence[tuple[int, float]]] | None) -> None:
        self._times: dict[str, list[int]] = {}
        self._rates: dict[str, list[float]] = {}
        for sym, rows in (funding or {}).items():
            ordered = sorted(rows)
            self._times[sym] = [int(t) for t, _ in ordered]
            self._rates[sym] = [float(r) for _, r in ordered]

    def upcoming(self, symbol: str, now: int) -> tuple[int, float]:
        """(time, rate) of the next settlement after `now`."""
        times = self._times.get(symbol, [])
        i = bisect.bisect_right(times, now)
        if i < len(times):
            return times[i], self._rates[symbol][i]
        return now - now % EIGHT_HOURS + EIGHT_HOURS, 0.0

    def history(
        self, symbol: str, start: int | None, end: int, limit: int
    ) -> list[tuple[int, float]]:
        """Settlements in [start, end], at most `limit`, oldest first (latest ones without start)."""
        times = self._times.get(symbol, [])
        hi = bisect.bisect_right(times, end)
        lo = 0 if start is None else bisect.bisect_left(times, start)
        rows = list(zip(times[lo:hi], self._rates.get(symbol, [])[lo:hi], strict=True))
        return rows[:limit] if start is not None else rows[-limit:]


class MarketFeed:
    """REST market data and per-step streams over one replay."""

    def __init__(
        self, replay: Replay, symbols: Mapping[str, SymbolInfo], funding: FundingBook
    ) -> None:
        self.replay = replay
        self.symbols = symbols
        self.funding = funding
        self._last_volume: dict[str, float] = {}
        self._agg_id = 0
        self.probe: LatencyProbe | None = None
        """When set, stamps each closing kline of the replay's interval as it is sent."""

    def info(self, symbol: str) -> SymbolInfo:
        info = self.symbols.get(symbol)
        if info is None:
            raise BinanceError(-1121)
        return info

    def price(self, symbol: str) -> float | None:
        return self.replay.last_price(symbol)

    # -- REST --------------------------------------------------------------------------------
    def klines(
        self, symbol: str, interval: str, start: int | None, end: int | None, limit: int
    ) -> list[Bar]:
        """GET /fapi/v1/klines rows up to now (the forming candle last), Binance's paging."""
        self.info(symbol)
        try:
            tgt = interval_ms(interval)
        except DataError:
            raise BinanceError(-1120) from None
        base = self.replay.interval_ms
        if tgt % base:
            raise BinanceError(-1120)
        if not 1 <= limit <= 1500:
            raise BinanceError(-1130, "limit")
        if start is not None:
            from_ms = start - start % tgt
        else:
            anchor = self.replay.current_open if end is None else min(end, self.replay.now_ms)
            from_ms = anchor - anchor % tgt - limit * tgt
        series = self.replay.series_until_now(symbol, max(0, from_ms))
        if tgt != base and len(series):
            series = resample(series, interval, complete_only=False)
        rows = self._bars(series, interval, tgt)
        if start is not None:
            rows = [b for b in rows if b.open_time >= start]
        if end is not None:
            rows = [b for b in rows if b.open_time <= end]
        return rows[:limit] if start is not None else rows[-limit:]

    def _bars(self, s: BarSeries, interval: str, tgt: int) -> list[Bar]:
        venue, now_open = self.replay.venue, self.replay.current_open
        ot = s.open_time.tolist()
        return [
            Bar(venue, s.symbol, interval, t, t + tgt - 1, o, h, lo, c, v, t + tgt <= now_open)
            for t, o, h, lo, c, v in zip(
                ot, s.open.tolist(), s.high.tolist(), s.low.tolist(), s.close.tolist(),
                s.volume.tolist(), strict=True,
            )
        ]  # fmt: skip

    def day_bars(self, symbol: str) -> list[Bar]:
        """The last 24 h of bars up to now (for ticker/24hr)."""
        now = self.replay.now_ms
        series = self.replay.series_until_now(symbol, now - 86_400_000)
        return self._bars(series, self.replay.interval, self.replay.interval_ms)

    def premium_index(self, symbol: str) -> dict[str, Any] | None:
        price = self.price(symbol)
        if price is None:
            return None
        now = self.replay.now_ms
        t, rate = self.funding.upcoming(symbol, now)
        return payloads.premium_index(symbol, price, rate, t, now)

    def mark_at(self, symbol: str, t: int) -> float | None:
        """The close of the bar containing `t` (for fundingRate's markPrice)."""
        s = self.replay.history(symbol)
        i = int(np.searchsorted(s.open_time, t, "right")) - 1
        return float(s.close[i]) if 0 <= i < len(s) else None

    # -- streams -----------------------------------------------------------------------------
    def publish_step(self, bars: list[Bar], subscribed: set[str], publish: Publish) -> None:
        """Stream one replay step's bars to the subscribed names."""
        if not subscribed:
            return
        now = self.replay.now_ms
        marks = []
        for bar in bars:
            info = self.symbols[bar.symbol]
            low = bar.symbol.lower()
            prefix = f"{low}@kline_"
            for name in subscribed:
                if name.startswith(prefix):
                    kline = self._kline(bar, name[len(prefix) :])
                    if kline is not None:
                        publish(name, payloads.kline_event(kline, info, now))
                        if self.probe is not None and kline is bar and bar.closed:
                            self.probe.kline_closed(bar.symbol, bar.open_time)
            t, rate = self.funding.upcoming(bar.symbol, now)
            mark = payloads.mark_price_event(bar.symbol, bar.close, rate, t, now)
            marks.append(mark)
            for name in (f"{low}@markPrice", f"{low}@markPrice@1s"):
                if name in subscribed:
                    publish(name, mark)
            self._trade_and_book(bar, info, now, subscribed, publish)
        if "!markPrice@arr" in subscribed and marks:
            publish("!markPrice@arr", marks)
        if "!markPrice@arr@1s" in subscribed and marks:
            publish("!markPrice@arr@1s", marks)

    def _kline(self, bar: Bar, interval: str) -> Bar | None:
        if interval == bar.interval:
            return bar
        try:
            tgt = interval_ms(interval)
        except DataError:
            return None
        if tgt % self.replay.interval_ms:
            return None
        return self.replay.aggregate(bar, interval)

    def _trade_and_book(
        self, bar: Bar, info: SymbolInfo, now: int, subscribed: set[str], publish: Publish
    ) -> None:
        low = bar.symbol.lower()
        prev = self._last_volume.get(bar.symbol, 0.0)
        self._last_volume[bar.symbol] = 0.0 if bar.closed else bar.volume
        name = f"{low}@aggTrade"
        if name in subscribed:
            self._agg_id += 1
            qty = max(bar.volume - prev, 0.0)
            publish(name, {
                "e": "aggTrade", "E": now, "s": bar.symbol, "a": self._agg_id,
                "p": payloads.fmt(bar.close, info.price_dp), "q": payloads.fmt(qty, info.qty_dp),
                "f": -1, "l": -1, "T": now, "m": bar.close < bar.open,
            })  # fmt: skip
        name = f"{low}@bookTicker"
        if name in subscribed:
            self._agg_id += 1
            publish(name, {
                "e": "bookTicker", "u": self._agg_id, "E": now, "T": now, "s": bar.symbol,
                "b": payloads.fmt(bar.close, info.price_dp), "B": "1",
                "a": payloads.fmt(bar.close + info.spec.tick_size, info.price_dp), "A": "1",
            })  # fmt: skip
