"""Performance metrics of one backtest run.

`compute_metrics` is pure and deterministic: the same `BacktestResult` always gives the same dict,
with the same keys in the same order (`METRIC_KEYS`). Nothing is rounded; formatting is the
caller's job. Every value is finite, so the dict can always be written as JSON.

Definitions (returns are fractions: 0.05 means +5 %):

- ``starting_equity``: ``result.starting_equity``.
- ``final_equity``: last point of the equity curve (``starting_equity`` if the curve is empty).
- ``total_return``: ``final_equity / starting_equity - 1``.
- ``cagr``: ``(final_equity / starting_equity) ** (1 / years) - 1`` where ``years`` is the span
  between the curve's first and last timestamp in 365-day years. 0.0 when the span is shorter
  than one day (annualising a few hours gives meaningless numbers); -1.0 when the final equity is
  <= 0; capped at ``CAGR_CAP`` instead of overflowing.
- ``max_drawdown``: the most negative ``equity / running_peak - 1`` (<= 0, e.g. -0.12). The
  running peak starts at ``starting_equity``, so a curve that opens below it is in drawdown.
- ``max_drawdown_duration_ms``: longest time from a peak to the first point back at or above it
  (or to the end of the curve if it never recovers).
- ``sharpe`` / ``sortino``: from daily returns. The curve is resampled to the last equity of each
  UTC day (days without a point carry the previous day's equity, i.e. a 0 return); the first
  day's return is relative to ``starting_equity``. Sharpe = ``mean / std(ddof=1) * sqrt(365)``,
  Sortino = ``mean / sqrt(mean(min(r, 0) ** 2)) * sqrt(365)`` over all days, risk-free rate 0.
  Both are 0.0 with fewer than 2 daily returns or a (near) zero deviation — including a Sortino
  with no losing day.
- ``win_rate``: trades with ``pnl > 0`` / trades (0.0 without trades).
- ``profit_factor``: gross profit / |gross loss|, capped at ``PROFIT_FACTOR_CAP`` (999.0), which
  is also the value when there are winners but no losers. 0.0 without trades or without profit.
- ``avg_trade_pnl``, ``best_trade``, ``worst_trade``: mean / max / min net trade PnL (0.0 without
  trades).
- ``trades``: number of closed trades (an ``int``).
- ``signals_skipped``: signals that asked for a position change the trader could not order
  (below one quantity step, the exchange's minimums, margin, ...; ``result.skipped``).
- ``bars``: ``result.bars_processed`` (an ``int``).
- ``exposure``, ``fees_paid``, ``funding_paid``: copied from the result.
"""

from __future__ import annotations

import math

import numpy as np

from tradeyard.backtest.results import BacktestResult

__all__ = [
    "CAGR_CAP",
    "METRIC_KEYS",
    "PROFIT_FACTOR_CAP",
    "compute_metrics",
    "daily_returns",
    "drawdown_series",
]

DAY_MS = 86_400_000
YEAR_MS = 365 * DAY_MS
PERIODS_PER_YEAR = 365
PROFIT_FACTOR_CAP = 999.0
CAGR_CAP = 1e12
_MIN_DEVIATION = 1e-12  # a daily-return deviation below this is float noise, treated as zero

METRIC_KEYS: tuple[str, ...] = (
    "starting_equity",
    "final_equity",
    "total_return",
    "cagr",
    "max_drawdown",
    "max_drawdown_duration_ms",
    "sharpe",
    "sortino",
    "win_rate",
    "profit_factor",
    "avg_trade_pnl",
    "best_trade",
    "worst_trade",
    "trades",
    "signals_skipped",
    "exposure",
    "fees_paid",
    "funding_paid",
    "bars",
)


def _finite(value: float) -> float:
    """`value` as a plain Python float, with NaN/inf replaced by 0.0 (JSON must stay valid)."""
    out = float(value)
    return out if math.isfinite(out) else 0.0


def _curve_arrays(result: BacktestResult) -> tuple[np.ndarray, np.ndarray]:
    times = np.asarray(result.equity.times, dtype=np.int64)
    equity = np.asarray(result.equity.equity, dtype=np.float64)
    if times.shape != equity.shape or times.ndim != 1:
        raise ValueError(
            f"equity curve times {times.shape} and equity {equity.shape} must be 1-D and equal"
        )
    return times, equity


def drawdown_series(equity: np.ndarray, starting_equity: float) -> np.ndarray:
    """``equity / running_peak - 1`` per point (<= 0); the running peak starts at
    ``starting_equity``. Points where the peak is <= 0 get 0."""
    equity = np.asarray(equity, dtype=np.float64)
    if equity.size == 0:
        return np.zeros(0)
    peak = np.maximum.accumulate(np.concatenate(([float(starting_equity)], equity)))[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, equity / np.where(peak > 0, peak, 1.0) - 1.0, 0.0)
    return np.minimum(dd, 0.0)


def _max_drawdown_duration_ms(times: np.ndarray, equity: np.ndarray, start: float) -> int:
    if equity.size == 0:
        return 0
    peak = np.maximum.accumulate(np.concatenate(([float(start)], equity)))[1:]
    at_high = equity >= peak
    idx = np.arange(equity.size)
    # index of the point that set the current peak (0 while the peak is still `start`)
    peak_idx = np.maximum.accumulate(np.where(at_high, idx, 0))
    peak_time = times[peak_idx]
    under = ~at_high
    best = int(np.max(np.where(under, times - peak_time, 0)))
    # a recovery point closes the drawdown that started at the previous peak
    if equity.size > 1:
        recovered = at_high[1:] & under[:-1]
        if recovered.any():
            spans = times[1:][recovered] - peak_time[:-1][recovered]
            best = max(best, int(spans.max()))
    return best


def daily_returns(times: np.ndarray, equity: np.ndarray, starting_equity: float) -> np.ndarray:
    """Returns of the curve resampled to the last equity of each UTC day.

    Days between the first and last point with no equity point carry the previous day's equity.
    The first day's return is relative to ``starting_equity``.
    """
    times = np.asarray(times, dtype=np.int64)
    equity = np.asarray(equity, dtype=np.float64)
    if equity.size == 0:
        return np.zeros(0)
    order = np.argsort(times, kind="stable")
    times, equity = times[order], equity[order]
    days = times // DAY_MS
    first_day = int(days[0])
    n_days = int(days[-1]) - first_day + 1
    # last point of each day that has points
    last_of_day = np.flatnonzero(np.append(days[1:] != days[:-1], True))
    slot = days[last_of_day] - first_day
    filled = np.zeros(n_days, dtype=np.int64)
    filled[slot] = last_of_day
    has = np.zeros(n_days, dtype=bool)
    has[slot] = True
    # forward-fill day -> index of the last point at or before that day
    src = np.maximum.accumulate(np.where(has, np.arange(n_days), 0))
    daily_equity = equity[filled[src]]
    prev = np.concatenate(([float(starting_equity)], daily_equity[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        rets = np.where(prev != 0, daily_equity / np.where(prev != 0, prev, 1.0) - 1.0, 0.0)
    return rets


def _sharpe_sortino(rets: np.ndarray) -> tuple[float, float]:
    if rets.size < 2:
        return 0.0, 0.0
    mean = float(np.mean(rets))
    std = float(np.std(rets, ddof=1))
    downside = float(np.sqrt(np.mean(np.minimum(rets, 0.0) ** 2)))
    scale = math.sqrt(PERIODS_PER_YEAR)
    sharpe = mean / std * scale if std > _MIN_DEVIATION else 0.0
    sortino = mean / downside * scale if downside > _MIN_DEVIATION else 0.0
    return _finite(sharpe), _finite(sortino)


def _cagr(start: float, final: float, span_ms: int) -> float:
    if start <= 0 or span_ms < DAY_MS:
        return 0.0
    if final <= 0:
        return -1.0
    exponent = math.log(final / start) / (span_ms / YEAR_MS)
    if exponent > math.log1p(CAGR_CAP):
        return CAGR_CAP
    return math.expm1(exponent)


def compute_metrics(result: BacktestResult) -> dict[str, float]:
    """Summary statistics of one run, keyed and ordered as `METRIC_KEYS` (see module docstring)."""
    times, equity = _curve_arrays(result)
    start = float(result.starting_equity)
    final = float(equity[-1]) if equity.size else start
    total_return = final / start - 1.0 if start != 0 else 0.0
    span_ms = int(times.max() - times.min()) if times.size else 0

    dd = drawdown_series(equity, start)
    max_dd = float(dd.min()) if dd.size else 0.0
    sharpe, sortino = _sharpe_sortino(daily_returns(times, equity, start))

    pnl = np.array([t.pnl for t in result.trades], dtype=np.float64)
    n_trades = int(pnl.size)
    if n_trades:
        gross_profit = float(pnl[pnl > 0].sum())
        gross_loss = float(-pnl[pnl < 0].sum())
        win_rate = float(np.count_nonzero(pnl > 0)) / n_trades
        if gross_profit <= 0:
            profit_factor = 0.0
        elif gross_loss <= 0:
            profit_factor = PROFIT_FACTOR_CAP
        else:
            profit_factor = min(gross_profit / gross_loss, PROFIT_FACTOR_CAP)
        avg_pnl, best, worst = float(pnl.mean()), float(pnl.max()), float(pnl.min())
    else:
        win_rate = profit_factor = avg_pnl = best = worst = 0.0

    out: dict[str, float] = {}
    out["starting_equity"] = _finite(start)
    out["final_equity"] = _finite(final)
    out["total_return"] = _finite(total_return)
    out["cagr"] = _finite(_cagr(start, final, span_ms))
    out["max_drawdown"] = _finite(max_dd)
    out["max_drawdown_duration_ms"] = float(_max_drawdown_duration_ms(times, equity, start))
    out["sharpe"] = sharpe
    out["sortino"] = sortino
    out["win_rate"] = _finite(win_rate)
    out["profit_factor"] = _finite(profit_factor)
    out["avg_trade_pnl"] = _finite(avg_pnl)
    out["best_trade"] = _finite(best)
    out["worst_trade"] = _finite(worst)
    out["trades"] = n_trades
    out["signals_skipped"] = sum(s.count for s in result.skipped)
    out["exposure"] = _finite(result.exposure)
    out["fees_paid"] = _finite(result.fees_paid)
    out["funding_paid"] = _finite(result.funding_paid)
    out["bars"] = int(result.bars_processed)
    return out
