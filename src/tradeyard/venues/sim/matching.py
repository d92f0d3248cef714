"""What fills, when and at what price during one bar: the matching rules, without side effects.

A bar only tells us open, high, low and close, not the path between them, so the rules fix an
order of events that is deterministic and, where the bar is ambiguous, pessimistic:

1. Orders waiting for the open (market orders, limits that were marketable when placed, IOC
   limits) fill at the open. A marketable limit never fills worse than its price: if the open
   is through it, the order rests as an ordinary (maker) limit instead; an IOC limit expires.
2. Resting limit, stop and take-profit orders fire from the bar's high / low. An order whose
   level the bar opened through fills at the open (gap: a stop at a worse price, a limit or a
   take-profit at a better one), before anything inside the bar. Inside the bar, stops are
   assumed to hit before limits and take-profits (pessimistic: the loss comes first), and
   otherwise the order whose price is nearer the open hits first.
3. A fill can activate bracket children. Children activated at the open (by a fill at the
   open) take part in this bar like any resting order. Children activated inside the bar may
   still be hit in this bar only if they are stops (pessimistic: the stop-loss of an entry made
   inside the bar can be hit by the same bar's range); take-profits wait for the next bar.
4. A reduce-only order fills only what closes the position; the rest is canceled.
5. A fill of an OCO member cancels the other members.

This module only decides; a `MatchSink` (the venue) books fills and publishes reports.
"""

from __future__ import annotations

from typing import Protocol

from tradeyard.events import Bar, OrderStatus
from tradeyard.venues.sim.fees import Liquidity
from tradeyard.venues.sim.fill_model import FillModel
from tradeyard.venues.sim.orders import OPEN_STATUSES, OrderBook, SimOrder
from tradeyard.venues.sim.validation import fmt_num

__all__ = ["REDUCE_ONLY_REASON", "BarMatcher", "MatchSink", "hit_price"]

REDUCE_ONLY_REASON = "reduce-only order would increase the position"


class MatchSink(Protocol):
    """What the matcher needs from the venue."""

    def position_qty(self, order: SimOrder) -> float:
        """The signed position of the order's account on the order's symbol."""
        ...

    def margin_shortfall(self, order: SimOrder, qty: float, price: float) -> str | None:
        """None if a fill of `qty` at `price` can be margined now, else the rejection reason."""
        ...

    def fill(
        self, order: SimOrder, qty: float, price: float, liquidity: Liquidity, ts: int
    ) -> None:
        """Book a fill and report it (the order is closed when fully filled)."""
        ...

    def close(self, order: SimOrder, status: OrderStatus, reason: str, ts: int) -> None:
        """Close an unfilled (or partly filled) order and report it; its children are canceled."""
        ...


def hit_price(order: SimOrder, ref: float, high: float, low: float) -> float | None:
    """The reference fill price of a resting order in a bar, or None if the bar does not reach it.

    `ref` is where the price was when the order became live in this bar (the open, or the
    fill price of the parent that activated it): if `ref` is already through the order's level
    the order fills at `ref`, otherwise at its level.
    """
    level = order.level
    if order.upward:
        if high >= level:
            return ref if ref >= level else level
        return None
    if low <= level:
        return ref if ref <= level else level
    return None


class BarMatcher:
    """Applies the matching rules of one bar to one order book."""

    __slots__ = ("fill_model",)

    def __init__(self, fill_model: FillModel) -> None:
        self.fill_model = fill_model

    def match(self, book: OrderBook, bar: Bar, sink: MatchSink) -> None:
        self._at_open(book, bar, sink)
        self._intrabar(book, bar, sink)

    # -- phase 1: the open ---------------------------------------------------------------------
    def _at_open(self, book: OrderBook, bar: Bar, sink: MatchSink) -> None:
        start = bar.open_time
        queue = [
            o for o in book.orders.values() if o.active and o.at_open and o.not_before <= start
        ]
        opn = bar.open
        ts = bar.open_time
        i = 0
        while i < len(queue):
            order = queue[i]
            i += 1
            if order.status not in OPEN_STATUSES:
                continue
            if order.order_type == "market":
                price = self.fill_model.fill_price(order.side, "market", opn, "taker", bar)
                qty = self._fillable(order, sink, ts)
                if qty <= 0.0:
                    continue
                if not order.reduce_only:
                    reason = sink.margin_shortfall(order, qty, price)
                    if reason is not None:
                        sink.close(order, "rejected", reason, ts)
                        continue
                kids = self._execute(book, order, qty, price, "taker", ts, sink)
            else:
                limit = order.level
                if (opn <= limit) if order.is_buy else (opn >= limit):
                    price = self.fill_model.fill_price(order.side, "limit", opn, "taker", bar)
                    price = min(price, limit) if order.is_buy else max(price, limit)
                    qty = self._fillable(order, sink, ts)
                    if qty <= 0.0:
                        continue
                    kids = self._execute(book, order, qty, price, "taker", ts, sink)
                elif order.time_in_force == "IOC":
                    reason = f"IOC limit {fmt_num(limit)} not fillable at the open {fmt_num(opn)}"
                    sink.close(order, "expired", reason, ts)
                    continue
                else:
                    order.at_open = False  # rests from now on, as a maker order
                    continue
            for kid in kids:
                if kid.at_open:
                    queue.append(kid)

    # -- phase 2: inside the bar ---------------------------------------------------------------
    def _intrabar(self, book: OrderBook, bar: Bar, sink: MatchSink) -> None:
        opn, high, low, start = bar.open, bar.high, bar.low, bar.open_time
        # (gap rank, stop rank, distance from ref, sequence) -> order, price, gapped
        cands: list[tuple[_Key, SimOrder, float, bool]] = []
        seq = 0
        for order in book.orders.values():
            if order.active and not order.at_open and order.not_before <= start:
                price = hit_price(order, opn, high, low)
                if price is not None:
                    gap = price == opn
                    cands.append((_key(order, price, opn, gap, seq), order, price, gap))
                    seq += 1
        if not cands:
            return
        cands.sort(key=_first)
        while cands:
            _, order, ref_price, gapped = cands.pop(0)
            if order.status not in OPEN_STATUSES:
                continue
            ts = bar.open_time if gapped else bar.close_time
            qty = self._fillable(order, sink, ts)
            if qty <= 0.0:
                continue
            if order.order_type == "limit":
                price = self.fill_model.fill_price(order.side, "limit", ref_price, "maker", bar)
                price = min(price, order.level) if order.is_buy else max(price, order.level)
                liquidity: Liquidity = "maker"
            else:
                price = self.fill_model.fill_price(
                    order.side, order.order_type, ref_price, "taker", bar
                )
                liquidity = "taker"
            kids = self._execute(book, order, qty, price, liquidity, ts, sink)
            added = False
            for kid in kids:
                if kid.at_open:
                    continue  # a market child activated now fills at the next open
                if gapped:
                    ref = opn
                elif kid.order_type == "stop":
                    ref = price
                else:
                    continue  # take-profits and limits activated inside the bar wait a bar
                kid_price = hit_price(kid, ref, high, low)
                if kid_price is not None:
                    kid_gap = gapped and kid_price == opn
                    cands.append((_key(kid, kid_price, ref, kid_gap, seq), kid, kid_price, kid_gap))
                    seq += 1
                    added = True
            if added:
                cands.sort(key=_first)

    # -- shared ------------------------------------------------------------------------------
    @staticmethod
    def _fillable(order: SimOrder, sink: MatchSink, ts: int) -> float:
        """The qty that may fill now: all, or for reduce-only what closes (0: canceled)."""
        qty = order.remaining
        if not order.reduce_only:
            return qty
        pos = sink.position_qty(order)
        closable = -pos if order.is_buy else pos
        if closable <= 0.0:
            sink.close(order, "canceled", REDUCE_ONLY_REASON, ts)
            return 0.0
        return min(qty, closable)

    @staticmethod
    def _execute(
        book: OrderBook,
        order: SimOrder,
        qty: float,
        price: float,
        liquidity: Liquidity,
        ts: int,
        sink: MatchSink,
    ) -> list[SimOrder]:
        """Fill, then apply the consequences: OCO cancels, reduce-only rest, child activation."""
        siblings = book.oco_siblings(order)
        clipped = qty < order.remaining
        sink.fill(order, qty, price, liquidity, ts)
        for sib in siblings:
            if sib.status in OPEN_STATUSES:
                sink.close(sib, "canceled", f"oco: {order.client_order_id} filled", ts)
        if clipped:
            sink.close(order, "canceled", REDUCE_ONLY_REASON, ts)
            return []
        kids = book.pop_children(order.client_order_id)
        for kid in kids:
            kid.active = True
        return kids


_Key = tuple[int, int, float, int]


def _key(order: SimOrder, price: float, ref: float, gapped: bool, seq: int) -> _Key:
    """Sort key of a triggered order: gaps at the open first, then stops, then nearest first."""
    return (0 if gapped else 1, 0 if order.order_type == "stop" else 1, abs(price - ref), seq)


def _first(item: tuple[_Key, SimOrder, float, bool]) -> _Key:
    return item[0]
