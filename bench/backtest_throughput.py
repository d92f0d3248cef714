"""Backtest throughput: bars per second and peak memory, for sma_cross and bollinger_rv.

Cases (each run in a fresh subprocess so peak RSS belongs to that case alone):
  (a) 1,000,000 one-minute bars of one symbol: real BTCUSDT bars laid end to end in time, each copy
      rescaled so that it opens where the previous one closed (real bar shapes, no price jumps);
  (b) the 15 symbols of the shared 2025 Binance set over their common 30-day window (needs
      ../shared/data; falls back to the 10 bundled symbols when it is absent, and says so).

Each case runs with two accounts (bench/_accounts.py): `default`, the command line's trader (95 %
of a 10,000 USDT wallet), which runs dry on the 1M chained bars before their end and then sends
no order, and `funded` (fixed 1,000 USDT positions on 10 M USDT), which trades to the last bar.
"last order" says where in the run's time span the last fill was.

Bars/s counts only the engine's run (data already in memory); load time is shown apart.
Usage: python bench/backtest_throughput.py [--case a|b|all] [--strategy NAME] [--bars N]
       [--account default|funded|all]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _accounts import ACCOUNTS, Account, bench_config, last_order_share  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "binance-usdm" / "1m"
SET_15 = (
    "AVAXUSDT",
    "BCHUSDT",
    "BNBUSDT",
    "BTCUSDT",
    "ENAUSDT",
    "ETCUSDT",
    "ETHUSDT",
    "LAYERUSDT",
    "LINKUSDT",
    "LTCUSDT",
    "SOLUSDT",
    "SUIUSDT",
    "XLMUSDT",
    "XMRUSDT",
    "XRPUSDT",
)
WINDOW = (1_746_373_020_000, 1_748_964_720_000)  # 2025-05-04 15:37 .. 2025-06-03 15:32 UTC


def chained(n: int):  # -> BarSeries
    """`n` one-minute bars: real BTCUSDT bars laid end to end, rescaled to join smoothly."""
    from _chained import chained_series

    return chained_series("BTCUSDT", n)


def basket_series():
    from tradeyard.marketdata import bundled_bars_dir, load_bars

    if all((SHARED / f"{s}.parquet").exists() for s in SET_15):
        bars = load_bars(SHARED, list(SET_15), start=WINDOW[0], end=WINDOW[1])
        return list(bars.values()), "15 symbols, shared 2025 set, common 30-day window"
    bars = load_bars(bundled_bars_dir())
    return list(bars.values()), "10 bundled symbols, 30 days (../shared/data not found)"


def run_case(case: str, strategy: str, n: int, account: Account) -> dict[str, object]:
    from tradeyard.backtest.runner import run_backtest

    t_load = time.perf_counter()
    if case == "a":
        bars, what = [chained(n)], f"{n:,} chained real BTCUSDT 1m bars"
    else:
        bars, what = basket_series()
    load_s = time.perf_counter() - t_load
    cfg = bench_config(strategy, account)
    t = time.perf_counter()
    results = run_backtest(cfg, bars, {}, charts=False)
    run_s = time.perf_counter() - t
    total = sum(len(b) for b in bars)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    first = min(int(b.open_time[0]) for b in bars)
    last = max(int(b.open_time[-1]) for b in bars)
    return {
        "case": case,
        "strategy": strategy,
        "account": account,
        "data": what,
        "bars": total,
        "seconds": round(run_s, 3),
        "bars_per_s": round(total / run_s),
        "load_s": round(load_s, 2),
        "peak_rss_mb": round(peak_mb, 1),
        "trades": int(results[0].metrics["trades"]),
        "fills": len(results[0].fills),
        "last_order": round(100 * last_order_share(results[0], first, last)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--case", default="all", choices=["a", "b", "all"])
    ap.add_argument("--strategy", default="all")
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--account", default="all", choices=[*ACCOUNTS, "all"])
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_case(args.case, args.strategy, args.bars, args.account)))
        return
    cases = ["a", "b"] if args.case == "all" else [args.case]
    strategies = ["sma_cross", "bollinger_rv"] if args.strategy == "all" else [args.strategy]
    accounts = ACCOUNTS if args.account == "all" else (args.account,)
    print(
        f"{'case':<5}{'strategy':<14}{'account':<9}{'bars':>11}{'seconds':>9}{'bars/s':>12}"
        f"{'peak RSS MB':>13}{'trades':>8}{'fills':>8}{'last order':>12}  data"
    )
    for case, strategy, account in ((c, s, a) for c in cases for s in strategies for a in accounts):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--case",
                case,
                "--strategy",
                strategy,
                "--bars",
                str(args.bars),
                "--account",
                account,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['case']:<5}{r['strategy']:<14}{r['account']:<9}{r['bars']:>11,}"
            f"{r['seconds']:>9}{r['bars_per_s']:>12,}{r['peak_rss_mb']:>13}{r['trades']:>8}"
            f"{r['fills']:>8}{r['last_order']:>11}%  {r['data']}"
        )


if __name__ == "__main__":
    main()
