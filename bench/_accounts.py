"""The two accounts the backtest benchmarks run a strategy with.

- `default`: what `tradeyard backtest` does without a config: one trader holding 95 % of a
  10,000 USDT wallet. On the 1M chained bars both built-in strategies lose that wallet to fees
  long before the end (sma_cross after ≈35 % of the bars, bollinger_rv after ≈75 %): past that
  point the position rounds to nothing and no order goes out, so the run is cheaper than a
  strategy that keeps trading.
- `funded`: fixed 1,000 USDT positions on a 10,000,000 USDT wallet. The trader acts on every
  signal to the last bar: the cost of the strategy at its own order rate.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

Account = Literal["default", "funded"]
ACCOUNTS: tuple[Account, ...] = ("default", "funded")


def bench_config(strategy: str, account: Account) -> Any:  # -> BacktestConfig
    from tradeyard.config import BacktestConfig
    from tradeyard.config.load import validate

    raw: dict[str, Any] = {"strategies": [{"id": strategy, "strategy": strategy}]}
    if account == "funded":
        raw["traders"] = [
            {
                "id": "trader",
                "follows": {strategy: 1.0},
                "sizing": {"mode": "fixed_notional", "notional": 1_000.0},
            }
        ]
        raw["venue"] = {"starting_balance": 10_000_000.0}
    return validate(msgspec.convert(raw, BacktestConfig))


def last_order_share(result: Any, first_time: int, last_time: int) -> float:
    """Where in the run (0..1 of its time span) the last order was filled."""
    if not result.fills or last_time <= first_time:
        return 0.0
    return (result.fills[-1].ts - first_time) / (last_time - first_time)
