"""The HTML report: self-contained, complete, escaped, written atomically."""

from __future__ import annotations

import html
import pathlib
import re

import numpy as np
import pytest

from tradeyard.backtest._report_format import METRIC_LABELS, fmt_metric, fmt_number, fmt_time
from tradeyard.backtest.report import MAX_CANDLES, render_report, write_report
from tradeyard.backtest.results import (
    BacktestResult,
    ClosedTrade,
    EquityCurve,
    Marker,
    SymbolChart,
)

HOUR = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


def make_chart(n: int = 50, symbol: str = "BTCUSDT") -> SymbolChart:
    t = T0 + np.arange(n, dtype=np.int64) * HOUR
    close = 100.0 + np.sin(np.arange(n) / 5.0) * 5.0
    sma = np.convolve(close, np.ones(5) / 5.0, mode="full")[:n]
    sma[:4] = np.nan
    rsi = 50.0 + np.cos(np.arange(n) / 3.0) * 20.0  # not on the price scale
    return SymbolChart(
        symbol=symbol,
        interval="1h",
        open_time=t,
        open=close - 0.5,
        high=close + 1.0,
        low=close - 1.0,
        close=close,
        overlays={"sma5": sma, "rsi": rsi},
        markers=[
            Marker(time=int(t[5]), price=float(close[5]), kind="entry_long", text="buy"),
            Marker(time=int(t[10]), price=float(close[10]), kind="exit_long"),
            Marker(time=int(t[20]), price=float(close[20]), kind="entry_short", text="sell"),
            Marker(time=int(t[30]), price=float(close[30]), kind="exit_short"),
        ],
    )


def make_result(
    label: str = "sma-cross",
    growth: float = 0.001,
    charts: list[SymbolChart] | None = None,
    n_trades: int = 3,
) -> BacktestResult:
    n = 24 * 5
    times = T0 + np.arange(n, dtype=np.int64) * HOUR
    equity = 10_000.0 * np.cumprod(1.0 + growth * np.sin(np.arange(n) / 7.0) + growth / 4)
    trades = [
        ClosedTrade(
            trader="bot-1",
            symbol=SYMBOLS[i % len(SYMBOLS)],
            side="long" if i % 2 == 0 else "short",
            qty=0.5,
            entry_time=T0 + i * HOUR,
            entry_price=100.0 + i,
            exit_time=T0 + (i + 2) * HOUR,
            exit_price=101.0 + i,
            pnl=(-1.0) ** i * (10.0 + i),
            fees=0.2,
            exit_reason="take_profit" if i % 2 == 0 else "stop_loss",
        )
        for i in range(n_trades)
    ]
    return BacktestResult(
        label=label,
        starting_equity=10_000.0,
        equity=EquityCurve(times=times, equity=equity),
        trades=trades,
        fills=[],
        orders=[],
        fees_paid=0.6,
        funding_paid=0.0,
        exposure=0.35,
        bars_processed=n,
        charts=[make_chart()] if charts is None else charts,
        parameters={"fast": 10, "slow": 30, "note": "<script>alert(1)</script>"},
    )


def strip_plotly_bundle(text: str) -> str:
    """The document without the inline plotly.js bundle (which itself mentions URLs such as the
    geo topojson default; harmless, it is never fetched for our charts)."""
    start = text.index("/**\n* plotly.js v")
    end = text.index("</script>", start)
    return text[:start] + text[end:]


@pytest.fixture(scope="module")
def single_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, str]:
    path = tmp_path_factory.mktemp("report") / "nested" / "dir" / "report.html"
    out = write_report([make_result()], path)
    return out, path.read_text(encoding="utf-8")


def test_report_is_self_contained(single_report: tuple[pathlib.Path, str]) -> None:
    path, text = single_report
    assert path.exists() and path.stat().st_size > 1_000_000
    assert text.startswith("<!DOCTYPE html>")
    assert text.count("* plotly.js v") == 1  # inlined exactly once
    assert "<script src" not in text
    rest = strip_plotly_bundle(text)
    assert "cdn.plot.ly" not in rest
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", rest)
    assert "Plotly.newPlot" in rest
    assert not list(path.parent.glob("*.tmp"))


def test_report_contents(single_report: tuple[pathlib.Path, str]) -> None:
    _, text = single_report
    for label in METRIC_LABELS.values():
        assert html.escape(label) in text, label
    for symbol in SYMBOLS:
        assert symbol in text
    assert "take_profit" in text and "stop_loss" in text
    assert "2024-01-01T00:00:00Z" in text  # trade entry time, UTC ISO
    assert "sma-cross" in text
    assert "BTCUSDT 1h" in text  # symbol chart title
    assert '"candlestick"' in text
    for name in ("entry long", "entry short", "exit long", "exit short"):
        assert name in text
    assert "triangle-up" in text and "triangle-down" in text
    # parameters shown, and escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)</script>" not in text
    assert "Drawdown (%)" in text
    assert "35.00%" in text  # exposure formatted as a percentage


def test_two_results_are_compared_side_by_side(tmp_path: pathlib.Path) -> None:
    a = make_result(label="fast <A&B>")
    b = make_result(label="slow-run", growth=-0.002, charts=[])
    text = write_report([a, b], tmp_path / "cmp.html", title="compare").read_text("utf-8")
    assert "<title>compare</title>" in text
    assert "fast &lt;A&amp;B&gt;" in text and "fast <A&B>" not in text
    header = re.search(r'<table class="metrics"><thead><tr>(.*?)</tr></thead>', text)
    assert header is not None
    cells = re.findall(r"<th>(.*?)</th>", header.group(1))
    assert cells == ["Metric", "fast &lt;A&amp;B&gt;", "slow-run"]
    row = re.search(r"<tr><th>Total return</th>(.*?)</tr>", text)
    assert row is not None and row.group(1).count("<td") == 2
    assert text.count("* plotly.js v") == 1
    # both equity curves are drawn
    assert text.count('"name":"slow-run"') >= 2 and text.count('"name":"fast') >= 2


def test_precomputed_metrics_are_used(tmp_path: pathlib.Path) -> None:
    result = make_result()
    result.metrics = {"total_return": 0.1234, "custom_score": 1.5}
    text = render_report([result])
    assert "12.34%" in text
    assert "custom_score" in text


def test_caps_on_candles_and_trades() -> None:
    big = make_chart(n=MAX_CANDLES + 50)
    text = render_report([make_result(charts=[big], n_trades=520)])
    assert f"last {MAX_CANDLES:,d} of {MAX_CANDLES + 50:,d} candles" in text
    assert "last 500 of 520 trades" in text
    assert "20 earlier trades left out" in text
    assert text.count("<tr><td>") == 500


def test_failure_leaves_no_file(tmp_path: pathlib.Path) -> None:
    bad = make_chart()
    bad.overlays["broken"] = np.zeros(7)  # wrong length
    target = tmp_path / "out" / "report.html"
    with pytest.raises(ValueError, match="broken"):
        write_report([make_result(charts=[bad])], target)
    assert not target.exists()
    assert not list(tmp_path.rglob("*.tmp"))

    # an earlier report is not clobbered by a failed run
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("previous", encoding="utf-8")
    with pytest.raises(ValueError):
        write_report([make_result(charts=[bad])], target)
    assert target.read_text(encoding="utf-8") == "previous"
    assert not list(tmp_path.rglob("*.tmp"))


def test_no_results_is_an_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError):
        write_report([], tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_formatting_helpers() -> None:
    assert fmt_metric("total_return", -0.1234) == "-12.34%"
    assert fmt_metric("max_drawdown", -0.25) == "-25.00%"
    assert fmt_metric("win_rate", 0.4) == "40.00%"
    assert fmt_metric("final_equity", 12345.678) == "12,345.68"
    assert fmt_metric("trades", 1234) == "1,234"
    assert fmt_metric("sharpe", 1.23456) == "1.23"
    assert fmt_metric("max_drawdown_duration_ms", 2 * 86_400_000 + 3 * HOUR) == "2d 3h"
    assert fmt_metric("anything", None) == "—"
    assert fmt_time(T0) == "2024-01-01T00:00:00Z"
    assert fmt_time(T0 + 1) == "2024-01-01T00:00:00.001Z"
    assert fmt_number(65432.1) == "65,432.10"
    assert fmt_number(0.00001234) == "0.00001234"
    assert fmt_number(0.5) == "0.50"
