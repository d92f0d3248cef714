"""`tradeyard robustness`: is a backtest result believable? Two checks on one strategy.

    tradeyard robustness --strategy sma_cross --symbols BTCUSDT --from 2025-05-10 \\
        --param fast=20 --param slow=60 --cuts 5 --simulations 2000 --json robust.json

1. look-ahead: runs on all data and on data cut at `--cuts` points; any signal or fill before a
   cut that changes when the later bars are removed flags the strategy (exit code 1), naming the
   first differing signal's time.
2. Monte Carlo of trade order: the closed trades' PnL replayed in `--simulations` random orders
   (`--mode shuffle`) or resampled with replacement (`--mode bootstrap`); percentiles 5/50/95
   of max drawdown and final return.

Exit codes: 0 checks passed, 1 look-ahead found, 2 bad input (one `error: …` line).
Register it in `cli/main.py` with ``app.command()(robustness)``; until then
``python -m tradeyard.cli.robustness`` runs it on its own.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from tradeyard.cli.options import (
    DataOpt,
    FeeRateOpt,
    FromOpt,
    FundingOpt,
    IntervalOpt,
    JsonOpt,
    LeverageOpt,
    SymbolsOpt,
    ToOpt,
)
from tradeyard.errors import TradeyardError

__all__ = ["app", "robustness"]


def robustness(
    strategy: Annotated[str, typer.Option(help="Built-in strategy name, e.g. sma_cross.")],
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
    funding: FundingOpt = None,
    cuts: Annotated[int, typer.Option(help="Look-ahead: number of cut points (0: skip).")] = 5,
    simulations: Annotated[
        int, typer.Option(help="Monte Carlo paths of trade order (0: skip).")
    ] = 1000,
    mode: Annotated[
        str, typer.Option(help="shuffle (permute the trades) or bootstrap (resample them).")
    ] = "shuffle",
    seed: Annotated[int, typer.Option(help="Seed of the Monte Carlo generator.")] = 0,
    json_out: JsonOpt = None,
    quiet: Annotated[bool, typer.Option(help="No tables; only the exit code and errors.")] = False,
) -> None:
    """Check a strategy for look-ahead and its trades' drawdown for luck of the order."""
    out = Console()
    try:
        flagged = _run(
            out=out,
            cuts=cuts,
            simulations=simulations,
            mode=mode,
            seed=seed,
            json_out=json_out,
            quiet=quiet,
            strategy=strategy,
            data=data,
            symbols=symbols,
            interval=interval,
            start=from_,
            end=to,
            params=param or [],
            fee_rate=fee_rate,
            leverage=leverage,
            funding=funding,
        )
    except (TradeyardError, msgspec.ValidationError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise typer.Exit(code=2) from None
    if flagged:
        raise typer.Exit(code=1)


def _run(
    *,
    out: Console,
    cuts: int,
    simulations: int,
    mode: str,
    seed: int,
    json_out: Path | None,
    quiet: bool,
    **options: Any,
) -> bool:
    """Run the checks; True when look-ahead was found."""
    from tradeyard.backtest.runner import load_run_data, run_backtest
    from tradeyard.cli.output import write_atomic
    from tradeyard.cli.run_backtest import config_from_options
    from tradeyard.errors import ConfigError
    from tradeyard.research.lookahead import check_lookahead
    from tradeyard.research.montecarlo import MODES, trade_order_monte_carlo

    if cuts < 0 or simulations < 0:
        raise ConfigError("--cuts and --simulations must be >= 0 (0 skips that check)")
    if mode not in MODES:
        raise ConfigError(
            f"unknown mode {mode!r}: expected one of {', '.join(MODES)}", where="--mode"
        )
    cfg = config_from_options(config=None, **options)
    bars, funding = load_run_data(cfg)
    doc: dict[str, Any] = {"strategy": cfg.strategies[0].strategy}
    flagged = False
    if cuts:
        report = check_lookahead(cfg, bars, funding, cuts=cuts)
        flagged = not report.passed
        doc["lookahead"] = {"passed": report.passed, **msgspec.to_builtins(report)}
        if not quiet:
            _print_lookahead(out, report)
    if simulations:
        result = run_backtest(cfg, bars, funding, charts=False)[0]
        mc = trade_order_monte_carlo(
            [t.pnl for t in result.trades],
            result.starting_equity,
            simulations=simulations,
            seed=seed,
            mode=mode,
        )
        doc["monte_carlo"] = msgspec.to_builtins(mc)
        if not quiet:
            _print_monte_carlo(out, mc)
    if json_out is not None:
        write_atomic(json_out, msgspec.json.format(msgspec.json.encode(doc), indent=1) + b"\n")
        if not quiet:
            out.print(f"JSON: {json_out}")
    return flagged


def _time(ms: int) -> str:
    import numpy as np

    return str(np.datetime64(int(ms), "ms").astype("datetime64[s]")).replace("T", " ")


def _print_lookahead(out: Console, report: Any) -> None:
    table = Table(title=f"Look-ahead check — {report.strategy}")
    for name in ("cut (UTC)", "bars kept", "signals", "fills", "result"):
        table.add_column(name)
    for c in report.cuts:
        d = c.difference
        result = "same" if d is None else f"DIFFERS: {d.kind} at {_time(d.time)} ({d.symbol})"
        table.add_row(
            _time(c.cut), str(c.bars_kept), str(c.signals_compared), str(c.fills_compared), result
        )
    out.print(table)
    first = report.first_difference
    if first is None:
        out.print("look-ahead: none found (signals and fills before every cut are unchanged)")
    else:
        out.print(
            f"look-ahead: FOUND — first differing {first.kind} at {_time(first.time)} "
            f"({first.symbol})\n  with all data: {first.full or '(none)'}\n"
            f"  truncated:     {first.truncated or '(none)'}"
        )


def _print_monte_carlo(out: Console, mc: Any) -> None:
    table = Table(
        title=f"Monte Carlo of trade order — {mc.mode}, {mc.simulations} paths, {mc.trades} trades"
    )
    for name in ("", "observed", "p5", "p50", "p95"):
        table.add_column(name, justify="right")
    dd, ret = mc.max_drawdown, mc.final_return
    table.add_row(
        "max drawdown",
        f"{mc.observed_max_drawdown:.2%}",
        f"{dd.p5:.2%}",
        f"{dd.p50:.2%}",
        f"{dd.p95:.2%}",
    )
    table.add_row(
        "final return",
        f"{mc.observed_final_return:.2%}",
        f"{ret.p5:.2%}",
        f"{ret.p50:.2%}",
        f"{ret.p95:.2%}",
    )
    out.print(table)
    out.print(f"paths with a deeper drawdown than observed: {mc.worse_drawdown_share:.1%}")


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command()(robustness)

if __name__ == "__main__":
    app()
