"""What a trial is scored on, and how one parameter set is backtested on one window.

Objectives (all maximised, all computed from `compute_metrics` of the window's run):

- ``sharpe``: the daily Sharpe ratio (``metrics["sharpe"]``).
- ``return``: ``metrics["total_return"]``.
- ``return_over_drawdown``: ``total_return / max(|max_drawdown|, 0.001)``. The 0.1 % floor keeps a
  run that never dips from scoring infinity (metrics must stay finite) while still ranking it
  above any run of the same return that did dip.

Every window is run as its own backtest: a fresh account at the configured starting balance,
flat at the window's first bar, indicators warming up inside the window. That is exactly what
deploying the parameters at that moment would give, with nothing carried over from the bars the
optimiser saw, which is what makes a test window out of sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import numpy as np

from tradeyard.backtest.metrics import compute_metrics
from tradeyard.backtest.results import BacktestResult, EquityCurve
from tradeyard.backtest.runner import run_backtest
from tradeyard.config import BacktestConfig
from tradeyard.errors import ConfigError
from tradeyard.marketdata import BarSeries

__all__ = [
    "DRAWDOWN_FLOOR",
    "OBJECTIVES",
    "chain_results",
    "check_objective",
    "evaluate",
    "score",
    "with_params",
]

OBJECTIVES = ("sharpe", "return", "return_over_drawdown")
DRAWDOWN_FLOOR = 0.001


def check_objective(name: str) -> str:
    if name not in OBJECTIVES:
        raise ConfigError(
            f"unknown objective {name!r}: expected one of {', '.join(OBJECTIVES)}",
            where="--objective",
        )
    return name


def score(metrics: Mapping[str, float], objective: str) -> float:
    """The value a trial maximises (module doc)."""
    if objective == "sharpe":
        return float(metrics["sharpe"])
    if objective == "return":
        return float(metrics["total_return"])
    if objective == "return_over_drawdown":
        drawdown = max(abs(float(metrics["max_drawdown"])), DRAWDOWN_FLOOR)
        return float(metrics["total_return"]) / drawdown
    check_objective(objective)
    raise AssertionError("unreachable")


def with_params(cfg: BacktestConfig, params: Mapping[str, Any]) -> BacktestConfig:
    """`cfg` with the single strategy's parameters updated by `params`."""
    if len(cfg.strategies) != 1:
        raise ConfigError(
            f"optimisation needs exactly one strategy, the config has {len(cfg.strategies)}",
            where="strategies",
        )
    s = cfg.strategies[0]
    new = msgspec.structs.replace(s, params={**s.params, **params})
    return msgspec.structs.replace(cfg, strategies=[new])


def evaluate(
    cfg: BacktestConfig,
    params: Mapping[str, Any],
    bars: Sequence[BarSeries],
    funding: Mapping[str, list[tuple[int, float]]] | None,
    label: str,
    charts: bool = False,
) -> BacktestResult:
    """Backtest `params` on `bars` (one window) and return the first trader's result."""
    results = run_backtest(with_params(cfg, params), list(bars), dict(funding or {}), charts=charts)
    result = results[0]
    result.label = label
    return result


def chain_results(results: Sequence[BacktestResult], label: str) -> BacktestResult:
    """Consecutive windows' runs as one out-of-sample run, compounding window after window.

    Each window started its own account at the same balance; window k's equity (and its
    trades' money amounts) is scaled by the equity the previous windows ended with over that
    balance, as if the account had carried on. Exposure is weighted by each window's samples.
    """
    if not results:
        raise ValueError("chain_results needs at least one result")
    start = float(results[0].starting_equity)
    times: list[np.ndarray] = []
    equity: list[np.ndarray] = []
    trades = []
    fees = funding = exposed = 0.0
    samples = bars = 0
    scale = 1.0
    for r in results:
        curve = np.asarray(r.equity.equity, dtype=np.float64)
        times.append(np.asarray(r.equity.times, dtype=np.int64))
        equity.append(curve * scale)
        for t in r.trades:
            trades.append(
                msgspec.structs.replace(
                    t, pnl=t.pnl * scale, fees=t.fees * scale, funding=t.funding * scale
                )
            )
        fees += r.fees_paid * scale
        funding += r.funding_paid * scale
        exposed += r.exposure * curve.size
        samples += curve.size
        bars += r.bars_processed
        if curve.size and r.starting_equity:
            scale *= float(curve[-1]) / float(r.starting_equity)
    out = BacktestResult(
        label=label,
        starting_equity=start,
        equity=EquityCurve(times=np.concatenate(times), equity=np.concatenate(equity)),
        trades=trades,
        fills=[],
        orders=[],
        fees_paid=fees,
        funding_paid=funding,
        exposure=exposed / samples if samples else 0.0,
        bars_processed=bars,
        parameters={"windows": [r.parameters for r in results]},
    )
    out.metrics = compute_metrics(out)
    return out
