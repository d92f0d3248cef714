"""The liquidation price of a position, isolated or cross margin (pure arithmetic).

A position is liquidated when its margin balance falls to its maintenance margin. With
`size` = |qty|, `side` = +1 long / −1 short, `E` the entry price and the bracket k of the
position's notional at the liquidation price P (`mmr`, `amount`: see `leverage_brackets`):

    B + side × size × (P − E) = size × P × mmr − amount        (margin balance = MM)

    ⇒  P = (B + amount − side × size × E) / (size × mmr − side × size)

This is Binance's published formula for one-way mode. `B` is the balance backing the position:

- isolated: the position's margin, size × E / leverage (fees and funding are paid from the
  wallet, so it stays the initial margin);
- cross: the cross wallet (wallet − the isolated positions' margins) + the unrealized PnL of the
  account's other cross positions − their maintenance margin (Binance's TMM1 and UPNL1). Those
  other positions are held fixed at their last marks: the price is recomputed whenever a fill, a
  funding payment or a liquidation changes the account, not when another symbol's price moves,
  so with several cross positions open it is only as fresh as the account's last change.

The bracket depends on P itself, so the equation is solved bracket by bracket: the margin
balance is strictly monotonic in P (slope ±size) and MM is continuous and grows with slope
size × mmr < size, so there is exactly one root and it is the candidate of the first bracket
whose notional range contains size × P.
"""

from __future__ import annotations

from tradeyard.venues.sim.leverage_brackets import BracketTable

__all__ = ["liquidation_price"]

_TOL = 1e-9


def liquidation_price(
    qty: float, entry: float, balance: float, table: BracketTable
) -> float | None:
    """The price at which a position of signed `qty` entered at `entry` is liquidated.

    `balance` is B above. Returns None for a long whose balance covers a fall to 0
    (B ≥ size × E: no price liquidates it) and 0.0 for a short whose margin balance is below its
    maintenance margin at any price (B + size × E ≤ 0: it is liquidated at once).
    """
    if qty == 0.0:
        return None
    size = abs(qty)
    side = 1.0 if qty > 0.0 else -1.0
    base = balance - side * size * entry
    if side > 0.0 and base >= 0.0:
        return None  # margin balance at P = 0 is base ≥ MM(0) = 0: never reached
    if side < 0.0 and base <= 0.0:
        return 0.0
    rates, amounts, caps = table.rates, table.amounts, table.caps
    price = 0.0
    for k in range(len(caps)):
        price = (base + amounts[k]) / (size * rates[k] - side * size)
        if size * price <= caps[k] * (1.0 + _TOL):
            return max(price, 0.0)
    return max(price, 0.0)  # beyond the last cap: the last bracket extended
