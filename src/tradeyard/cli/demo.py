"""`tradeyard demo`: the main job on embedded defaults.

Two signal bots on bundled real Binance USDⓈ-M 1m data (BTC, ETH, SOL; two weeks): the
reference SMA cross, and the Bollinger + realized-volatility mean reversion on BTCUSDT. Two
traders, each with its own simulated account, follow them. Everything runs in one process on
the in-process bus against the simulated venue, and ends in one HTML report comparing both.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from tradeyard.backtest.report import write_report
from tradeyard.backtest.runner import load_run_data, run_backtest
from tradeyard.cli.output import result_json, write_atomic
from tradeyard.cli.progress import bar_progress
from tradeyard.cli.summary import summary_table, untraded_lines
from tradeyard.config import parse_config

__all__ = ["DEMO_CONFIG", "run_demo"]

DEMO_CONFIG = """
seed = 7

[data]
symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
from = "2025-05-15"
to = "2025-05-29"

[venue]
name = "sim"
maker_fee = 0.0002
taker_fee = 0.0005
starting_balance = 10000

[[strategies]]
id = "trend"
strategy = "sma_cross"
params = { fast = 60, slow = 240 }

[[strategies]]
id = "meanrev"
strategy = "bollinger_rv"
symbols = ["BTCUSDT"]

[[traders]]
id = "trend_trader"
follows = { trend = 1.0 }
sizing = { mode = "equity_fraction", fraction = 0.3 }
leverage = 1

[[traders]]
id = "meanrev_trader"
follows = { meanrev = 1.0 }
sizing = { mode = "equity_fraction", fraction = 0.9 }
leverage = 2
"""


def run_demo(report: Path, json_out: Path | None, console: Console, out: Console) -> None:
    cfg = parse_config(DEMO_CONFIG, source="demo config")
    bars, funding = load_run_data(cfg)
    total = sum(len(b) for b in bars)
    with bar_progress(total, "demo backtest", console) as advance:
        results = run_backtest(cfg, bars, funding, progress=advance)
    write_report(results, report, title="tradeyard demo: sma_cross and bollinger_rv on Binance 1m")
    if json_out is not None:
        write_atomic(json_out, result_json(results))
    out.print(summary_table(results))
    for line in untraded_lines(results):
        out.print(line, markup=False, highlight=False)
    out.print(
        f"{total:,} bars of {', '.join(b.symbol for b in bars)} "
        f"({bars[0].interval}, bundled Binance USDⓈ-M data)"
    )
    out.print(f"report: {report.resolve()}")
