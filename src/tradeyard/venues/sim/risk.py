"""Account-level risk bookkeeping: liquidation prices, maximum leverage, liquidation booking.

Kept out of the per-bar path on purpose: liquidation prices are recomputed here when an
account changes (a fill, a funding payment, a leverage change, a liquidation), and the bar only
compares its low / high with the prices stored on its symbol; the leverage slack gives the bar
one multiply-add and one comparison per position (see `note_leverage`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from tradeyard.events import Bar
from tradeyard.venues.sim.account import Account, Position
from tradeyard.venues.sim.liquidation import liquidation_price
from tradeyard.venues.sim.validation import fmt_num

__all__ = [
    "LiquidationBooking",
    "cross_margin_balance",
    "gross_notional",
    "leverage_high",
    "liquidation_reason",
    "liquidation_watch",
    "mark_price",
    "note_leverage",
    "reached",
    "refresh_liquidation_prices",
    "settle_liquidation",
]


def mark_price(pos: Position) -> float:
    """The price `pos` was last marked at (entry + unrealized / qty; no mark is stored)."""
    return pos.entry_price + pos.unrealized_pnl / pos.qty if pos.qty else pos.entry_price


def refresh_liquidation_prices(acct: Account) -> list[Position]:
    """Recompute the liquidation price of every open position of `acct`; return those positions.

    Isolated: B = the position's margin. Cross: B = wallet − isolated margins + Σ (unrealized −
    maintenance margin) of the other cross positions at their last marks (see `liquidation`).
    """
    opened = acct.open_positions()
    isolated_margin = 0.0
    cross_upnl = 0.0
    cross_mm = 0.0
    mms: list[float] = []
    for pos in opened:
        if pos.isolated:
            isolated_margin += pos.margin
            mms.append(0.0)
        else:
            # maintenance margin at the last mark (`mark_price`, inlined: runs after every fill)
            qty = pos.qty
            mm = pos.brackets.maintenance_margin(
                abs(qty) * (pos.entry_price + pos.unrealized_pnl / qty)
            )
            mms.append(mm)
            cross_upnl += pos.unrealized_pnl
            cross_mm += mm
    cross_wallet = acct.wallet_balance - isolated_margin
    for pos, mm in zip(opened, mms, strict=True):
        if pos.isolated:
            balance = pos.margin
        else:
            balance = cross_wallet + (cross_upnl - pos.unrealized_pnl) - (cross_mm - mm)
        pos.liquidation_price = liquidation_price(pos.qty, pos.entry_price, balance, pos.brackets)
    return opened


def gross_notional(opened: list[Position]) -> float:
    """Σ |qty| × last mark of `opened` positions."""
    total = 0.0
    for pos in opened:
        qty = pos.qty
        total += abs(qty) * pos.entry_price + (
            pos.unrealized_pnl if qty > 0.0 else -pos.unrealized_pnl
        )
    return total


def note_leverage(acct: Account, opened: list[Position]) -> None:
    """Raise `acct.max_leverage` to gross notional / equity if higher; reset the slack.

    With M the maximum, E the equity and G = Σ |qty| × mark, the slack S = M × E − G is ≥ 0
    until a new maximum. Marking position i moves its unrealized PnL by d, so E by d and G by
    side_i × d: S moves by (M − side_i) × d = `lev_k` × d, which the bar adds (O(1) per
    position) and `leverage_high` handles when S goes negative. Everything else that moves E or
    G (fills, fees, funding, liquidations) calls this, which recomputes S exactly. Once M is inf
    (equity ≤ 0 with a position open) nothing can exceed it: S = inf, lev_k = 0.
    """
    gross = gross_notional(opened)
    equity = acct.wallet_balance + acct.unrealized_pnl
    top = acct.max_leverage
    if gross > top * equity:
        top = acct.max_leverage = gross / equity if equity > 0.0 else math.inf
    _set_slack(acct, opened, top * equity - gross if top < math.inf else math.inf)


def leverage_high(acct: Account, pos: Position) -> None:
    """The bar made the slack of `acct` negative at `pos`'s mark: a new maximum leverage.

    G = M × E − S, so the new maximum is G / E = M − S / E.
    """
    equity = acct.wallet_balance + acct.unrealized_pnl
    top = acct.max_leverage - acct.lev_slack / equity if equity > 0.0 else math.inf
    acct.max_leverage = top
    opened = [pos] if acct.n_open_positions == 1 else acct.open_positions()
    _set_slack(acct, opened, 0.0 if top < math.inf else math.inf)


def _set_slack(acct: Account, opened: list[Position], slack: float) -> None:
    acct.lev_slack = slack
    top = acct.max_leverage
    for pos in opened:
        pos.lev_k = top - (1.0 if pos.qty > 0.0 else -1.0) if top < math.inf else 0.0


def cross_margin_balance(acct: Account) -> float:
    """Wallet − isolated margins + unrealized PnL of the cross positions."""
    balance = acct.wallet_balance
    for pos in acct.positions.values():
        if pos.qty != 0.0:
            balance += -pos.margin if pos.isolated else pos.unrealized_pnl
    return balance


class LiquidationBooking(NamedTuple):
    """What a liquidation did to the account (for the reports)."""

    qty: float
    """Signed qty of the closing trade (opposite to the position)."""
    realized_pnl: float
    fee: float
    absorbed: float
    """Loss beyond the margin, paid by the insurance fund (credited back to the wallet)."""

    @property
    def wallet_delta(self) -> float:
        return self.realized_pnl - self.fee + self.absorbed


def settle_liquidation(
    acct: Account, pos: Position, price: float, fee_rate: float
) -> LiquidationBooking:
    """Close all of `pos` at `price`, charge the liquidation fee, cover any shortfall.

    The fee is `fee_rate` × notional at `price`, charged instead of the trading fee.

    - isolated: the loss is limited to the position's margin. The fee is capped at what is
      left of it (margin + realized PnL, which at the liquidation price is the maintenance
      margin), and a realized loss beyond the margin (a bar that opened through the price) is
      absorbed by the insurance fund.
    - cross: the whole cross balance backs the position, and the fee may exceed what is left
      of it. If the cross margin balance is negative afterwards, the wallet is topped up to bring
      it to 0 and the difference is recorded as absorbed.
    """
    qty = pos.qty
    realized = (price - pos.entry_price) * qty
    fee = fee_rate * abs(qty) * price
    absorbed = 0.0
    if pos.isolated:
        left = pos.margin + realized
        fee = min(fee, max(left, 0.0))
        absorbed = max(-left, 0.0)
    realized = acct.apply_fill(pos, -qty, price, fee)
    if not pos.isolated:
        absorbed = max(-cross_margin_balance(acct), 0.0)
    acct.wallet_balance += absorbed
    acct.insurance_fund_absorbed += absorbed
    return LiquidationBooking(-qty, realized, fee, absorbed)


def reached(pos: Position, bar: Bar) -> tuple[float, int] | None:
    """(price, ts) of `pos`'s liquidation if `bar` reaches it, else None.

    At the liquidation price at the bar's close time, or at the open at the open time when the
    bar opened through it (a gap: the first price the liquidation engine could trade at).
    """
    level = pos.liquidation_price
    if level is None or pos.qty == 0.0:
        return None
    if pos.qty > 0.0:
        if bar.low > level:
            return None
        gapped = bar.open <= level
    else:
        if bar.high < level:
            return None
        gapped = bar.open >= level
    return (bar.open, bar.open_time) if gapped else (level, bar.close_time)


def liquidation_watch(pos: Position | None) -> tuple[float, bool] | None:
    """(liquidation price, is long) of an open position that has one, else None."""
    if pos is None or pos.qty == 0.0 or pos.liquidation_price is None:
        return None
    return pos.liquidation_price, pos.qty > 0.0


def liquidation_reason(pos: Position) -> str:
    """The reason put on the liquidation's OrderUpdate and on the orders it cancels."""
    mode = "isolated" if pos.isolated else "cross"
    return (
        f"liquidation: the {pos.symbol} position reached its liquidation price "
        f"{fmt_num(pos.liquidation_price or 0.0)} ({mode} margin)"
    )
