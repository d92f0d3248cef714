"""How a bracket (take-profit + stop-loss) ends inside one bar, by the simulated venue's rules.

Strategies that keep their own view of a position use this so that view never drifts from what
the venue does: a bar that opens through the take-profit fills it at the open (before any stop);
otherwise, when the bar reaches both levels, the stop is assumed to have come first.
"""

from __future__ import annotations

from tradeyard.events import Bar

__all__ = ["bracket_exit"]


def bracket_exit(side: int, take_profit: float, stop_loss: float, bar: Bar) -> str | None:
    """ "take profit", "stop loss", or None when `bar` ends neither (side: +1 long, −1 short)."""
    if side > 0:
        gap_tp = bar.open >= take_profit
        stop_hit, tp_hit = bar.low <= stop_loss, bar.high >= take_profit
    else:
        gap_tp = bar.open <= take_profit
        stop_hit, tp_hit = bar.high >= stop_loss, bar.low <= take_profit
    if gap_tp:
        return "take profit"
    if stop_hit:
        return "stop loss"
    if tp_hit:
        return "take profit"
    return None
