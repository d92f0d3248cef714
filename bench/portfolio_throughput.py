"""Portfolio backtest throughput: volatility_breakout on ten symbols, equal weight, 2x leverage,
with fees and funding, over one month and one year of 1m bars (5.26 M bars for the year).

The bars are real bundled Binance bars laid end to end in time (bench/_chained.py) and streamed
in one-week windows, so the input never sits in memory whole. Each case runs in a fresh
subprocess; peak RSS is that process's. Compare the month and the year: memory must not grow
with the length of history (only the result records do: 8 bytes per equity point).
Usage: python bench/portfolio_throughput.py [--days 30,365]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

SYMBOLS = (
    "BTCUSDT",
    "ETHUSDT",
    "SOLUSDT",
    "XRPUSDT",
    "BNBUSDT",
    "LTCUSDT",
    "LINKUSDT",
    "AVAXUSDT",
    "BCHUSDT",
    "SUIUSDT",
)


def run_case(days: int) -> dict[str, object]:
    from _chained import ChainedSource
    from tradeyard.backtest.runner import run_backtest
    from tradeyard.bots import EqualWeight
    from tradeyard.config import BacktestConfig, StrategyConfig, TraderConfig
    from tradeyard.config.load import validate

    source = ChainedSource(SYMBOLS, days * 1440)
    funding = source.funding()
    cfg = validate(
        BacktestConfig(
            strategies=[StrategyConfig(id="vb", strategy="volatility_breakout")],
            traders=[
                TraderConfig(id="t", follows={"vb": 1.0}, allocation=EqualWeight(), leverage=2.0)
            ],
        )
    )
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    (result,) = run_backtest(cfg, source, funding, charts=False)
    seconds = time.perf_counter() - t
    bars = len(SYMBOLS) * days * 1440
    return {
        "days": days,
        "bars": bars,
        "seconds": round(seconds, 2),
        "bars_per_s": round(bars / seconds),
        "rss_before_mb": round(rss0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "trades": int(result.metrics["trades"]),
        "fees": round(result.fees_paid, 2),
        "funding": round(result.funding_paid, 2),
        "max_leverage": round(result.metrics["max_leverage"], 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--days", default="30,365")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child)))
        return
    print(
        f"{'days':>5}{'bars':>12}{'seconds':>9}{'bars/s':>10}{'RSS before':>12}{'peak RSS':>10}"
        f"{'trades':>8}{'fees':>10}{'funding':>9}{'max lev':>8}"
    )
    for days in (int(d) for d in args.days.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(days)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['days']:>5}{r['bars']:>12,}{r['seconds']:>9}{r['bars_per_s']:>10,}"
            f"{r['rss_before_mb']:>12}{r['peak_rss_mb']:>10}{r['trades']:>8}{r['fees']:>10}"
            f"{r['funding']:>9}{r['max_leverage']:>8}"
        )


if __name__ == "__main__":
    main()
