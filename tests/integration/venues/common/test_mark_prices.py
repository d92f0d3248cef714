"""Mark prices from each real local fake to the bus (`mark_price = true`), over sockets with ccxt
unmocked: MarkPrices per symbol on `md.<venue>.<symbol>.mark`, once per update and in time order,
at prices the fake replayed (its mark is the latest price of the bars it walks through)."""

from __future__ import annotations

from typing import Any

import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import Bar, MarkPrice, Trade, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.testkit import run, wait_until
from tradeyard.testkit.venues import local_fake, local_venue
from tradeyard.venues.common.mark_prices import mark_price_from_ticker

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
WARMUP = 600
MARK_TOPIC = {  # the fake's name for each venue's mark price stream
    "binanceusdm": lambda s: f"{s.lower()}@markPrice@1s",
    "bybit": lambda s: f"tickers.{s}",
}


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), SYMBOLS)


@pytest.mark.parametrize("kind", ["binanceusdm", "bybit"])
def test_venue_when_mark_price_asked_publishes_the_fakes_marks_per_symbol(
    kind: Any, bars: dict[str, BarSeries]
) -> None:
    async def scenario() -> None:
        async with local_fake(kind, bars, warmup_bars=WARMUP) as fake:
            bus = InProcessBus()
            marks: list[tuple[str, MarkPrice]] = []
            bus.subscribe("md.*.*.mark", lambda t, e: marks.append((t, e)))  # type: ignore[arg-type]
            venue = local_venue(kind, bus, fake, symbols=SYMBOLS, warmup_bars=2, mark_price=True)
            try:
                await venue.start()
                await wait_until(lambda: MARK_TOPIC[kind]("BTCUSDT") in fake.hub.subscribed())
                await wait_until(lambda: MARK_TOPIC[kind]("ETHUSDT") in fake.hub.subscribed())
                for _ in range(3):
                    await fake.advance(1)
                await wait_until(lambda: {e.symbol for _, e in marks} == set(SYMBOLS))
            finally:
                await venue.close()
        for topic, event in marks:
            assert topic == topics.mark_price(kind, event.symbol)
            # a price within the bars the fake replayed (it walks each bar in substeps)
            lows = bars[event.symbol].low[WARMUP - 1 : WARMUP + 3]
            highs = bars[event.symbol].high[WARMUP - 1 : WARMUP + 3]
            assert float(lows.min()) <= event.price <= float(highs.max())
        per_symbol = [e.ts for _, e in marks if e.symbol == "BTCUSDT"]
        assert per_symbol == sorted(set(per_symbol))  # once per update, in time order

    run(scenario())


def test_mark_price_from_ticker_when_no_mark_returns_none_and_reads_funding() -> None:
    assert mark_price_from_ticker("v", "BTCUSDT", {"timestamp": 1, "last": 5.0}) is None
    event = mark_price_from_ticker(
        "v", "BTCUSDT",
        {"timestamp": 7, "markPrice": 100.5, "indexPrice": 100.4,
         "info": {"r": "0.0001", "T": 1_700_000_000_000}},
    )  # fmt: skip
    assert event == MarkPrice("v", "BTCUSDT", 7, 100.5, 100.4, 0.0001, 1_700_000_000_000)


TRADE_TOPIC = {
    "binanceusdm": lambda s: f"{s.lower()}@aggTrade",
    "bybit": lambda s: f"publicTrade.{s}",
}
KLINE_TOPIC = {"binanceusdm": lambda s: f"{s.lower()}@kline_1m", "bybit": lambda s: f"kline.1.{s}"}


@pytest.mark.parametrize("kind", ["binanceusdm", "bybit"])
def test_venue_when_trades_and_partial_bars_asked_publishes_them(
    kind: Any, bars: dict[str, BarSeries]
) -> None:
    async def scenario() -> None:
        async with local_fake(kind, bars, warmup_bars=WARMUP) as fake:
            bus = InProcessBus()
            trades: list[Trade] = []
            partial: list[Bar] = []
            closed: list[Bar] = []
            bus.subscribe("md.*.*.trade", lambda t, e: trades.append(e))  # type: ignore[arg-type]
            bus.subscribe("md.*.*.bar_1m", lambda t, e: (closed if e.closed else partial).append(e))  # type: ignore[union-attr]
            venue = local_venue(kind, bus, fake, symbols=SYMBOLS, warmup_bars=2, trades=True,
                                partial_bars=True)  # fmt: skip
            try:
                await venue.start()
                for s in SYMBOLS:
                    await wait_until(lambda s=s: TRADE_TOPIC[kind](s) in fake.hub.subscribed())
                    await wait_until(lambda s=s: KLINE_TOPIC[kind](s) in fake.hub.subscribed())
                for _ in range(3):
                    await fake.advance(1)
                await wait_until(lambda: {t.symbol for t in trades} == set(SYMBOLS))
                await wait_until(lambda: len(closed) >= 2 * 2 + 3 * 2)  # warm-up + replayed
            finally:
                await venue.close()
        for t in trades:
            lows = bars[t.symbol].low[WARMUP - 1 : WARMUP + 3]
            highs = bars[t.symbol].high[WARMUP - 1 : WARMUP + 3]
            assert float(lows.min()) <= t.price <= float(highs.max()) and t.qty >= 0.0
        ids = [(t.symbol, t.trade_id) for t in trades]
        assert len(ids) == len(set(ids))  # each print once
        assert partial and all(not b.closed for b in partial)
        for (
            b
        ) in partial:  # in-progress bars of bars not closed before: never behind the closed ones
            assert b.open_time > min(x.open_time for x in closed if x.symbol == b.symbol)

    run(scenario())
