"""Look-ahead check: does removing the future change what a strategy did in the past?

A strategy that only uses bars it has seen must emit exactly the same signals, and its trader
make exactly the same fills, up to any moment T whether or not the bars after T exist. So the
strategy runs once on the full data and once per cut point on the data truncated at that point,
through the real backtest engine (chunked, vectorised indicators included: a non-causal
``update_many`` is the way future data most easily leaks into a strategy here). The first signal
(or fill) before the cut that differs is reported, with its time: that is where the strategy used
information it could not have had.

What this cannot see: future data a strategy reaches without going through its input, e.g. a
closure over a complete series captured when the class was defined. Truncating the input does
not remove that future, so both runs peek alike. Such code is ruled out by review (bots may not
do I/O, see ARCHITECTURE.md), not by this check.

Floats (prices, targets) are compared with a relative tolerance of 1e-9, so two honest runs whose
vectorised sums differ in the last bit are not flagged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from tradeyard.backtest.engine import BacktestEngine
from tradeyard.backtest.runner import run_backtest
from tradeyard.bots import BotContext, StrategyBot
from tradeyard.bus import InProcessBus
from tradeyard.config import BacktestConfig, build_params
from tradeyard.errors import ConfigError
from tradeyard.events import Fill, Signal
from tradeyard.events.topics import topic_for
from tradeyard.marketdata import BarSeries
from tradeyard.research.windows import slice_bars, time_grid
from tradeyard.strategies import get as get_strategy
from tradeyard.venues.sim import SimVenue, SimVenueConfig

__all__ = ["CutCheck", "Difference", "LookaheadReport", "check_lookahead", "collect_signals"]

REL_TOL = 1e-9
_SIGNAL_FIELDS = (
    "strategy",
    "symbol",
    "ts",
    "target",
    "entry",
    "price",
    "take_profit",
    "stop_loss",
)
_FILL_FIELDS = ("trader", "symbol", "ts", "side", "qty", "price")


class Difference(msgspec.Struct, frozen=True):
    """The first event before a cut that is not the same with and without the future."""

    kind: str  # "signal" or "fill"
    time: int  # ms UTC of the earlier of the two differing events
    symbol: str
    full: str  # the event in the run on all data ("" when it is missing there)
    truncated: str  # the event in the run on truncated data ("" when missing there)


class CutCheck(msgspec.Struct, frozen=True):
    cut: int
    """Bars with open time >= cut were removed (ms UTC)."""
    bars_kept: int
    signals_compared: int
    fills_compared: int
    difference: Difference | None = None


class LookaheadReport(msgspec.Struct, frozen=True):
    strategy: str
    cuts: list[CutCheck]

    @property
    def passed(self) -> bool:
        return all(c.difference is None for c in self.cuts)

    @property
    def first_difference(self) -> Difference | None:
        found = [c.difference for c in self.cuts if c.difference is not None]
        return min(found, key=lambda d: d.time) if found else None


def collect_signals(cfg: BacktestConfig, bars: Sequence[BarSeries]) -> list[Signal]:
    """Every signal the config's strategies emit over `bars`, in emission order.

    Same wiring as a backtest (bus, simulated venue, engine with chunk priming) but without
    traders: signals are a function of bars alone.
    """
    bus = InProcessBus()
    venue = SimVenue(SimVenueConfig(name=cfg.venue.name), bus.publish)
    symbols = [b.symbol for b in bars]
    bots = []
    for i, s in enumerate(cfg.strategies):
        ctx = BotContext(s.id, lambda e: bus.publish(topic_for(e), e), seed=cfg.seed)
        params = build_params(s.strategy, s.params, where=f"strategies[{i}]")
        syms = [x for x in (s.symbols or symbols) if x in symbols]
        bots.append(
            StrategyBot(
                ctx,
                get_strategy(s.strategy),
                params,
                syms,
                venue=cfg.venue.name,
                interval=bars[0].interval,
            )
        )
    signals: list[Signal] = []
    bus.subscribe("sig.>", lambda _topic, event: signals.append(event))  # type: ignore[arg-type]
    BacktestEngine(bus, venue, list(bars), bots, []).run()
    return signals


def check_lookahead(
    cfg: BacktestConfig,
    bars: Sequence[BarSeries],
    funding: Mapping[str, list[tuple[int, float]]] | None = None,
    cuts: int = 5,
) -> LookaheadReport:
    """Run on all `bars` and on `bars` cut at `cuts` evenly spaced points; compare (module doc).

    Cut k (1..cuts) removes every bar from position ``floor(n * k / (cuts + 1))`` of the time
    grid on, so the checks spread over the data and each keeps at least one bar.
    """
    if cuts < 1:
        raise ConfigError(f"--cuts must be >= 1, was {cuts}", where="--cuts")
    grid = time_grid(bars)
    n = int(grid.size)
    if n < cuts + 1:
        raise ConfigError(
            f"{n} bars are too few for {cuts} cut points; use fewer --cuts or more data",
            where="--cuts",
        )
    funding = dict(funding or {})
    full_signals = collect_signals(cfg, bars)
    full_fills = _fills(cfg, bars, funding)
    checks = []
    for k in range(1, cuts + 1):
        cut = int(grid[(n * k) // (cuts + 1)])
        part = slice_bars(bars, int(grid[0]), cut)
        signals = collect_signals(cfg, part)
        fills = _fills(cfg, part, funding)
        want_signals = [s for s in full_signals if s.ts < cut]
        have_signals = [s for s in signals if s.ts < cut]
        want_fills = [f for f in full_fills if f.ts < cut]
        have_fills = [f for f in fills if f.ts < cut]
        diff = _first_difference("signal", want_signals, have_signals, _SIGNAL_FIELDS)
        fill_diff = _first_difference("fill", want_fills, have_fills, _FILL_FIELDS)
        if diff is None or (fill_diff is not None and fill_diff.time < diff.time):
            diff = fill_diff
        checks.append(
            CutCheck(
                cut=cut,
                bars_kept=sum(len(b) for b in part),
                signals_compared=len(want_signals),
                fills_compared=len(want_fills),
                difference=diff,
            )
        )
    return LookaheadReport(strategy=", ".join(s.strategy for s in cfg.strategies), cuts=checks)


def _fills(
    cfg: BacktestConfig, bars: Sequence[BarSeries], funding: dict[str, list[tuple[int, float]]]
) -> list[Fill]:
    return [f for r in run_backtest(cfg, list(bars), funding, charts=False) for f in r.fills]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)
    return bool(a == b)


def _describe(event: Any, fields: Sequence[str]) -> str:
    return ", ".join(f"{f}={getattr(event, f)!r}" for f in fields)


def _first_difference(
    kind: str, full: Sequence[Any], truncated: Sequence[Any], fields: Sequence[str]
) -> Difference | None:
    for a, b in zip(full, truncated, strict=False):
        if not all(_same(getattr(a, f), getattr(b, f)) for f in fields):
            return Difference(
                kind=kind,
                time=min(int(a.ts), int(b.ts)),
                symbol=str(a.symbol),
                full=_describe(a, fields),
                truncated=_describe(b, fields),
            )
    if len(full) == len(truncated):
        return None
    longer, side = (full, "full") if len(full) > len(truncated) else (truncated, "truncated")
    extra = longer[min(len(full), len(truncated))]
    text = _describe(extra, fields)
    return Difference(
        kind=kind,
        time=int(extra.ts),
        symbol=str(extra.symbol),
        full=text if side == "full" else "",
        truncated=text if side == "truncated" else "",
    )
