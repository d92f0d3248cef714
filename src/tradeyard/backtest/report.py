"""One self-contained HTML report for one or more backtest runs.

The file embeds plotly.js once (inline, never from a CDN), so it opens in a browser with no
network. It holds: a header (title, each run's label and parameters), a metrics table comparing the
runs side by side, the equity curves with a drawdown chart below, candlestick charts of the first
run's symbols with indicator overlays and entry/exit markers, and the first run's trade list.

The whole document is built in memory first and then written to a temporary file in the target
directory that is moved into place with `os.replace`, so a failure never leaves a half-written
(or any) file at the target path.
"""

from __future__ import annotations

import html
import itertools
import os
import pathlib
import secrets
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from tradeyard.backtest._report_format import (
    header_html,
    metrics_table_html,
    rejected_table_html,
    skipped_table_html,
    trades_table_html,
)
from tradeyard.backtest.metrics import compute_metrics, drawdown_series
from tradeyard.backtest.results import BacktestResult, SymbolChart, rejected_orders

__all__ = [
    "MAX_CANDLES",
    "MAX_CHARTS",
    "MAX_EQUITY_POINTS",
    "MAX_TRADE_ROWS",
    "render_report",
    "write_report",
]

MAX_CHARTS = 4  # symbol charts of the first result
MAX_CANDLES = 20_000  # per symbol chart: only the last ones are drawn
MAX_TRADE_ROWS = 500  # trade table: only the last ones are listed
MAX_EQUITY_POINTS = 20_000  # longer equity curves are thinned (keeping each bucket's extremes)

_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#d62728",
)
_MARKER_STYLE: dict[str, tuple[str, str, str]] = {  # kind -> (symbol, color, legend name)
    "entry_long": ("triangle-up", "#16a34a", "entry long"),
    "entry_short": ("triangle-down", "#dc2626", "entry short"),
    "exit_long": ("x", "#111827", "exit long"),
    "exit_short": ("circle-open", "#111827", "exit short"),
}
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 24px auto; max-width: 1400px; padding: 0 16px; color: #111827; }
h1 { margin-bottom: 4px; } h2 { margin-top: 32px; border-bottom: 1px solid #e5e7eb; }
.run { display: inline-block; vertical-align: top; margin: 0 32px 8px 0; }
.run h3 { margin: 8px 0 4px; } .params { margin: 0; padding-left: 18px; font-size: 13px; }
.muted { color: #6b7280; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #e5e7eb; padding: 4px 10px; text-align: left; white-space: nowrap; }
thead th { background: #f3f4f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.pos { color: #15803d; } td.neg { color: #b91c1c; }
.trades-wrap { max-height: 600px; overflow: auto; }
"""


def _to_datetimes(ms: np.ndarray) -> np.ndarray:
    """int64 ms UTC -> naive datetime64[ms] (plotly shows it as is: UTC wall-clock time)."""
    return np.asarray(ms, dtype=np.int64).astype("datetime64[ms]")


def _thin_indices(series: Sequence[np.ndarray], max_points: int) -> np.ndarray:
    """Indices that keep the shape of long series: first/last point plus, per bucket, the
    positions of each series' min and max. All indices when the series are short enough."""
    n = len(series[0])
    if n <= max_points:
        return np.arange(n)
    per_bucket = 2 * len(series)
    n_buckets = max(1, (max_points - 2) // per_bucket)
    edges = np.linspace(0, n, n_buckets + 1).astype(np.int64)
    keep = [np.array([0, n - 1])]
    for lo, hi in itertools.pairwise(edges):
        if hi <= lo:
            continue
        for values in series:
            chunk = values[lo:hi]
            keep.append(
                np.array([lo + np.nanargmin(chunk), lo + np.nanargmax(chunk)])
                if np.isfinite(chunk).any()
                else np.array([lo])
            )
    return np.unique(np.concatenate(keep))


def _equity_figure(results: Sequence[BacktestResult]) -> go.Figure:
    """Equity curves of all runs (top) and their drawdowns in percent (bottom), shared x."""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.05,
        row_heights=[0.7, 0.3],
        subplot_titles=("Equity", "Drawdown (%)"),
    )
    thinned = False
    for i, result in enumerate(results):
        times = np.asarray(result.equity.times, dtype=np.int64)
        equity = np.asarray(result.equity.equity, dtype=np.float64)
        if times.shape != equity.shape:
            raise ValueError(f"{result.label!r}: equity times and values differ in length")
        dd = drawdown_series(equity, result.starting_equity) * 100.0
        idx = _thin_indices([equity, dd], MAX_EQUITY_POINTS) if equity.size else np.arange(0)
        thinned = thinned or idx.size < equity.size
        x = _to_datetimes(times[idx])
        color = _COLORS[i % len(_COLORS)]
        name = html.escape(result.label)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=equity[idx],
                name=name,
                mode="lines",
                legendgroup=str(i),
                line={"color": color, "width": 1.5},
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=dd[idx],
                name=name,
                mode="lines",
                legendgroup=str(i),
                showlegend=False,
                fill="tozeroy",
                line={"color": color, "width": 1},
            ),
            row=2,
            col=1,
        )
    title = "Equity and drawdown"
    if thinned:
        title += f" (long curves thinned to ≤{MAX_EQUITY_POINTS:,d} points, extremes kept)"
    fig.update_layout(
        title=title,
        template="plotly_white",
        height=650,
        hovermode="x unified",
        margin={"l": 60, "r": 30, "t": 80, "b": 40},
    )
    fig.update_yaxes(title_text="equity", row=1, col=1)
    fig.update_yaxes(title_text="drawdown", ticksuffix="%", row=2, col=1)
    fig.update_xaxes(title_text="time (UTC)", row=2, col=1)
    return fig


def _validate_chart(chart: SymbolChart) -> int:
    """Number of candles; raises ValueError when the chart's arrays disagree in length."""
    n = len(chart.open_time)
    for name in ("open", "high", "low", "close"):
        if len(getattr(chart, name)) != n:
            raise ValueError(
                f"chart {chart.symbol!r}: {name} has {len(getattr(chart, name))} "
                f"values for {n} candles"
            )
    for name, values in chart.overlays.items():
        if len(values) != n:
            raise ValueError(
                f"chart {chart.symbol!r}: overlay {name!r} has {len(values)} values for {n} candles"
            )
    return n


def _on_price_axis(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> bool:
    """Whether an overlay lives on the price scale (moving averages, bands) rather than its own
    (RSI, volume...): its median lies within [0.5 × lowest low, 2 × highest high]."""
    finite = values[np.isfinite(values)]
    if finite.size == 0 or low.size == 0:
        return True
    median = float(np.median(finite))
    return 0.5 * float(np.nanmin(low)) <= median <= 2.0 * float(np.nanmax(high))


def _charts_figure(charts: Sequence[SymbolChart]) -> go.Figure:
    """Candlesticks (one row per symbol, shared x) with overlays as lines and trade markers.
    Overlays off the price scale go on the row's secondary y-axis."""
    counts = [_validate_chart(c) for c in charts]
    titles = []
    for chart, n in zip(charts, counts, strict=True):
        title = html.escape(f"{chart.symbol} {chart.interval}")
        if n > MAX_CANDLES:
            title += f" (last {MAX_CANDLES:,d} of {n:,d} candles)"
        titles.append(title)
    fig = make_subplots(
        rows=len(charts),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=titles,
        specs=[[{"secondary_y": True}]] * len(charts),
    )
    shown_markers: set[str] = set()
    for row, (chart, n) in enumerate(zip(charts, counts, strict=True), start=1):
        window = slice(max(0, n - MAX_CANDLES), n)
        t_ms = np.asarray(chart.open_time, dtype=np.int64)[window]
        x = _to_datetimes(t_ms)
        low = np.asarray(chart.low, dtype=np.float64)[window]
        high = np.asarray(chart.high, dtype=np.float64)[window]
        fig.add_trace(
            go.Candlestick(
                x=x,
                open=np.asarray(chart.open, dtype=np.float64)[window],
                high=high,
                low=low,
                close=np.asarray(chart.close, dtype=np.float64)[window],
                name=html.escape(chart.symbol),
                showlegend=False,
            ),
            row=row,
            col=1,
            secondary_y=False,
        )
        for j, (name, values) in enumerate(chart.overlays.items()):
            y = np.asarray(values, dtype=np.float64)[window]
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    name=html.escape(f"{chart.symbol} {name}"),
                    line={"width": 1.2, "color": _COLORS[j % len(_COLORS)]},
                ),
                row=row,
                col=1,
                secondary_y=not _on_price_axis(y, low, high),
            )
        first_ms = int(t_ms[0]) if t_ms.size else None
        for kind, (symbol, color, label) in _MARKER_STYLE.items():
            marks = [
                m
                for m in chart.markers
                if m.kind == kind and (first_ms is None or m.time >= first_ms)
            ]
            if not marks:
                continue
            fig.add_trace(
                go.Scatter(
                    x=_to_datetimes(np.array([m.time for m in marks], dtype=np.int64)),
                    y=np.array([m.price for m in marks], dtype=np.float64),
                    text=[html.escape(m.text or label) for m in marks],
                    mode="markers",
                    name=label,
                    legendgroup=kind,
                    showlegend=kind not in shown_markers,
                    hovertemplate="%{text}<br>%{y}<extra></extra>",
                    marker={
                        "symbol": symbol,
                        "color": color,
                        "size": 11,
                        "line": {"width": 1.5, "color": color},
                    },
                ),
                row=row,
                col=1,
                secondary_y=False,
            )
            shown_markers.add(kind)
    fig.update_xaxes(rangeslider_visible=False)
    fig.update_xaxes(title_text="time (UTC)", row=len(charts), col=1)
    fig.update_layout(
        title="Symbols",
        template="plotly_white",
        height=450 * len(charts) + 60,
        margin={"l": 60, "r": 60, "t": 80, "b": 40},
    )
    return fig


def _figure_html(fig: go.Figure, div_id: str, include_js: bool) -> str:
    return pio.to_html(
        fig, full_html=False, include_plotlyjs=include_js, div_id=div_id, config=_PLOT_CONFIG
    )


def render_report(results: Sequence[BacktestResult], title: str = "tradeyard backtest") -> str:
    """The report as one HTML string (plotly.js inlined once). Raises ValueError on no results
    or malformed data."""
    if not results:
        raise ValueError("write_report needs at least one BacktestResult")
    first = results[0]
    metrics = [r.metrics if r.metrics else compute_metrics(r) for r in results]
    figures: list[tuple[str, go.Figure]] = [("ty-equity", _equity_figure(results))]
    charts = list(first.charts[:MAX_CHARTS])
    if charts:
        figures.append(("ty-symbols", _charts_figure(charts)))
    plots = [
        _figure_html(fig, div_id, include_js=(i == 0)) for i, (div_id, fig) in enumerate(figures)
    ]

    sections = [
        header_html(title, results),
        "<h2>Metrics</h2>",
        metrics_table_html([r.label for r in results], metrics),
        "<h2>Equity</h2>",
        plots[0],
    ]
    if charts:
        note = ""
        if len(first.charts) > MAX_CHARTS:
            note = (
                f'<p class="muted">Showing {MAX_CHARTS} of {len(first.charts)} symbols of '
                f"{html.escape(first.label)}.</p>"
            )
        sections += [f"<h2>Symbols — {html.escape(first.label)}</h2>", note, plots[1]]
    for r in results:
        if r.skipped:
            sections += [
                f"<h2>Signals not traded — {html.escape(r.label)}</h2>",
                skipped_table_html(r.skipped),
            ]
        rejected = rejected_orders(r.orders)
        if rejected:
            sections += [
                f"<h2>Orders rejected by the venue — {html.escape(r.label)}</h2>",
                rejected_table_html(rejected, MAX_TRADE_ROWS),
            ]
    sections += [
        f"<h2>Trades — {html.escape(first.label)}</h2>",
        f'<div class="trades-wrap">{trades_table_html(first.trades, MAX_TRADE_ROWS)}</div>',
    ]
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def write_report(
    results: list[BacktestResult], path: pathlib.Path, title: str = "tradeyard backtest"
) -> pathlib.Path:
    """Write the HTML report of `results` (the first one drives charts and trade list) to `path`
    atomically, creating parent directories. Returns `path`."""
    path = pathlib.Path(path)
    document = render_report(results, title)  # build fully before touching the disk
    path.parent.mkdir(parents=True, exist_ok=True)
    # same directory (same filesystem) so os.replace is atomic; normal permissions, unlike mkstemp
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("x", encoding="utf-8", newline="\n") as fh:
            fh.write(document)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
