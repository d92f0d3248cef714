"""HTML fragments of the backtest report: value formatting, the metrics, trade and skipped-signal
tables.

Everything that ends up in the HTML goes through `html.escape` here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from tradeyard.backtest.metrics import METRIC_KEYS
from tradeyard.backtest.results import BacktestResult, ClosedTrade, SkippedSignals
from tradeyard.bots.sizing_record import SKIP_KINDS
from tradeyard.events import OrderUpdate

__all__ = [
    "METRIC_LABELS",
    "fmt_duration_ms",
    "fmt_metric",
    "fmt_number",
    "fmt_time",
    "header_html",
    "metrics_table_html",
    "rejected_table_html",
    "skipped_table_html",
    "trades_table_html",
]

METRIC_LABELS: dict[str, str] = {
    "starting_equity": "Starting equity",
    "final_equity": "Final equity",
    "total_return": "Total return",
    "cagr": "CAGR",
    "max_drawdown": "Max drawdown",
    "max_drawdown_duration_ms": "Max drawdown duration",
    "sharpe": "Sharpe (daily, ann.)",
    "sortino": "Sortino (daily, ann.)",
    "win_rate": "Win rate",
    "profit_factor": "Profit factor",
    "avg_trade_pnl": "Avg trade PnL",
    "best_trade": "Best trade",
    "worst_trade": "Worst trade",
    "trades": "Trades",
    "signals_skipped": "Signals not traded",
    "exposure": "Exposure",
    "fees_paid": "Fees paid",
    "funding_paid": "Funding paid",
    "bars": "Bars",
}

_PERCENT = frozenset({"total_return", "cagr", "max_drawdown", "win_rate", "exposure"})
_MONEY = frozenset(
    {
        "starting_equity",
        "final_equity",
        "avg_trade_pnl",
        "best_trade",
        "worst_trade",
        "fees_paid",
        "funding_paid",
    }
)
_RATIO = frozenset({"sharpe", "sortino", "profit_factor"})
_COUNT = frozenset({"trades", "signals_skipped", "bars"})
TRADE_COLUMNS = (
    "Symbol",
    "Side",
    "Qty",
    "Entry time (UTC)",
    "Entry price",
    "Exit time (UTC)",
    "Exit price",
    "PnL",
    "Fees",
    "Exit reason",
)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def fmt_number(value: float) -> str:
    """A price/quantity with enough significant digits for small coins, thousands separators."""
    x = float(value)
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = min(10, max(2, 5 - magnitude))
    text = f"{x:,.{decimals}f}"
    if "." in text:
        head, tail = text.split(".")
        tail = tail.rstrip("0").ljust(2, "0")
        text = f"{head}.{tail}"
    return text


def fmt_duration_ms(ms: float) -> str:
    """``93_600_000`` -> ``"1d 2h"``; ``90_000`` -> ``"1m 30s"``."""
    total = int(ms) // 1000
    if total <= 0:
        return "0s"
    days, rem = divmod(total, 86_400)
    hours, rem = divmod(rem, 3_600)
    minutes, seconds = divmod(rem, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown)


def fmt_time(ms: int) -> str:
    """ms UTC -> ISO 8601 with a ``Z`` (milliseconds only when present)."""
    dt = datetime.fromtimestamp(int(ms) / 1000, tz=UTC)
    spec = "milliseconds" if int(ms) % 1000 else "seconds"
    return dt.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def fmt_metric(key: str, value: object) -> str:
    """Human-readable text of one metric value (not escaped)."""
    if value is None:
        return "—"
    if not isinstance(value, int | float):
        return str(value)
    x = float(value)
    if not math.isfinite(x):
        return str(x)
    if key in _PERCENT:
        return f"{x * 100:,.2f}%"
    if key == "max_drawdown_duration_ms":
        return fmt_duration_ms(x)
    if key in _COUNT:
        return f"{round(x):,d}"
    if key in _MONEY:
        return f"{x:,.2f}"
    if key in _RATIO:
        return f"{x:,.2f}"
    return f"{x:,.6g}"


def header_html(title: str, results: Sequence[BacktestResult]) -> str:
    """Title plus, per result, its label and parameters."""
    parts = [f"<h1>{_esc(title)}</h1>"]
    for result in results:
        parts.append(f'<div class="run"><h3>{_esc(result.label)}</h3>')
        if result.parameters:
            items = "".join(
                f"<li><code>{_esc(k)}</code> = <code>{_esc(v)}</code></li>"
                for k, v in result.parameters.items()
            )
            parts.append(f'<ul class="params">{items}</ul>')
        else:
            parts.append('<p class="muted">no parameters</p>')
        parts.append("</div>")
    return "\n".join(parts)


def metrics_table_html(labels: Sequence[str], metrics: Sequence[Mapping[str, object]]) -> str:
    """One row per metric, one column per run. Known metrics first, in `METRIC_KEYS` order,
    then any extra keys alphabetically; a metric a run lacks shows as an em dash."""
    extra = sorted({k for m in metrics for k in m} - set(METRIC_KEYS))
    keys = [k for k in METRIC_KEYS if any(k in m for m in metrics)] + extra
    head = "".join(f"<th>{_esc(label)}</th>" for label in labels)
    rows = []
    for key in keys:
        cells = "".join(
            f'<td class="num">{_esc(fmt_metric(key, m.get(key)))}</td>' for m in metrics
        )
        rows.append(f"<tr><th>{_esc(METRIC_LABELS.get(key, key))}</th>{cells}</tr>")
    return (
        '<table class="metrics"><thead><tr><th>Metric</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _trade_row(t: ClosedTrade) -> str:
    pnl_cls = "pos" if t.pnl > 0 else "neg" if t.pnl < 0 else ""
    text = f"<td>{_esc(t.symbol)}</td><td>{_esc(t.side)}</td>"
    text += f'<td class="num">{_esc(fmt_number(t.qty))}</td>'
    text += f"<td>{_esc(fmt_time(t.entry_time))}</td>"
    text += f'<td class="num">{_esc(fmt_number(t.entry_price))}</td>'
    text += f"<td>{_esc(fmt_time(t.exit_time))}</td>"
    text += f'<td class="num">{_esc(fmt_number(t.exit_price))}</td>'
    text += f'<td class="num {pnl_cls}">{_esc(f"{t.pnl:,.2f}")}</td>'
    text += f'<td class="num">{_esc(f"{t.fees:,.2f}")}</td>'
    text += f"<td>{_esc(t.exit_reason)}</td>"
    return f"<tr>{text}</tr>"


def trades_table_html(trades: Sequence[ClosedTrade], max_rows: int) -> str:
    """The last `max_rows` trades, with a note saying how many earlier ones were left out."""
    if not trades:
        return '<p class="muted">No closed trades.</p>'
    shown = list(trades[-max_rows:]) if max_rows > 0 else []
    omitted = len(trades) - len(shown)
    note = (
        f'<p class="muted">Showing the last {len(shown):,d} of {len(trades):,d} trades '
        f"({omitted:,d} earlier trades left out).</p>"
        if omitted
        else f'<p class="muted">{len(trades):,d} trades.</p>'
    )
    head = "".join(f"<th>{_esc(c)}</th>" for c in TRADE_COLUMNS)
    body = "".join(_trade_row(t) for t in shown)
    table = f'<table class="trades"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return note + table


def skipped_table_html(skipped: Sequence[SkippedSignals]) -> str:
    """Signals the trader could not trade, one row per kind, with the first one in words."""
    head = "".join(
        f"<th>{_esc(c)}</th>" for c in ("Why", "Signals", "First (UTC)", "Last (UTC)", "First one")
    )
    rows = "".join(
        f"<tr><td>{_esc(SKIP_KINDS.get(s.kind, s.kind))}</td>"
        f'<td class="num">{s.count:,d}</td><td>{_esc(fmt_time(s.first_time))}</td>'
        f"<td>{_esc(fmt_time(s.last_time))}</td><td>{_esc(s.example)}</td></tr>"
        for s in skipped
    )
    return f'<table class="trades"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def rejected_table_html(rejected: Sequence[OrderUpdate], max_rows: int) -> str:
    """Orders the venue refused (margin at the open after a gap, filters, ...), first ones first."""
    shown = list(rejected[:max_rows])
    note = (
        f'<p class="muted">Showing the first {len(shown):,d} of {len(rejected):,d}.</p>'
        if len(shown) < len(rejected)
        else f'<p class="muted">{len(rejected):,d} orders.</p>'
    )
    head = "".join(
        f"<th>{_esc(c)}</th>" for c in ("Time (UTC)", "Symbol", "Side", "Type", "Qty", "Reason")
    )
    rows = "".join(
        f"<tr><td>{_esc(fmt_time(o.ts))}</td><td>{_esc(o.symbol)}</td><td>{_esc(o.side)}</td>"
        f'<td>{_esc(o.order_type)}</td><td class="num">{_esc(fmt_number(o.qty))}</td>'
        f"<td>{_esc(o.reason)}</td></tr>"
        for o in shown
    )
    return (
        f'{note}<table class="trades"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )
