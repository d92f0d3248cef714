"""What a run prints at its end: the metrics table, then what the traders wanted and did not get
(signals they could not trade, orders the venue rejected)."""

from __future__ import annotations

from rich.table import Table

from tradeyard.backtest._report_format import fmt_time
from tradeyard.backtest.results import BacktestResult, rejected_orders
from tradeyard.bots.sizing_record import SKIP_KINDS

__all__ = ["summary_table", "untraded_lines"]

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


def untraded_lines(results: list[BacktestResult]) -> list[str]:
    """What a trader wanted and did not get: one line per trader that skipped signals (by kind:
    a wallet run dry, orders below the exchange's minimums, ...), then one per trader whose
    orders the venue rejected (e.g. not marginable at the open after a gap)."""
    lines = []
    for r in results:
        if not r.skipped:
            continue
        total = sum(s.count for s in r.skipped)
        kinds = "; ".join(
            f"{s.count:,d} × {SKIP_KINDS.get(s.kind, s.kind)} (from {fmt_time(s.first_time)})"
            for s in r.skipped
        )
        lines.append(f"{r.label}: {total:,d} signal(s) not traded: {kinds}")
        lines.append(f"  first: {r.skipped[0].example}")
    for r in results:
        rejected = rejected_orders(r.orders)
        if rejected:
            first = rejected[0]
            lines.append(
                f"{r.label}: {len(rejected):,d} order(s) rejected by the venue; first at "
                f"{fmt_time(first.ts)}: {first.symbol} {first.side} {first.qty:g}: {first.reason}"
            )
    return lines
