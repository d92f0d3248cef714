"""`tradeyard optimize`: search a strategy's parameters with optuna, judged out of sample.

    tradeyard optimize --strategy sma_cross --space space.toml --symbols BTCUSDT \\
        --from 2025-05-10 --to 2025-05-20 --trials 200 --jobs 2 --walk-forward 3 \\
        --json out.json --report out.html

The options that pick data, fees and fixed parameters are the `backtest` command's, so a result
found here reruns there as `tradeyard backtest ... --param fast=.. --param slow=..`.
Register it in `cli/main.py` with ``app.command()(optimize)``; until then
``python -m tradeyard.cli.optimize`` runs it on its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

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
from tradeyard.errors import TradeyardError

__all__ = ["app", "optimize", "outcome_json"]


def optimize(
    strategy: Annotated[str, typer.Option(help="Built-in strategy name, e.g. sma_cross.")],
    space: Annotated[
        Path,
        typer.Option(
            help="TOML search space: a params.NAME table per parameter (low/high/step/log or choices)."
        ),
    ],
    data: DataOpt = None,
    symbols: SymbolsOpt = None,
    interval: IntervalOpt = "1m",
    from_: FromOpt = None,
    to: ToOpt = None,
    param: Annotated[
        list[str] | None,
        typer.Option(help="Fixed strategy parameter key=value (repeatable); not searched."),
    ] = None,
    fee_rate: FeeRateOpt = None,
    leverage: LeverageOpt = 1.0,
    funding: FundingOpt = None,
    trials: Annotated[
        int, typer.Option(help="Target number of trials per study (a resumed study is topped up).")
    ] = 100,
    jobs: Annotated[int, typer.Option(help="Worker processes sharing the study.")] = 1,
    storage: Annotated[
        str | None,
        typer.Option(
            help="Study storage: postgresql://user:pw@host/db (several machines, resumable), "
            "sqlite:///file.db, or a journal file path. Default: temporary."
        ),
    ] = None,
    study: Annotated[
        str | None, typer.Option(help="Study name (default: derived from the search).")
    ] = None,
    objective: Annotated[
        str, typer.Option(help="sharpe, return or return_over_drawdown (on the train part).")
    ] = "sharpe",
    split: Annotated[
        float, typer.Option(help="Train share of the bars, by time; the rest is the test part.")
    ] = 0.7,
    walk_forward: Annotated[
        int | None, typer.Option(help="K rolling folds: optimise on each train, judge on its test.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Sampler seed; worker w uses seed + w.")] = 0,
    json_out: JsonOpt = None,
    report: ReportOpt = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar or tables.")] = False,
) -> None:
    """Optimise a strategy's parameters on a train window and report them out of sample."""
    console = Console(stderr=True)
    out = Console()
    try:
        _run(
            console=console,
            out=out,
            strategy=strategy,
            space=space,
            data=data,
            symbols=symbols,
            interval=interval,
            start=from_,
            end=to,
            params=param or [],
            fee_rate=fee_rate,
            leverage=leverage,
            funding=funding,
            trials=trials,
            jobs=jobs,
            storage=storage,
            study=study,
            objective=objective,
            split=split,
            walk_forward=walk_forward,
            seed=seed,
            json_out=json_out,
            report=report,
            quiet=quiet,
        )
    except (TradeyardError, msgspec.ValidationError) as e:
        # One plain line on stderr, as every tradeyard command does.
        print(f"error: {e}", file=sys.stderr)
        raise typer.Exit(code=2) from None


def _run(
    *,
    console: Console,
    out: Console,
    space: Path,
    trials: int,
    jobs: int,
    storage: str | None,
    study: str | None,
    objective: str,
    split: float,
    walk_forward: int | None,
    seed: int,
    json_out: Path | None,
    report: Path | None,
    quiet: bool,
    **options: Any,
) -> None:
    from tradeyard.backtest.runner import load_run_data
    from tradeyard.cli.output import write_atomic
    from tradeyard.cli.run_backtest import config_from_options
    from tradeyard.research.optimize import OptimizeSettings, run_optimize
    from tradeyard.research.space import load_space

    settings = OptimizeSettings(
        trials=trials,
        jobs=jobs,
        objective=objective,
        split=split,
        walk_forward=walk_forward,
        storage=storage,
        study=study,
        seed=seed,
    ).check()
    cfg = config_from_options(config=None, **options)
    search = load_space(space, cfg.strategies[0].strategy)
    bars, funding = load_run_data(cfg)
    total = trials * (walk_forward or 1)
    with _trial_progress(total, console, quiet) as advance:
        outcome = run_optimize(
            cfg, bars, funding, search, settings, progress=advance, charts=report is not None
        )
    if json_out is not None:
        write_atomic(json_out, outcome_json(outcome))
    if report is not None:
        from tradeyard.research.report import render_optimize_report

        title = f"tradeyard optimize: {outcome.strategy} ({settings.objective})"
        write_atomic(report, render_optimize_report(outcome, title).encode("utf-8"))
    if not quiet:
        _print_outcome(out, outcome)
        if json_out is not None:
            out.print(f"JSON:   {json_out}")
        if report is not None:
            out.print(f"report: {report}")


@contextmanager
def _trial_progress(total: int, console: Console, quiet: bool) -> Iterator[Callable[[int], None]]:
    if quiet:
        yield lambda _n: None
        return
    with Progress(
        TextColumn("[bold]optimize"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("trials"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("optimize", total=total)
        yield lambda n: progress.advance(task, n)


_PCT = {"total_return", "max_drawdown", "win_rate"}


def _fmt(key: str, value: float) -> str:
    if key in _PCT:
        return f"{value:.2%}"
    if key == "trades":
        return f"{int(value)}"
    return f"{value:,.3g}"


def _time(ms: int) -> str:
    import numpy as np

    return str(np.datetime64(int(ms), "ms").astype("datetime64[m]")).replace("T", " ")


def _print_outcome(out: Console, outcome: Any) -> None:
    from tradeyard.cli.summary import summary_table

    counts = outcome.counts
    for fold in outcome.folds:
        table = Table(title=f"Top trials — {fold.study_name} (objective on train)")
        table.add_column("#", justify="right")
        table.add_column("params", no_wrap=True)
        table.add_column(outcome.settings.objective, justify="right")
        for name in ("train return", "test return", "test sharpe", "test max dd", "test trades"):
            table.add_column(name, justify="right")
        for row in fold.top:
            table.add_row(
                str(row.number),
                ", ".join(
                    f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in row.params.items()
                ),
                f"{row.value:,.3g}",
                _fmt("total_return", row.train.get("total_return", 0.0)),
                _fmt("total_return", row.test.get("total_return", 0.0)),
                _fmt("sharpe", row.test.get("sharpe", 0.0)),
                _fmt("max_drawdown", row.test.get("max_drawdown", 0.0)),
                _fmt("trades", row.test.get("trades", 0.0)),
            )
        out.print(table)
    if len(outcome.folds) > 1:
        folds = Table(title="Walk-forward folds (rolling)")
        for name in ("fold", "train (UTC)", "test (UTC)", "best params", "test return"):
            folds.add_column(name, no_wrap=True)
        for f in outcome.folds:
            w = f.window
            folds.add_row(
                str(w.fold + 1),
                f"{_time(w.train_start)} → {_time(w.train_end)}",
                f"{_time(w.test_start)} → {_time(w.test_end)}",
                ", ".join(f"{k}={v}" for k, v in f.best_params.items()),
                f"{f.test.metrics['total_return']:.2%}",
            )
        out.print(folds)
        out.print(summary_table([outcome.out_of_sample, *(f.test for f in outcome.folds)]))
    else:
        fold = outcome.folds[0]
        out.print(summary_table([fold.train, fold.test]))
    out.print(
        f"trials: {counts.get('complete', 0)} complete, {counts.get('pruned', 0)} pruned "
        f"(invalid parameter combinations), {counts.get('failed', 0)} failed"
    )


def outcome_json(outcome: Any) -> bytes:
    """The outcome as JSON: settings, trial counts, per-fold best / top trials, OOS metrics."""
    from tradeyard.research.storage import mask_url

    settings = msgspec.to_builtins(outcome.settings)
    if settings.get("storage"):
        settings["storage"] = mask_url(settings["storage"])
    doc = {
        "strategy": outcome.strategy,
        "settings": settings,
        "space": outcome.space.describe(),
        "fixed_params": outcome.fixed_params,
        "trials": outcome.counts,
        "folds": [
            {
                "fold": f.window.fold + 1,
                "study": f.study_name,
                "train": {"from": f.window.train_start, "to": f.window.train_end},
                "test": {"from": f.window.test_start, "to": f.window.test_end},
                "trials": f.counts,
                "best_params": f.best_params,
                "best_value": f.best_value,
                "train_metrics": dict(f.train.metrics),
                "test_metrics": dict(f.test.metrics),
                "top_trials": msgspec.to_builtins(f.top),
            }
            for f in outcome.folds
        ],
        "out_of_sample": dict(outcome.out_of_sample.metrics),
    }
    return msgspec.json.format(msgspec.json.encode(doc), indent=1) + b"\n"


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command()(optimize)

if __name__ == "__main__":
    app()
