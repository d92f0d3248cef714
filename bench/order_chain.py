"""The order chain's cost in a backtest: microseconds per order and per execution event.

What a backtest of an order-heavy strategy spends once bars are skipped is the chain a signal
sets off: Signal → Trader (sizing, margin check) → SubmitOrder → simulated venue (admission,
matching, fills, fees, liquidation prices) → OrderUpdate / Fill / PositionUpdate /
BalanceUpdate → Trader and Recorder. This script isolates it: each strategy runs twice on the
same 1M chained real BTCUSDT bars (bench/_chained.py), once as usual and once with a trader that
drops every signal (same bars visited up to the first order, no chain at all), and reports the
difference per order and per event. The events are counted in a third run with a journal on
`cmd.>` and `exec.>`.

The trader is the `funded` one of bench/_accounts.py by default (fixed 1,000 USDT positions on a
10 M USDT wallet), so every signal that changes the position is an order to the last bar;
`--account default` runs the command line's trader, whose wallet runs dry before the end.

Best of `--repeat` runs in one process (the machine's speed drifts; compare figures taken side
by side). Usage: python bench/order_chain.py [--bars N] [--strategy NAME] [--repeat K]
       [--account funded|default]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _accounts import ACCOUNTS, Account, bench_config


def _timed(cfg, bars, repeat: int) -> float:  # type: ignore[no-untyped-def]
    from tradeyard.backtest.runner import run_backtest

    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        run_backtest(cfg, bars, {}, charts=False)
        best = min(best, time.perf_counter() - t)
    return best


def measure(strategy: str, n: int, repeat: int, account: Account) -> dict[str, float]:
    from _chained import chained_series
    from tradeyard.backtest.runner import run_backtest
    from tradeyard.bots.trader import Trader

    bars = [chained_series("BTCUSDT", n)]
    cfg = bench_config(strategy, account)
    counts: Counter[str] = Counter()

    def count(_topic: str, event: object) -> None:
        counts[type(event).__name__] += 1

    run_backtest(cfg, bars, {}, charts=False, journal=count, journal_topics="exec.>")
    run_backtest(cfg, bars, {}, charts=False, journal=count, journal_topics="cmd.>")
    run_backtest(cfg, bars, {}, charts=False, journal=count, journal_topics="sig.>")
    full = _timed(cfg, bars, repeat)
    on_signal = Trader.on_signal
    Trader.on_signal = lambda self, sig: None  # type: ignore[method-assign]
    try:
        deaf = _timed(cfg, bars, repeat)
    finally:
        Trader.on_signal = on_signal  # type: ignore[method-assign]
    orders = counts["SubmitOrder"]
    events = sum(counts.values())
    chain = full - deaf
    return {
        "bars": n,
        "full_s": full,
        "no_orders_s": deaf,
        "signals": counts["Signal"],
        "orders": orders,
        "fills": counts["Fill"],
        "events": events,
        "us_per_order": chain / orders * 1e6 if orders else 0.0,
        "us_per_event": chain / events * 1e6 if events else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--strategy", default="all")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--account", default="funded", choices=ACCOUNTS)
    args = ap.parse_args()
    names = ["sma_cross", "bollinger_rv"] if args.strategy == "all" else [args.strategy]
    print(
        f"{'strategy':<14}{'bars':>11}{'full s':>8}{'no-order s':>11}{'signals':>9}{'orders':>8}"
        f"{'fills':>7}{'events':>8}{'µs/order':>10}{'µs/event':>10}"
    )
    for name in names:
        r = measure(name, args.bars, args.repeat, args.account)
        print(
            f"{name:<14}{r['bars']:>11,}{r['full_s']:>8.2f}{r['no_orders_s']:>11.2f}"
            f"{r['signals']:>9,}{r['orders']:>8,}{r['fills']:>7,}{r['events']:>8,}"
            f"{r['us_per_order']:>10.1f}{r['us_per_event']:>10.2f}"
        )


if __name__ == "__main__":
    main()
