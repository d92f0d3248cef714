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
6. Liquidation: the account's position is liquidated when the bar reaches its liquidation price
   (a long at the low, a short at the high), as if it were one more stop at that price. A stop
   of the account met before that price on the way (for a long: a sell stop at or above it)
   fills first (stop-first); everything met after it (stops beyond it, limits, take-profits)
   never fills: the liquidation cancels the account's orders on the symbol. The liquidation
   executes at its price, or at the open when the bar opened through it. It comes after the
   fills at the open (those orders were queued before the bar). The venue liquidates what is
   left after matching, including positions opened inside the bar (pessimistic, like rule 3).
7. A fill model may cap what one account fills per bar (a share of the bar's volume). The rest
   of a capped order stays open: a market order or a triggered stop / take-profit fills at the
   next open, a limit keeps resting, the rest of an IOC limit expires. Bracket children are
   activated by the parent's first fill.

This module only decides; a `MatchSink` (the venue) books fills and publishes reports.
"""

from __future__ import annotations

from collections.abc import Sequence
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

    def liquidation_watch(self, book: OrderBook) -> tuple[float, bool] | None:
        """(liquidation price, is long) of the book's account position on its symbol, if any."""
        ...

    def liquidate(self, book: OrderBook, price: float, ts: int) -> None:
        """Liquidate the book's account position at `price`; its open orders are canceled."""
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
        budget = self.fill_model.volume_cap(bar)
        budget = self._at_open(book, bar, sink, budget)
        self._intrabar(book, bar, sink, budget)

    # -- phase 1: the open ---------------------------------------------------------------------
    def _at_open(self, book: OrderBook, bar: Bar, sink: MatchSink, budget: float) -> float:
        """Fill what waits for the open; return the volume budget left for the bar."""
        start = bar.open_time
        queue = [
            o for o in book.orders.values() if o.active and o.at_open and o.not_before <= start
        ]
        opn = bar.open
        ts = bar.open_time
        fill_price = self.fill_model.fill_price
        i = 0
        while i < len(queue):
            order = queue[i]
            i += 1
            if order.status not in OPEN_STATUSES:
                continue
            if order.order_type != "limit":  # market, or a stop / take-profit triggered before
                want = order.remaining if not order.reduce_only else self._fillable(order, sink, ts)
                qty = min(want, budget)
                if qty <= 0.0:
                    continue  # canceled (reduce-only), or no volume left: waits for the next open
                price = fill_price(order.side, order.order_type, opn, "taker", bar, qty)
                if not order.reduce_only:
                    reason = sink.margin_shortfall(order, qty, price)
                    if reason is not None:
                        sink.close(order, "rejected", reason, ts)
                        continue
            else:
                limit = order.level
                if (opn <= limit) if order.is_buy else (opn >= limit):
                    want = (
                        order.remaining
                        if not order.reduce_only
                        else self._fillable(order, sink, ts)
                    )
                    qty = min(want, budget)
                    if qty <= 0.0:
                        if want > 0.0 and order.time_in_force == "IOC":
                            sink.close(order, "expired", _ioc_reason(order, opn), ts)
                        continue
                    price = fill_price(order.side, "limit", opn, "taker", bar, qty)
                    price = min(price, limit) if order.is_buy else max(price, limit)
                elif order.time_in_force == "IOC":
                    reason = f"IOC limit {fmt_num(limit)} not fillable at the open {fmt_num(opn)}"
                    sink.close(order, "expired", reason, ts)
                    continue
                else:
                    order.at_open = False  # rests from now on, as a maker order
                    continue
            budget -= qty
            kids = self._execute(book, order, qty, price, "taker", ts, sink, want)
            if order.order_type == "limit" and order.time_in_force == "IOC" and order.is_open:
                sink.close(order, "expired", _ioc_reason(order, opn), ts)
            for kid in kids:
                if kid.at_open:
                    queue.append(kid)
        return budget

    # -- phase 2: inside the bar ---------------------------------------------------------------
    def _intrabar(self, book: OrderBook, bar: Bar, sink: MatchSink, budget: float) -> None:
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
            return  # a liquidation reached without any order hit is the venue's to do
        cands.sort(key=_first)
        liq = _reached(sink.liquidation_watch(book), bar)
        while cands:
            _, order, ref_price, gapped = cands[0]
            if order.status not in OPEN_STATUSES:
                cands.pop(0)
                continue
            if liq is not None and _liquidation_first(liq, opn, order, ref_price, gapped):
                level, _, liq_gapped = liq
                sink.liquidate(
                    book,
                    opn if liq_gapped else level,
                    bar.open_time if liq_gapped else bar.close_time,
                )
                return
            cands.pop(0)
            ts = bar.open_time if gapped else bar.close_time
            want = order.remaining if not order.reduce_only else self._fillable(order, sink, ts)
            qty = min(want, budget)
            if qty <= 0.0:
                if want > 0.0 and order.order_type != "limit":
                    order.at_open = True  # triggered, but no volume left: a market order now
                continue
            budget -= qty
            if order.order_type == "limit":
                price = self.fill_model.fill_price(
                    order.side, "limit", ref_price, "maker", bar, qty
                )
                price = min(price, order.level) if order.is_buy else max(price, order.level)
                liquidity: Liquidity = "maker"
            else:
                price = self.fill_model.fill_price(
                    order.side, order.order_type, ref_price, "taker", bar, qty
                )
                liquidity = "taker"
            kids = self._execute(book, order, qty, price, liquidity, ts, sink, want)
            if order.status in OPEN_STATUSES and order.order_type != "limit":
                order.at_open = True  # the volume cap left a rest: it fills from the next open
            liq = _reached(sink.liquidation_watch(book), bar)
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
        """The qty that may fill now: all, or for reduce-only what closes (0: canceled).

        Before any volume cap: the caller takes the smaller of this and the bar's budget. The
        callers read `order.remaining` themselves for orders that are not reduce-only (the
        common case, one call fewer per fill).
        """
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
        want: float,
    ) -> Sequence[SimOrder]:
        """Fill, then apply the consequences: OCO cancels, reduce-only rest, child activation.

        `want` is what `_fillable` allowed: when it is all that fills but less than the order's
        remaining qty, reduce-only clipped the order and its rest is canceled.
        """
        siblings = book.oco_siblings(order)
        clipped = qty == want and want < order.remaining
        sink.fill(order, qty, price, liquidity, ts)
        for sib in siblings:
            if sib.status in OPEN_STATUSES:
                sink.close(sib, "canceled", f"oco: {order.client_order_id} filled", ts)
        if clipped:
            sink.close(order, "canceled", REDUCE_ONLY_REASON, ts)
            return ()
        kids = book.pop_children(order.client_order_id)
        for kid in kids:
            kid.active = True
        return kids


_Key = tuple[int, int, float, int]
_Liq = tuple[float, bool, bool]
"""(liquidation price, is long, bar opened through it)."""


def _reached(watch: tuple[float, bool] | None, bar: Bar) -> _Liq | None:
    """The position's liquidation if `bar`'s range reaches it, else None."""
    if watch is None:
        return None
    level, long = watch
    if long:
        return (level, True, bar.open <= level) if bar.low <= level else None
    return (level, False, bar.open >= level) if bar.high >= level else None


def _liquidation_first(liq: _Liq, opn: float, order: SimOrder, price: float, gapped: bool) -> bool:
    """Whether a reached liquidation comes before triggered `order` (rule 6).

    The liquidation ranks as a stop: gaps first, stops before limits and take-profits. Against a
    stop on its own side of the open (a sell stop for a long) the level decides: the stop goes
    first when the price meets it first (at or above the liquidation price for a long). Against
    a stop on the other side, the nearer to the open goes first (the stop on a tie, or when both
    are at the open).
    """
    level, long, liq_gapped = liq
    if gapped != liq_gapped:
        return liq_gapped
    if order.order_type != "stop":
        return True
    if order.upward != long:  # same side: a long's liquidation and a sell stop fire on a fall
        return order.level < level if long else order.level > level
    return not gapped and abs(level - opn) < abs(price - opn)


def _key(order: SimOrder, price: float, ref: float, gapped: bool, seq: int) -> _Key:
    """Sort key of a triggered order: gaps at the open first, then stops, then nearest first."""
    return (0 if gapped else 1, 0 if order.order_type == "stop" else 1, abs(price - ref), seq)


def _first(item: tuple[_Key, SimOrder, float, bool]) -> _Key:
    return item[0]


def _ioc_reason(order: SimOrder, opn: float) -> str:
    return (
        f"IOC limit {fmt_num(order.level)}: {fmt_num(order.remaining)} of {fmt_num(order.qty)} "
        f"not filled at the open {fmt_num(opn)}: the bar's volume cap was reached"
    )
