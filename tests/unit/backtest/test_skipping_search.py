"""The searches behind bar skipping (`backtest.skipping.SymbolRows`), against a brute-force scan,
and `EquityBook` against hand-computed equity, exposure and leverage."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from tradeyard.backtest.equity import EquityBook
from tradeyard.backtest.merge import merge_window
from tradeyard.backtest.skipping import SymbolRows
from tradeyard.marketdata import BarSeries
from tradeyard.venues.sim.account import Account

MIN = 60_000


def _series(symbol: str, closes: list[float], start: int = 0, spread: float = 1.0) -> BarSeries:
    c = np.asarray(closes, dtype=np.float64)
    return BarSeries(
        symbol=symbol,
        interval="1m",
        open_time=np.arange(len(c), dtype=np.int64) * MIN + start,
        open=c,
        high=c + spread,
        low=c - spread,
        close=c,
        volume=np.ones(len(c)),
    )


def _rows(series: BarSeries, runners: list[Any] = (), due: list[int] = ()) -> SymbolRows:  # type: ignore[assignment]
    return SymbolRows(
        series.symbol, series, list(range(len(series))), MIN - 1, list(runners), True, list(due)
    )


def _brute(sr: SymbolRows, j: int, low: float, high: float, until: float) -> int:
    for k in range(j, sr.n):
        if sr.low[k] <= low or sr.high[k] >= high or sr.open_time[k] >= until:
            return k
    return sr.n


@pytest.mark.parametrize("seed", range(6))
def test_first_break_equals_a_brute_force_scan(seed: int) -> None:
    rng = np.random.default_rng(seed)
    walk = 100 + np.cumsum(rng.normal(0, 0.5, 3_000))
    sr = _rows(_series("X", walk.tolist()))
    for _ in range(300):
        j = int(rng.integers(0, sr.n + 2))
        low = float(walk[min(j, sr.n - 1)] - rng.uniform(0, 30))
        high = float(walk[min(j, sr.n - 1)] + rng.uniform(0, 30))
        assert sr.first_break(j, low, high, sr.n) == _brute(sr, j, low, high, math.inf)


def test_first_break_levels_are_inclusive_and_stop_bounds_the_search() -> None:
    sr = _rows(_series("X", [10, 10, 10, 12, 10], spread=0.5))  # highs 10.5 .. 12.5
    assert sr.first_break(0, 0.0, 12.5, sr.n) == 3  # high == level wakes
    assert sr.first_break(0, 0.0, 12.6, sr.n) == sr.n
    assert sr.first_break(0, 9.5, 99.0, sr.n) == 0  # low == level wakes
    assert sr.first_break(0, 0.0, 12.5, 2) == 2  # not found before `stop`
    assert sr.first_break(1, -math.inf, math.inf, sr.n) == sr.n  # no level: never
    assert sr.first_break(1, math.inf, -math.inf, sr.n) == 1  # every bar


def _runner(until: int = 2**62, above: float = math.inf, below: float = -math.inf,
            wake: str | None = None, marked: dict[str, list[int]] | None = None,
            bars: int = -1) -> Any:  # fmt: skip
    inst = SimpleNamespace(_skip_until=until, _skip_above=above, _skip_below=below, _skip_wake=wake,
                           _skip_left=bars)  # fmt: skip
    return SimpleNamespace(
        inst=inst, feeds=[1], open_times=[0], marked=marked,
        wake_rows=lambda name: (marked or {})[name],
    )  # fmt: skip


def test_next_wake_takes_the_earliest_of_venue_strategy_marks_and_completions() -> None:
    sr = _rows(_series("X", [100.0] * 50 + [120.0] * 10), due=[40])
    quiet = (-math.inf, math.inf, math.inf)
    assert sr.next_wake(5, quiet) == 40  # nobody but the aggregators: their completion
    # a strategy with no promise: every bar
    sr.runners = [_runner(until=0)]
    assert sr.next_wake(5, quiet) == 5
    # a time promise: the first bar opening at or after `until`
    sr.runners = [_runner(until=30 * MIN)]
    assert sr.next_wake(5, quiet) == 30
    # a level promise, the completion row, the venue's level and funding time
    sr.runners = [_runner(above=110.0)]
    assert sr.next_wake(5, quiet) == 40  # the 1d/5m completion comes first
    sr.due = []
    assert sr.next_wake(5, quiet) == 50  # the high reaches 110 on the jump
    assert sr.next_wake(5, (99.5, math.inf, math.inf)) == 5  # venue: low 99 ≤ 99.5
    assert sr.next_wake(5, (-math.inf, math.inf, 20 * MIN + MIN - 1)) == 20  # funding
    # watch marks
    sr.runners = [_runner(wake="x", marked={"x": [3, 17, 44]})]
    assert sr.next_wake(4, quiet) == 17
    assert sr.next_wake(45, quiet) == sr.n
    # a count of bars: the bar after them
    sr.runners = [_runner(above=110.0, bars=3)]
    assert sr.next_wake(5, quiet) == 8
    sr.runners = [_runner(above=110.0, bars=0)]
    assert sr.next_wake(5, quiet) == 5
    # a symbol someone else watches bar by bar
    sr.skippable = False
    assert sr.next_wake(45, quiet) == 45


def test_equity_book_samples_equity_exposure_and_leverage_at_every_close_time() -> None:
    a = _series("A", [10.0, 11.0, 12.0, 13.0])
    b = _series("B", [100.0, 90.0, 80.0], start=MIN)  # starts one minute later
    chunk = merge_window({"A": a, "B": b}, ["A", "B"], columns=False)
    acct = Account("t", 1_000.0, "exec.t")
    book = EquityBook([acct], ["A", "B"])
    # after A's first bar: long 10 A at 10 (fee 1 paid)
    pa = acct.position("A")
    pa.qty, pa.entry_price, acct.wallet_balance = 10.0, 10.0, 999.0
    book.snapshot(0)
    # at B's first bar (row 2: A@11 is row 1): short 2 B at 100
    pb = acct.position("B")
    pb.qty, pb.entry_price = -2.0, 100.0
    book.snapshot(2)
    book.close_chunk(chunk)
    times = book.times
    assert times.tolist() == [MIN - 1, 2 * MIN - 1, 3 * MIN - 1, 4 * MIN - 1]
    eq = book.curve(0).tolist()
    assert eq[0] == 999.0 + 10 * (10 - 10)
    assert eq[1] == 999.0 + 10 * (11 - 10) + (-2) * (100 - 100)
    assert eq[2] == 999.0 + 10 * (12 - 10) + (-2) * (90 - 100)
    assert eq[3] == 999.0 + 10 * (13 - 10) + (-2) * (80 - 100)
    assert book.exposed[0] == 4
    lev = [(10 * 10) / eq[0], (10 * 11 + 2 * 100) / eq[1], (10 * 12 + 2 * 90) / eq[2],
           (10 * 13 + 2 * 80) / eq[3]]  # fmt: skip
    assert book.max_leverage[0] == pytest.approx(max(lev), rel=1e-15)
    # the next chunk starts from the carried state and closes
    later = merge_window({"A": _series("A", [14.0], start=4 * MIN)}, ["A", "B"], columns=False)
    book.close_chunk(later)
    assert book.curve(0).tolist()[-1] == 999.0 + 10 * (14 - 10) + (-2) * (80 - 100)
