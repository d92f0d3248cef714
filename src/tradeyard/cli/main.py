"""The `tradeyard` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console

from tradeyard import __version__
from tradeyard.cli.fake_exchange import fake_exchange_command
from tradeyard.cli.optimize import optimize
from tradeyard.cli.options import (
    DataOpt,
    FeeRateOpt,
    FromOpt,
    FundingOpt,
    IntervalOpt,
    JsonOpt,
    LeverageOpt,
    ReportOpt,
    SymbolsOpt,
    ToOpt,
)
from tradeyard.cli.robustness import robustness
from tradeyard.cli.run import run_command
from tradeyard.errors import TradeyardError

app = typer.Typer(
    help="tradeyard: run many crypto trading bots — backtest, paper, live.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(optimize)
app.command()(robustness)
app.command("fake-exchange")(fake_exchange_command)
app.command("run")(run_command)
console = Console(stderr=True)
out = Console()


def _fail(e: Exception) -> None:
    # One plain line on stderr: easy to read, easy to grep, never wrapped by rich.
    print(f"error: {e}", file=sys.stderr)
    raise typer.Exit(code=2)


@app.command()
def backtest(
    strategy: Annotated[
        str | None, typer.Option(help="Built-in strategy name, e.g. sma_cross.")
    ] = None,
    data: DataOpt = None,
    symbols: SymbolsOpt = None,
    interval: IntervalOpt = "1m",
    from_: FromOpt = None,
    to: ToOpt = None,
    param: Annotated[
        list[str] | None, typer.Option(help="Strategy parameter key=value (repeatable).")
    ] = None,
    fee_rate: FeeRateOpt = None,
    leverage: LeverageOpt = 1.0,
    json_out: JsonOpt = None,
    report: ReportOpt = None,
    config: Annotated[
        Path | None, typer.Option(help="A TOML config describing strategies, traders and venue.")
    ] = None,
    funding: FundingOpt = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar or table.")] = False,
    stream: Annotated[
        bool,
        typer.Option(
            help="Read the Parquet files in batches during the run: memory stays "
            "flat however long the history (the report then has no candle charts)."
        ),
    ] = False,
) -> None:
    """Backtest a strategy (or a config of many bots) on historical bars."""
    from tradeyard.cli.run_backtest import run_cli_backtest

    try:
        run_cli_backtest(
            strategy=strategy,
            data=data,
            symbols=symbols,
            interval=interval,
            start=from_,
            end=to,
            params=param or [],
            fee_rate=fee_rate,
            leverage=leverage,
            json_out=json_out,
            report=report,
            config=config,
            funding=funding,
            quiet=quiet,
            stream=stream,
            console=console,
            out=out,
        )
    except (TradeyardError, msgspec.ValidationError) as e:
        _fail(e)


@app.command()
def demo(
    report: Annotated[Path, typer.Option(help="Where to write the HTML report.")] = Path(
        "tradeyard-demo-report.html"
    ),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write metrics and trades as JSON.")
    ] = None,
) -> None:
    """Run the main job on embedded defaults: bundled real Binance data, two strategies, two traders."""
    from tradeyard.cli.demo import run_demo

    try:
        run_demo(report=report, json_out=json_out, console=console, out=out)
    except TradeyardError as e:
        _fail(e)


@app.command()
def strategies() -> None:
    """List the built-in strategies and their parameters."""
    from tradeyard.strategies import REGISTRY

    for name, cls in sorted(REGISTRY.items()):
        fields = msgspec.structs.fields(cls.Params)
        out.print(f"[bold]{name}[/]  " + ", ".join(f"{f.name}={f.default!r}" for f in fields))


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)
