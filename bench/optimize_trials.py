"""Optimisation throughput: trials per minute for sma_cross on one symbol x 7 days, 1 and 2 jobs.

Each trial is one backtest of the train part (70 % of the bars) plus optuna's sampling (TPE)
and storage bookkeeping. The study lives in memory with 1 job and in a journal file shared by
the worker processes with 2 jobs (what `tradeyard optimize` does without --storage).

Two rates per case:
  - overall: trials / wall time of the whole optimisation (worker start-up included);
  - steady:  trials finished after the first one / time from the first to the last (what a long
    study approaches: start-up, ~2-3 s per spawned worker here, is paid once).
Data loading and the final out-of-sample evaluation are not counted.

Usage: python bench/optimize_trials.py [--trials 300] [--symbol BTCUSDT] [--days 7] [--jobs 1,2]
"""

from __future__ import annotations

import argparse
import time

from tradeyard.backtest.runner import load_run_data
from tradeyard.cli.run_backtest import config_from_options
from tradeyard.marketdata import parse_time
from tradeyard.research.optimize import OptimizeSettings, run_optimize
from tradeyard.research.space import parse_space

SPACE = """
[params.fast]
low = 5
high = 60

[params.slow]
low = 20
high = 240
step = 5
"""
START = "2025-05-15"


def measure(trials: int, jobs: int, symbol: str, days: int, seed: int) -> dict[str, float]:
    end_ms = parse_time(START, "from") + days * 86_400_000 - 60_000  # type: ignore[operator]
    cfg = config_from_options(
        strategy="sma_cross",
        data=None,
        symbols=symbol,
        interval="1m",
        start=START,
        end=str(end_ms),
        params=[],
        fee_rate=None,
        leverage=1.0,
        config=None,
        funding=None,
    )
    bars, funding = load_run_data(cfg)
    space = parse_space(SPACE, "sma_cross")
    marks: list[tuple[float, int]] = []
    t0 = time.perf_counter()

    def progress(n: int) -> None:
        done = (marks[-1][1] if marks else 0) + n
        marks.append((time.perf_counter() - t0, done))

    settings = OptimizeSettings(trials=trials, jobs=jobs, seed=seed, top=1)
    outcome = run_optimize(cfg, bars, funding, space, settings, progress=progress)
    marks = [m for m in marks if m[1] > 0]
    t_last, n_last = marks[-1]
    t_first, n_first = marks[0]
    steady = (n_last - n_first) / (t_last - t_first) * 60 if t_last > t_first else float("nan")
    return {
        "jobs": jobs,
        "bars": sum(len(b) for b in bars),
        "trials": n_last,
        "pruned": outcome.counts.get("pruned", 0),
        "seconds": t_last,
        "overall": n_last / t_last * 60,
        "steady": steady,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--jobs", default="1,2", help="comma-separated job counts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = [
        measure(args.trials, int(j), args.symbol, args.days, args.seed)
        for j in args.jobs.split(",")
    ]
    print(f"sma_cross, {args.symbol}, {args.days} days of 1m bars, train = 70 %, TPE sampler")
    head = f"{'jobs':>4} {'bars':>7} {'trials':>6} {'pruned':>6} {'seconds':>8} "
    head += f"{'trials/min':>11} {'steady/min':>11}"
    print(head)
    for r in rows:
        print(
            f"{r['jobs']:>4} {r['bars']:>7} {r['trials']:>6} {r['pruned']:>6} "
            f"{r['seconds']:>8.1f} {r['overall']:>11.0f} {r['steady']:>11.0f}"
        )


if __name__ == "__main__":
    main()
