"""Candles plus indicator overlays and trade markers for the report, computed after the run.

The overlays are recomputed with the strategies' own indicators (vectorised twins) over the
whole series, so the hot loop never stores anything for plotting.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tradeyard.backtest.results import ClosedTrade, Marker, SymbolChart
from tradeyard.bots import BotContext, StrategyBot
from tradeyard.marketdata import BarSeries

__all__ = ["build_charts"]

MAX_SYMBOLS = 4
MAX_CANDLES = 20_000


def build_charts(
    bars: Sequence[BarSeries], bots: Sequence[StrategyBot], trades: Sequence[ClosedTrade]
) -> list[SymbolChart]:
    by_symbol = {b.symbol: b for b in bars}
    wanted: list[str] = []
    for bot in bots:
        wanted += [s for s in bot.instances if s not in wanted]
    charts: list[SymbolChart] = []
    for symbol in wanted[:MAX_SYMBOLS]:
        series = by_symbol[symbol]
        keep = slice(max(0, len(series) - MAX_CANDLES), len(series))
        overlays: dict[str, np.ndarray] = {}
        for bot in bots:
            if symbol not in bot.instances:
                continue
            fresh = bot.strategy_cls(
                bot.params, symbol, bot.bot_id, BotContext(bot.bot_id, lambda e: None)
            )
            fresh.on_start()
            for bound in fresh._bound:
                if not bound.plot:
                    continue
                outs = bound.indicator.update_many(*[getattr(series, f) for f in bound.fields])
                for label, name in bound.plot.items():
                    key = label if len(bots) == 1 else f"{bot.bot_id}: {label}"
                    overlays[key] = np.asarray(outs[name])[keep]
        t0 = int(series.open_time[keep.start])
        markers: list[Marker] = []
        for tr in trades:
            if tr.symbol != symbol:
                continue
            if tr.entry_time >= t0:
                markers.append(
                    Marker(
                        tr.entry_time,
                        tr.entry_price,
                        "entry_long" if tr.side == "long" else "entry_short",
                        f"{tr.side} {tr.qty:g}",
                    )
                )
            if tr.exit_time >= t0:
                markers.append(
                    Marker(
                        tr.exit_time,
                        tr.exit_price,
                        "exit_long" if tr.side == "long" else "exit_short",
                        f"pnl {tr.pnl:.2f}",
                    )
                )
        charts.append(
            SymbolChart(
                symbol=symbol,
                interval=series.interval,
                open_time=series.open_time[keep],
                open=series.open[keep],
                high=series.high[keep],
                low=series.low[keep],
                close=series.close[keep],
                overlays=overlays,
                markers=markers,
            )
        )
    return charts
