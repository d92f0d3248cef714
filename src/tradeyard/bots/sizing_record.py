"""Why an order has the size it has: the trader's record of every sizing decision.

Each time a signal makes the trader (want to) change a position it keeps a `SizingDecision`:
what the strategies asked for, what share of the account the symbol is given, which caps cut
the order and by how much, the rounding to the exchange's step, and the order it sent (or why
it sent none). The same story in ~60 characters goes into the order's `tag`, after the
signal's reason, so a trade list says "fast SMA crossed above slow SMA | eqw 10% x2 cap:total".
"""

from __future__ import annotations

import math
from typing import Literal

import msgspec

__all__ = [
    "SKIP_KINDS",
    "CapApplied",
    "CapName",
    "SizingDecision",
    "SkipKind",
    "explain",
    "summary",
]

CapName = Literal["symbol_leverage", "total_leverage", "margin"]
SkipKind = Literal[
    "", "not_in_basket", "zero_weight", "no_equity", "below_step", "margin", "min_qty",
    "min_notional",
]  # fmt: skip
"""Why a signal that asked for a position change sent no order ("" when one was sent)."""
SKIP_KINDS: dict[str, str] = {
    "not_in_basket": "the symbol is not in the trader's basket",
    "zero_weight": "the allocation gives the symbol no weight",
    "no_equity": "no wallet left to size with",
    "below_step": "the position asked for is less than one quantity step",
    "margin": "the order could not be margined",
    "min_qty": "the order is below the minimum quantity",
    "min_notional": "the order is below the minimum notional",
}
"""Each skip kind in words, for summaries."""

_CAP_SHORT: dict[str, str] = {
    "symbol_leverage": "sym",
    "total_leverage": "total",
    "margin": "margin",
}
_SIZING_SHORT: dict[str, str] = {
    "equity_fraction": "ef",
    "fixed_notional": "fn",
    "fixed_quantity": "fq",
}
_TAG_MAX = 64


class CapApplied(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A limit that made the position (or the order) smaller than the allocation asked for."""

    name: CapName
    limit: float
    """The cap: × equity for the leverage caps, USDT of margin available for `margin`."""
    qty_before: float
    """Absolute quantity asked for before this cap (position for leverage caps, order for margin)."""
    qty_after: float
    """Absolute quantity it allowed."""

    @property
    def scale(self) -> float:
        """qty_after / qty_before: 0.5 means the cap halved it."""
        return self.qty_after / self.qty_before if self.qty_before else 1.0


class SizingDecision(msgspec.Struct, frozen=True, gc=False):
    """One position change the trader decided on. Quantities are signed (> 0 long / buy).

    Not keyword-only: the trader builds one per order, positionally (much faster). Not
    tracked by the garbage collector (it cannot be part of a reference cycle): a trader keeps
    every decision, and each tracked object makes every full collection longer.
    """

    ts: int
    symbol: str
    signal_reason: str
    """The reason of the signal that triggered it ("flatten" for a control flatten)."""
    targets: dict[str, float]
    """Each followed strategy's last target on the symbol (−1..1)."""
    weights: dict[str, float]
    """The trader's weight for each of those strategies (`follows`)."""
    combined_target: float
    """Σ target × weight, clipped to [−1, 1]: the share of a full position wanted."""
    equity: float
    """Wallet balance (USDT) used for sizing, as last reported by the venue."""
    allocation: str
    """Allocation mode ("equal_weight", ...) or, without one, the sizing mode."""
    allocation_weight: float | None
    """The symbol's share of equity × leverage (None with a plain sizing mode)."""
    volatility: float | None
    """σ of the symbol's returns used by volatility_scaled (None otherwise)."""
    leverage: float
    price: float | None
    """Price used for sizing: the limit price, else the signal's last close."""
    unit_qty: float
    """Size of a full position (combined target ±1) before caps."""
    desired_qty: float
    """combined target × unit qty: the position the strategies and the allocation ask for."""
    current_qty: float
    caps: tuple[CapApplied, ...] = ()
    step: float | None = None
    """The exchange's quantity step the position was rounded down to."""
    rounded_off: float = 0.0
    """Absolute quantity dropped by rounding down to the step."""
    target_qty: float = 0.0
    """The position the order aims at, after caps, margin and rounding."""
    order_qty: float = 0.0
    """target − current: what was sent (0: no order)."""
    reduce_only: bool = False
    client_order_id: str = ""
    bracket_ids: tuple[str, ...] = ()
    """Take-profit / stop-loss orders sized from this decision (reduce-only, |target_qty|)."""
    status: Literal["sent", "skipped", "rejected"] = "sent"
    skip: str = ""
    """Why nothing was sent, when `status` is "skipped"."""
    prefix: str = ""
    """Context put before the story, e.g. "flatten ordered by control: "."""
    venue_reason: str = ""
    """The venue's reason when it rejected the order."""
    skip_kind: SkipKind = ""
    """The kind of `skip`, for counting: "below_step", "margin", "min_notional", ..."""

    @property
    def reason(self) -> str:
        """The whole story in words. Built when read, not when the order is sized: a backtest
        makes thousands of decisions and reads few of them."""
        return self.prefix + explain(self, self.skip)

    @property
    def bound_by(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.caps)


def _pct(w: float) -> str:
    """0.1 → "10%", 0.3333 → "33.3%", 0.0125 → "1.25%"."""
    return f"{w * 100:.3g}%"


def _num(x: float) -> str:
    return f"{x:.6g}"


def summary(d: SizingDecision) -> str:
    """A compact sizing note: "eqw 10% x2", "vol 23.4% x3 cap:total,margin", "flat"."""
    if d.target_qty == 0.0 and d.order_qty != 0.0:
        head = "flat"
    elif d.allocation_weight is not None:
        label = {"equal_weight": "eqw", "fixed_fraction": "fix", "volatility_scaled": "vol"}
        head = f"{label.get(d.allocation, d.allocation)} {_pct(d.allocation_weight)} x{_num(d.leverage)}"
    else:
        head = f"{_SIZING_SHORT.get(d.allocation, d.allocation)} x{_num(d.leverage)}"
    if 0.0 < abs(d.combined_target) < 1.0 and d.target_qty != 0.0:
        head += f" t{d.combined_target:+.2g}"
    if d.caps:
        head += " cap:" + ",".join(_CAP_SHORT[c.name] for c in d.caps)
    return head


def explain(d: SizingDecision, skip: str = "") -> str:
    """The decision in one paragraph a trader can check with a calculator."""
    parts: list[str] = []
    strategies = ", ".join(
        f"{name} {d.targets[name]:+g}×{d.weights.get(name, 0.0):g}" for name in d.targets
    )
    parts.append(f"target {d.combined_target:+.4g} ({strategies})" if strategies else "")
    if skip and d.unit_qty == 0.0 and d.order_qty == 0.0 and not d.caps:
        return "; ".join([*(p for p in parts if p), f"no order: {skip}"])  # refused before sizing
    price = d.price if d.price is not None else math.nan
    if d.allocation_weight is not None and d.combined_target != 0.0:
        notional = d.equity * d.leverage * d.allocation_weight
        vol = f" (σ {d.volatility:.3g})" if d.volatility is not None else ""
        parts.append(
            f"{d.allocation} {_pct(d.allocation_weight)}{vol} of {d.equity:,.2f} USDT × "
            f"{_num(d.leverage)}x = {notional:,.2f} USDT full position = "
            f"{_num(d.unit_qty)} at {_num(price)}"
        )
    elif d.combined_target != 0.0:
        parts.append(
            f"{d.allocation} on {d.equity:,.2f} USDT × {_num(d.leverage)}x: full position "
            f"{_num(d.unit_qty)} at {_num(price)}"
        )
    parts.append(f"wants {_num(d.desired_qty)}")
    for c in d.caps:
        if c.name == "margin":
            head = f"margin cap {c.limit:,.2f} USDT available: order"
        else:
            head = f"{c.name} cap {_num(c.limit)}x equity: position"
        parts.append(f"{head} {_num(c.qty_before)} → {_num(c.qty_after)} ({_pct(c.scale)})")
    if d.rounded_off > 0.0 and d.step is not None:
        parts.append(f"rounded down to step {_num(d.step)} (−{_num(d.rounded_off)})")
    if skip:
        parts.append(f"no order: {skip}")
    elif d.order_qty != 0.0:
        side = "buy" if d.order_qty > 0 else "sell"
        ro = " reduce-only" if d.reduce_only else ""
        parts.append(
            f"holds {_num(d.current_qty)} → {side}{ro} {_num(abs(d.order_qty))} "
            f"to hold {_num(d.target_qty)}"
        )
    else:
        parts.append(f"holds {_num(d.current_qty)} already: no order")
    return "; ".join(p for p in parts if p)
