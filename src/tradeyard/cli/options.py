"""Options several commands share (backtest, optimize, robustness): one definition, one help text."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "DataOpt",
    "FeeRateOpt",
    "FromOpt",
    "FundingOpt",
    "IntervalOpt",
    "JsonOpt",
    "LeverageOpt",
    "ReportOpt",
    "SymbolsOpt",
    "ToOpt",
]

DataOpt = Annotated[
    Path | None,
    typer.Option(
        help="A .parquet file or folder of <SYMBOL>.parquet (Binance kline columns). "
        "Default: the bundled data."
    ),
]
SymbolsOpt = Annotated[
    str | None, typer.Option(help="Comma-separated symbols, e.g. BTCUSDT,ETHUSDT.")
]
IntervalOpt = Annotated[
    str,
    typer.Option(
        help="Bar interval of the data. A strategy trading a coarser interval (a multiple) gets "
        "it aggregated; one trading a finer interval trades these bars."
    ),
]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="First open time (UTC date/time or ms).")
]
ToOpt = Annotated[str | None, typer.Option(help="Last open time (UTC date/time or ms).")]
FeeRateOpt = Annotated[
    float | None, typer.Option(help="Fee rate for maker and taker fills, e.g. 0.0004.")
]
LeverageOpt = Annotated[float, typer.Option(help="Trader leverage.")]
FundingOpt = Annotated[Path | None, typer.Option(help="Folder of <SYMBOL>.parquet funding rates.")]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Write the results as JSON here.")]
ReportOpt = Annotated[Path | None, typer.Option(help="Write the HTML report here.")]
