"""The entry price of a one-way position as fills change it: one rule for whoever keeps one
from fills (a restored trader's account, the order store's positions).

Volume-weighted over the fills that opened or increased the position since it was last flat.
A reducing fill leaves it unchanged (it realizes PnL at the old entry); a fill that crosses
zero closes the position and opens the remainder at its own price; a fill that makes it flat
forgets it. This is how Binance and Bybit (one-way mode) report `entryPrice`, and how the
simulated venue books fills (`venues.sim.account.Account.apply_fill`, which also realizes PnL).
"""

from __future__ import annotations

__all__ = ["entry_after"]


def entry_after(position: float, entry: float, signed_qty: float, price: float) -> float:
    """The entry price after a fill of `signed_qty` (buy > 0) at `price` on `position` held at
    `entry`; 0.0 when the fill leaves it flat."""
    after = round(position + signed_qty, 12)
    if after == 0.0:
        return 0.0
    if position == 0.0 or (position > 0.0) == (signed_qty > 0.0):  # opens or increases
        return (abs(position) * entry + abs(signed_qty) * price) / abs(after)
    if (after > 0.0) != (position > 0.0):  # crosses zero: the remainder opens at this price
        return price
    return entry  # reduces
