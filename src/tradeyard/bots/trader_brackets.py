"""A trader's bracket exits (take-profit + stop-loss) and who looks after them.

A signal with `take_profit` / `stop_loss` asks for two reduce-only exits attached to its entry,
one cancelling the other. Who keeps that promise depends on the venue:

- **venue-managed** (the simulated venue, in backtests and paper trading): the children go out
  with the entry (`parent_id`, `oco_group`); the venue holds them until the entry fills, cancels
  them with it, and cancels one when the other fills. Cancelling the entry is then enough: the
  trader does not also cancel its children (the venue would refuse, they are gone already).
- **trader-managed** (exchanges: their order APIs know no parent orders): the trader keeps the
  children until the entry's final report and sends them then, for the position held (the
  target less what the entry did not fill); cancelling the entry forgets them; when one exit
  fills, the trader cancels the other.

Either way the children's client order ids are taken when the entry is decided, so the decision
record names them and a replay reproduces them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from tradeyard.events import OrderUpdate, Side, Signal, SubmitOrder

__all__ = ["Brackets", "PendingExits"]


class _Submit(Protocol):
    def __call__(
        self,
        symbol: str,
        side: Side,
        order_type: Literal["market", "limit", "stop", "take_profit"],
        qty: float,
        *,
        price: float | None = ...,
        trigger: float | None = ...,
        reduce_only: bool = ...,
        parent: str | None = ...,
        oco: str | None = ...,
        tag: str = ...,
        cid: str | None = ...,
    ) -> str: ...


class PendingExits:
    """The exits of an entry not yet filled (trader-managed): sent when it fills."""

    __slots__ = (
        "entry_qty",
        "group",
        "ids",
        "side",
        "stop_loss",
        "symbol",
        "take_profit",
        "target",
    )

    def __init__(
        self,
        symbol: str,
        side: Side,
        take_profit: float | None,
        stop_loss: float | None,
        group: str,
        ids: tuple[str, ...],
        target: float,
        entry_qty: float,
    ) -> None:
        self.target = target
        """|position| the exits protect once the entry has filled in full."""
        self.entry_qty = entry_qty
        self.symbol = symbol
        self.side = side
        self.take_profit = take_profit
        self.stop_loss = stop_loss
        self.group = group
        self.ids = ids


class Brackets:
    """The bracket bookkeeping of one trader (see the module doc for the two modes)."""

    __slots__ = (
        "_cancel",
        "_next_id",
        "_submit",
        "cancelled_with",
        "group_of",
        "groups",
        "pending",
        "venue_managed",
    )

    def __init__(
        self,
        venue_managed: bool,
        submit: _Submit,
        cancel: Callable[[str, str], None],
        next_id: Callable[[], str],
    ) -> None:
        self.venue_managed = venue_managed
        self._submit = submit
        self._cancel = cancel
        self._next_id = next_id
        self.pending: dict[str, PendingExits] = {}
        """Trader-managed: entry id → the exits to send when it fills."""
        self.groups: dict[str, dict[str, str]] = {}
        """Trader-managed: OCO group → {exit id: symbol} of the exits sent and not yet final."""
        self.group_of: dict[str, str] = {}
        """Trader-managed: exit id → its OCO group."""
        self.cancelled_with: dict[str, tuple[str, list[str]]] = {}
        """Venue-managed: entry id being cancelled → (symbol, children left to the venue)."""

    # -- a new entry -------------------------------------------------------------------------
    def announced(self, sig: Signal, target: float) -> tuple[float | None, float | None]:
        """The exits an entry's SubmitOrder names (`take_profit`, `stop_loss`): trader-managed
        only, so the order store keeps them with the entry and a restart still sends them."""
        if self.venue_managed or target == 0.0:
            return (None, None)
        return (sig.take_profit, sig.stop_loss)

    def attach(
        self, sig: Signal, target: float, parent: str | None, entry_qty: float = 0.0
    ) -> tuple[str, ...]:
        """The exits for a position of `target` entered by order `parent` of `entry_qty` (None:
        the position is already there); returns their client order ids. The exits cover the
        whole position, as the venue-managed ones do."""
        if target == 0.0 or (sig.take_profit is None and sig.stop_loss is None):
            return ()
        side: Side = "sell" if target > 0 else "buy"
        if parent is not None and not self.venue_managed:
            ids = tuple(self._next_id() for p in (sig.take_profit, sig.stop_loss) if p is not None)
            self.pending[parent] = PendingExits(
                sig.symbol, side, sig.take_profit, sig.stop_loss, parent, ids, abs(target),
                entry_qty,
            )  # fmt: skip
            return ids
        group = parent or self._next_id()
        return self._send(
            sig.symbol, side, abs(target), sig.take_profit, sig.stop_loss, group,
            parent if self.venue_managed else None, None,
        )  # fmt: skip

    def _send(
        self,
        symbol: str,
        side: Side,
        qty: float,
        take_profit: float | None,
        stop_loss: float | None,
        group: str,
        parent: str | None,
        ids: tuple[str, ...] | None,
    ) -> tuple[str, ...]:
        """Submit the take-profit (a resting LIMIT: a maker fill) and the stop (stop-market: a
        taker fill, it must get out), reduce-only, in one OCO group."""
        legs = [
            leg
            for leg in (("limit", take_profit, "take profit"), ("stop", stop_loss, "stop loss"))
            if leg[1] is not None
        ]
        sent: list[str] = []
        for k, (order_type, level, tag) in enumerate(legs):
            levels = {"price": level} if order_type == "limit" else {"trigger": level}
            sent.append(
                self._submit(
                    symbol,
                    side,
                    order_type,
                    qty,
                    reduce_only=True,
                    parent=parent,
                    oco=group,
                    tag=tag,
                    cid=ids[k] if ids else None,
                    **levels,
                )  # type: ignore[arg-type]
            )
        if not self.venue_managed:
            self.groups[group] = dict.fromkeys(sent, symbol)
            for cid in sent:
                self.group_of[cid] = group
        return tuple(sent)

    def pend_again(self, entry: SubmitOrder, filled: float, position: float) -> None:
        """After a restart (trader-managed): hold again the exits `entry` announced, for the
        position it leaves once filled, to send at its final report. `position` is the one
        restored, which holds the `filled` part of the entry already."""
        if self.venue_managed or (entry.take_profit is None and entry.stop_loss is None):
            return
        signed = 1.0 if entry.side == "buy" else -1.0
        after = round(position + signed * (entry.qty - filled), 12)
        if after == 0.0:
            return  # the entry closes the position: nothing to protect
        ids = tuple(self._next_id() for p in (entry.take_profit, entry.stop_loss) if p is not None)
        self.pending[entry.client_order_id] = PendingExits(
            entry.symbol, "sell" if after > 0 else "buy", entry.take_profit, entry.stop_loss,
            entry.client_order_id, ids, abs(after), entry.qty,
        )  # fmt: skip

    def protect(
        self, symbol: str, position: float, take_profit: float | None, stop_loss: float | None
    ) -> tuple[str, ...]:
        """Send exits for `position` now (trader-managed, after a restart: its entry filled
        while the node was down, so the exits it announced were never sent)."""
        if self.venue_managed or position == 0.0 or (take_profit is None and stop_loss is None):
            return ()
        side: Side = "sell" if position > 0 else "buy"
        return self._send(
            symbol, side, abs(position), take_profit, stop_loss, self._next_id(), None, None
        )

    def regroup(self, symbol: str, exit_ids: list[str]) -> None:
        """After a restart (trader-managed): pair again the exits of the position on `symbol`
        still open on the venue, so that when one fills the others are cancelled. The trader
        keeps one bracket per position (a new entry cancels the old exits), so they are one
        group."""
        if self.venue_managed or len(exit_ids) < 2:
            return
        group = exit_ids[0]
        self.groups[group] = dict.fromkeys(exit_ids, symbol)
        for cid in exit_ids:
            self.group_of[cid] = group

    # -- cancelling --------------------------------------------------------------------------
    def to_cancel(self, orders: dict[str, SubmitOrder]) -> list[str]:
        """Of a symbol's open orders, the ones the trader must cancel itself to cancel them all.

        Venue-managed, a child whose entry is cancelled too goes with it at the venue. Trader-
        managed, the exits waiting for a cancelled entry are forgotten.
        """
        if not self.venue_managed:
            for cid in orders:
                self.pending.pop(cid, None)
            return list(orders)
        mine: list[str] = []
        for cid, order in orders.items():
            parent = order.parent_id
            if parent is not None and parent in orders:
                held = self.cancelled_with.get(parent)
                if held is None:
                    held = self.cancelled_with[parent] = (order.symbol, [])
                held[1].append(cid)
            else:
                mine.append(cid)
        return mine

    # -- reports -----------------------------------------------------------------------------
    def on_final(self, update: OrderUpdate) -> None:
        """An order's final report (filled, canceled, rejected, expired)."""
        cid = update.client_order_id
        if self.venue_managed:
            held = self.cancelled_with.pop(cid, None)
            if held is not None and update.status == "filled":
                # The entry filled before the venue took its cancel: its children are live
                # exits now, and the trader meant them gone.
                symbol, kids = held
                for kid in kids:
                    self._cancel(symbol, kid)
            return
        exits = self.pending.pop(cid, None)
        if exits is not None:
            if update.filled_qty > 0.0:
                # the position held now: the target less what the entry did not fill
                qty = round(exits.target - (exits.entry_qty - update.filled_qty), 12)
                self._send(
                    exits.symbol, exits.side, qty, exits.take_profit, exits.stop_loss,
                    exits.group, None, exits.ids,
                )  # fmt: skip
            return
        gid = self.group_of.pop(cid, None)
        if gid is None:
            return
        members = self.groups[gid]
        symbol = members.pop(cid)
        if update.status == "filled":
            for other in members:
                self._cancel(symbol, other)
                del self.group_of[other]
            members.clear()
        if not members:
            del self.groups[gid]
