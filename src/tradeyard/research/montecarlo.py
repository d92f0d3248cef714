"""Monte Carlo of trade order: how much of a backtest's drawdown was the luck of the sequence?

The closed trades' net PnL is replayed in random orders, each path starting from the run's
starting equity and adding the trades one after another (a fixed stake: money PnL as it was
booked, not rescaled to the equity of the moment). Two modes:

- ``shuffle``: each path is a permutation of the same trades. The final return is the same on
  every path (the sum does not depend on order); only the drawdown varies. This answers "with
  exactly these trades, how bad could the ride have been?".
- ``bootstrap``: each path draws as many trades with replacement. Final return varies too; this
  answers "with trades like these, what range of outcomes is plausible?".

Drawdown follows `backtest.metrics`: ``equity / running_peak − 1`` with the peak starting at the
starting equity, as a fraction ≤ 0 (−0.12 is a 12 % drawdown), floored at −1 (a path that loses
more than the account is ruined, not "more than 100 %" down). Percentile 5 of max drawdown is the
bad tail (most negative), percentile 95 the mild one.

A seeded ``numpy.random.Generator`` drives every draw, so the same inputs give the same report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec
import numpy as np

from tradeyard.errors import ConfigError

__all__ = [
    "MODES",
    "MonteCarloReport",
    "Percentiles",
    "max_drawdowns",
    "trade_order_monte_carlo",
]

MODES = ("shuffle", "bootstrap")
_PATHS_PER_BLOCK = 2_000  # paths simulated at once: bounds memory to ~block x trades floats


class Percentiles(msgspec.Struct, frozen=True):
    p5: float
    p50: float
    p95: float


class MonteCarloReport(msgspec.Struct, frozen=True):
    mode: Literal["shuffle", "bootstrap"]
    simulations: int
    trades: int
    seed: int
    starting_equity: float
    observed_max_drawdown: float
    """Max drawdown of the trades in their real order (fixed-stake, like the paths)."""
    observed_final_return: float
    max_drawdown: Percentiles
    final_return: Percentiles
    worse_drawdown_share: float
    """Share of paths whose max drawdown is deeper than the observed one."""


def max_drawdowns(paths_pnl: np.ndarray, starting_equity: float) -> np.ndarray:
    """Max drawdown (<= 0, floored at -1) of each row of trade PnLs added to `starting_equity`."""
    pnl = np.atleast_2d(np.asarray(paths_pnl, dtype=np.float64))
    start = np.full((pnl.shape[0], 1), float(starting_equity))
    equity = np.concatenate([start, start + np.cumsum(pnl, axis=1)], axis=1)
    peak = np.maximum.accumulate(equity, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, equity / np.where(peak > 0, peak, 1.0) - 1.0, -1.0)
    return np.maximum(dd.min(axis=1), -1.0)


def _percentiles(values: np.ndarray) -> Percentiles:
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return Percentiles(p5=float(p5), p50=float(p50), p95=float(p95))


def trade_order_monte_carlo(
    pnl: Sequence[float] | np.ndarray,
    starting_equity: float,
    simulations: int = 1_000,
    seed: int = 0,
    mode: str = "shuffle",
) -> MonteCarloReport:
    """Replay `pnl` (closed trades' net PnL, in their real order) in `simulations` random orders."""
    if mode not in MODES:
        raise ConfigError(
            f"unknown mode {mode!r}: expected one of {', '.join(MODES)}", where="--mode"
        )
    if simulations < 1:
        raise ConfigError(f"--simulations must be >= 1, was {simulations}", where="--simulations")
    if not starting_equity > 0:
        raise ConfigError(f"starting equity must be > 0, was {starting_equity}", where="venue")
    trades = np.asarray(pnl, dtype=np.float64)
    if trades.ndim != 1 or not np.all(np.isfinite(trades)):
        raise ConfigError("trade PnL must be a flat list of finite numbers", where="trades")
    observed_dd = float(max_drawdowns(trades, starting_equity)[0])
    observed_ret = float(trades.sum() / starting_equity)
    if trades.size == 0:
        zero = Percentiles(0.0, 0.0, 0.0)
        return MonteCarloReport(
            mode=mode,  # type: ignore[arg-type]
            simulations=simulations,
            trades=0,
            seed=seed,
            starting_equity=float(starting_equity),
            observed_max_drawdown=0.0,
            observed_final_return=0.0,
            max_drawdown=zero,
            final_return=zero,
            worse_drawdown_share=0.0,
        )
    rng = np.random.default_rng(seed)
    drawdowns = np.empty(simulations)
    returns = np.empty(simulations)
    for lo in range(0, simulations, _PATHS_PER_BLOCK):
        k = min(_PATHS_PER_BLOCK, simulations - lo)
        if mode == "shuffle":
            paths = rng.permuted(np.broadcast_to(trades, (k, trades.size)), axis=1)
        else:
            paths = rng.choice(trades, size=(k, trades.size), replace=True)
        drawdowns[lo : lo + k] = max_drawdowns(paths, starting_equity)
        returns[lo : lo + k] = paths.sum(axis=1) / starting_equity
    return MonteCarloReport(
        mode=mode,  # type: ignore[arg-type]
        simulations=simulations,
        trades=int(trades.size),
        seed=seed,
        starting_equity=float(starting_equity),
        observed_max_drawdown=observed_dd,
        observed_final_return=observed_ret,
        max_drawdown=_percentiles(drawdowns),
        final_return=_percentiles(returns),
        worse_drawdown_share=float(np.mean(drawdowns < observed_dd - 1e-12)),
    )
