"""The metrics table printed at the end of a run."""

from __future__ import annotations

from rich.table import Table

from tradeyard.backtest.results import BacktestResult

__all__ = ["summary_table"]

_PCT = {"total_return", "cagr", "max_drawdown", "win_rate", "exposure"}
_SHOW = (
    "total_return",
    "max_drawdown",
    "sharpe",
    "sortino",
    "win_rate",
    "profit_factor",
    "trades",
    "exposure",
    "fees_paid",
    "funding_paid",
    "max_leverage",
    "final_equity",
)


def summary_table(results: list[BacktestResult]) -> Table:
    table = Table(title="Backtest summary")
    table.add_column("metric")
    for r in results:
        table.add_column(r.label, justify="right")
    for key in _SHOW:
        row = [key]
        for r in results:
            v = r.metrics.get(key, 0.0)
            row.append(
                f"{v:.2%}" if key in _PCT else (f"{int(v)}" if key == "trades" else f"{v:,.4g}")
            )
        table.add_row(*row)
    return table
