"""The whole-run comparison: the same live config, with and without market websocket drops.

The same `tradeyard run` config (live bars from the local fake, Binance or Bybit, over real
sockets; strategies on those bars; a trader on a paper venue fed by them) runs twice against a
fresh fake replaying the same bars: once uninterrupted, once with the fake cutting the market
websocket (TCP abort, as a network failure would) either

- every k bars, just before the bar closes, so its closing kline frame is lost for sure and the
  adapter must backfill it over REST when the next update arrives; or
- every N seconds, on a timer, wherever the replay happens to be.

What reaches the strategies (closed bars per symbol: open times, each exactly once, no gaps,
the same values) and the decisions (Signals; SubmitOrders: symbol, side, qty, client order id,
bar time) are recorded from the bus and must be equal between the two runs, and the drops must
really have happened (the adapter's reconnect counter > 0).

The trader trades on paper (the `paper` venue reads the live venue's bars) so that its orders
are a function of the bar sequence alone: a live trader's orders also depend on when its fills
arrive, which a drop legitimately shifts (a bar backfilled late is acted on later, so its order
fills one bar later), and that is not what this test is about.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tradeyard.events import Bar, Event, Signal, SubmitOrder
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.runtime import Node, load_run_config
from tradeyard.venues.fakes import binance as fb
from tradeyard.venues.fakes import bybit as fy

SYMBOL = "ETHUSDT"
PAIR = ("BTCUSDT", "ETHUSDT")
INTERVAL_MS = 60_000
WARMUP = 30
N_BARS = 36
"""Bars replayed after the warm-up (one more settles the run at the end)."""
DROP_EVERY_BARS = 4
DROP_EVERY_S = 0.15


async def wait_until(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not check():
            await asyncio.sleep(0.005)


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), list(PAIR))


# -- the two venues ------------------------------------------------------------------------------
@dataclass(frozen=True)
class VenueCase:
    name: str
    kind: str

    def fake(self, bars: dict[str, BarSeries]) -> Any:
        if self.kind == "bybit":
            cfg = fy.FakeBybitConfig(substeps=2, warmup_bars=100, rate_limit=1000)
            return fy.FakeBybit(cfg, bars, {})
        return fb.FakeBinance(fb.FakeBinanceConfig(substeps=2, warmup_bars=100), bars, {})

    def keys(self) -> tuple[str, str]:
        mod = fy if self.kind == "bybit" else fb
        return mod.DEFAULT_API_KEY, mod.DEFAULT_API_SECRET

    def streams(self, symbols: tuple[str, ...]) -> set[str]:
        if self.kind == "bybit":
            return {f"kline.1.{s}" for s in symbols}
        return {f"{s.lower()}@kline_1m" for s in symbols}

    def venue_lines(self, fake: Any) -> str:
        if self.kind == "bybit":
            return f'ws_url = "{fake.public_ws_url}"\nprivate_ws_url = "{fake.private_ws_url}"\n'
        return f'ws_url = "{fake.ws_url}"\n'


CASES = [VenueCase("binance", "binanceusdm"), VenueCase("bybit", "bybit")]


def write_config(tmp_path: Path, case: VenueCase, fake: Any, symbols: tuple[str, ...]) -> Path:
    listed = ", ".join(f'"{s}"' for s in symbols)
    text = f"""
[shutdown]
cancel_open_orders = true
positions = "keep"
timeout_s = 5

[[venues]]
name = "{case.name}"
kind = "{case.kind}"
environment = "local"
rest_url = "{fake.rest_url}"
{case.venue_lines(fake)}api_key_env = "TY_DROP_KEY"
api_secret_env = "TY_DROP_SECRET"
symbols = [{listed}]
interval = "1m"
warmup_bars = {WARMUP}
rate_limit = false
reconnect_delay_s = 0.02

[[venues]]
name = "paper"
kind = "paper"
data = "{case.name}"
starting_balance = 10000

[[strategies]]
id = "fastx"
strategy = "sma_cross"
venue = "{case.name}"
params = {{ fast = 2, slow = 5 }}

[[strategies]]
id = "slowx"
strategy = "sma_cross"
venue = "{case.name}"
params = {{ fast = 3, slow = 8 }}

[[traders]]
id = "t1"
venue = "paper"
follows = {{ fastx = 0.5, slowx = 0.5 }}
sizing = {{ mode = "fixed_notional", notional = 500 }}
"""
    path = tmp_path / f"{case.name}.toml"  # a fresh folder per run: the order store is beside it
    path.write_text(text)
    return path


# -- what reaches the strategies, and what they and the trader decide ---------------------------
@dataclass
class Record:
    symbols: tuple[str, ...]
    bars: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    signals: list[tuple[Any, ...]] = field(default_factory=list)
    orders: list[tuple[Any, ...]] = field(default_factory=list)

    def on_bar(self, _topic: str, event: Event) -> None:
        if isinstance(event, Bar) and event.closed and event.interval == "1m":
            row = (event.open_time, event.open, event.high, event.low, event.close, event.volume)
            self.bars.setdefault(event.symbol, []).append(row)

    def on_signal(self, _topic: str, event: Event) -> None:
        if isinstance(event, Signal):
            self.signals.append(
                (event.strategy, event.symbol, event.ts, event.target, event.ref_price)
            )

    def on_command(self, _topic: str, event: Event) -> None:
        if isinstance(event, SubmitOrder):
            self.orders.append(
                (event.symbol, event.side, event.qty, event.client_order_id, event.ts,
                 event.order_type, event.reduce_only)
            )  # fmt: skip

    def opens(self, symbol: str) -> list[int]:
        return [row[0] for row in self.bars.get(symbol, [])]

    def seen_through(self, open_time: int) -> bool:
        return all(self.opens(s)[-1:] == [open_time] for s in self.symbols)


@dataclass
class RunResult:
    record: Record
    reconnects: int
    drops: int
    last_open: int


async def drop_market_sockets(fake: Any) -> int:
    """Cut every market-data websocket of `fake` (user streams stay up)."""
    victims = [c for c in fake.hub.clients if c.kind == "market"]
    return await fake.hub.drop("abort", victims)


@asynccontextmanager
async def dropping_every(fake: Any, seconds: float) -> AsyncIterator[list[int]]:
    """Cut the market websockets every `seconds` while inside; yields [drops so far]."""
    count = [0]

    async def loop() -> None:
        while True:
            await asyncio.sleep(seconds)
            count[0] += await drop_market_sockets(fake)

    task = asyncio.create_task(loop())
    try:
        yield count
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def run_once(
    case: VenueCase,
    bars: dict[str, BarSeries],
    tmp_path: Path,
    mode: str | None,
    symbols: tuple[str, ...] = (SYMBOL,),
) -> RunResult:
    """One whole run: start the fake and the node, replay N_BARS (+1 to settle), stop."""
    folder = tmp_path / (mode or "uninterrupted")
    folder.mkdir()
    async with case.fake(bars) as fake:
        cfg, env = load_run_config(write_config(folder, case, fake, symbols))
        node = Node(cfg, env)
        record = Record(symbols)
        node.bus.subscribe("md.>", record.on_bar)
        node.bus.subscribe("sig.>", record.on_signal)
        node.bus.subscribe("cmd.>", record.on_command)
        streams = case.streams(symbols)

        def subscribed() -> bool:
            return streams <= fake.hub.subscribed()

        replay = fake.exchange.replay
        task = asyncio.create_task(node.run())
        drops = 0
        try:
            await asyncio.wait_for(node.started.wait(), 15)
            await wait_until(subscribed)
            assert record.seen_through(replay.current_open - INTERVAL_MS)  # the warm-up
            if mode == "every_n_seconds":
                async with dropping_every(fake, DROP_EVERY_S) as count:
                    for _ in range(N_BARS):
                        await fake.advance(1)
                        closed = replay.current_open - INTERVAL_MS
                        # a bar whose close frame was lost shows up with the next update
                        with contextlib.suppress(TimeoutError):
                            await wait_until(lambda c=closed: record.seen_through(c), 0.05)
                drops = count[0]
            else:
                for i in range(N_BARS):
                    if mode == "every_k_bars" and i % DROP_EVERY_BARS == DROP_EVERY_BARS - 1:
                        # cut the socket while this bar closes: its closing frame is lost
                        drops += await drop_market_sockets(fake)
                        await fake.advance(1)
                        await wait_until(subscribed)  # the adapter re-watched
                        continue
                    await fake.advance(1)
                    closed = replay.current_open - INTERVAL_MS
                    await wait_until(lambda c=closed: record.seen_through(c))
            # settle: one more bar with the stream up, then everything must be through
            await wait_until(subscribed)
            await fake.advance(1)
            last_open = replay.current_open - INTERVAL_MS
            await wait_until(lambda: record.seen_through(last_open))
            reconnects = node.live[case.name].adapter.market_data.reconnects
        finally:
            node.request_stop()
            await asyncio.wait_for(task, 15)
    return RunResult(record, reconnects, drops, last_open)


def assert_drops_happened(
    clean: RunResult, dropped: RunResult, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The drops really happened (and were seen by the adapter); the clean run had none."""
    assert clean.reconnects == 0 and clean.drops == 0
    assert dropped.drops > 0
    assert dropped.reconnects > 0
    if mode == "every_k_bars":  # every drop lost a closing frame: each was backfilled over REST
        assert dropped.drops == N_BARS // DROP_EVERY_BARS
        assert any("backfilling" in r.getMessage() for r in caplog.records)


def assert_each_bar_once_in_order(result: RunResult, bars: dict[str, BarSeries]) -> None:
    for symbol in result.record.symbols:
        opens = result.record.opens(symbol)
        assert len(opens) == WARMUP + N_BARS + 1, symbol
        assert opens[-1] == result.last_open
        steps = {b - a for a, b in itertools.pairwise(opens)}
        assert steps == {INTERVAL_MS}, f"{symbol}: gaps or duplicates: {sorted(steps)}"
        series = bars[symbol]  # and they are the replayed data, value for value
        i0 = int(series.open_time.searchsorted(opens[0]))
        want = [
            (int(series.open_time[i]), float(series.open[i]), float(series.high[i]),
             float(series.low[i]), float(series.close[i]), float(series.volume[i]))
            for i in range(i0, i0 + len(opens))
        ]  # fmt: skip
        got = [x for row in result.record.bars[symbol] for x in row]
        assert got == pytest.approx([x for row in want for x in row], rel=1e-12)


@pytest.mark.parametrize("mode", ["every_k_bars", "every_n_seconds"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_run_with_market_ws_drops_equals_the_uninterrupted_run(
    case: VenueCase, mode: str, bars, tmp_path, monkeypatch, caplog
) -> None:
    key, secret = case.keys()
    monkeypatch.setenv("TY_DROP_KEY", key)
    monkeypatch.setenv("TY_DROP_SECRET", secret)
    caplog.set_level(logging.INFO, logger="tradeyard.venues.common.market_data")

    async def both() -> tuple[RunResult, RunResult]:
        clean = await run_once(case, bars, tmp_path, None)
        caplog.clear()
        dropped = await run_once(case, bars, tmp_path, mode)
        return clean, dropped

    clean, dropped = asyncio.run(asyncio.wait_for(both(), 120))
    assert_drops_happened(clean, dropped, mode, caplog)

    # no missing or duplicated closed bars reached the strategies, in either run
    assert_each_bar_once_in_order(clean, bars)
    assert_each_bar_once_in_order(dropped, bars)
    assert dropped.record.bars == clean.record.bars
    # and the decisions are the same, one for one
    assert clean.record.signals and clean.record.orders  # the run did decide something
    assert dropped.record.signals == clean.record.signals
    assert dropped.record.orders == clean.record.orders


# -- two symbols on one feed -----------------------------------------------------------------
def per_symbol(record: Record) -> dict[str, tuple[list[Any], list[Any]]]:
    """Each symbol's signals, and its orders without the trader-wide id sequence."""
    return {
        s: (
            [x for x in record.signals if x[1] == s],
            [(o[0], o[1], o[2], o[4], o[5], o[6]) for o in record.orders if o[0] == s],
        )
        for s in record.symbols
    }


@pytest.mark.parametrize("mode", ["every_k_bars", "every_n_seconds"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_two_symbols_with_market_ws_drops_each_symbol_equals_the_uninterrupted_run(
    case: VenueCase, mode: str, bars, tmp_path, monkeypatch, caplog
) -> None:
    key, secret = case.keys()
    monkeypatch.setenv("TY_DROP_KEY", key)
    monkeypatch.setenv("TY_DROP_SECRET", secret)
    caplog.set_level(logging.INFO, logger="tradeyard.venues.common.market_data")

    async def both() -> tuple[RunResult, RunResult]:
        clean = await run_once(case, bars, tmp_path, None, PAIR)
        caplog.clear()
        dropped = await run_once(case, bars, tmp_path, mode, PAIR)
        return clean, dropped

    clean, dropped = asyncio.run(asyncio.wait_for(both(), 120))
    assert_drops_happened(clean, dropped, mode, caplog)
    assert_each_bar_once_in_order(clean, bars)
    assert_each_bar_once_in_order(dropped, bars)
    assert dropped.record.bars == clean.record.bars
    assert all(sig and orders for sig, orders in per_symbol(clean.record).values())
    assert per_symbol(dropped.record) == per_symbol(clean.record)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_two_symbols_with_market_ws_drops_keep_the_cross_symbol_order(
    case: VenueCase, bars, tmp_path, monkeypatch
) -> None:
    key, secret = case.keys()
    monkeypatch.setenv("TY_DROP_KEY", key)
    monkeypatch.setenv("TY_DROP_SECRET", secret)

    async def both() -> tuple[RunResult, RunResult]:
        clean = await run_once(case, bars, tmp_path, None, PAIR)
        dropped = await run_once(case, bars, tmp_path, "every_k_bars", PAIR)
        return clean, dropped

    clean, dropped = asyncio.run(asyncio.wait_for(both(), 120))
    assert dropped.reconnects > 0
    assert dropped.record.signals == clean.record.signals
    assert dropped.record.orders == clean.record.orders
