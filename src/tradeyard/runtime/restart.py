"""What a restarted node's traders take back from the order store, and the check against the
exchange (ARCHITECTURE.md, "Orders: never lost, never doubled").

The store records every fill and every order state with its trader, so it knows who owns what:
- `restore_positions` (before the adapter starts): each trader's net position and entry price
  from its recorded fills. The adapter's reconcile then records *and* publishes only the fills
  the store did not have (made while the node was down), which the trader adds on top: each
  fill counts once.
- `adopt_open_orders` (after reconcile): the trader's orders still open on the venue, so its
  next signal cancels them as it cancels its own and their margin counts; exits that close
  nothing are cancelled, the others paired again, and the exits an entry announced are held
  again (entry still open) or sent now (it filled while the node was down).
- `compare_positions` (after reconcile): the exchange's position per symbol against the sum of
  what the traders own; a difference (a manual trade, another system on the account, a lost
  fill) is logged with the fix and left alone: a trader trades only what it owns.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence

from tradeyard.bots import Trader
from tradeyard.events import SubmitOrder
from tradeyard.store import OrderRecord, OrderStore

__all__ = [
    "adopt_open_orders",
    "compare_positions",
    "differences",
    "owners_of",
    "restore_positions",
    "warn_difference",
]

log = logging.getLogger(__name__)


def restore_positions(store: OrderStore, venue: str, traders: Sequence[Trader]) -> None:
    """Seed each trader of live `venue` with what it owns by the store's fills."""
    owned = store.positions(venue)
    for trader in traders:
        mine = [p for (tid, _s), p in owned.items() if tid == trader.bot_id]
        trader.account.restore(
            {p.symbol: p.qty for p in mine},
            {p.symbol: p.entry_price for p in mine if p.entry_price is not None},
        )
        for p in mine:
            entry = f" @ {p.entry_price:g}" if p.entry_price is not None else ""
            log.info("%s: trader %s adopts %s %+g%s (from its %d recorded fill(s))", venue,
                     trader.bot_id, p.symbol, p.qty, entry, p.fills)  # fmt: skip


def adopt_open_orders(store: OrderStore, venue: str, traders: Sequence[Trader]) -> None:
    """Give each trader back its orders the store still has open on `venue` (after reconcile:
    those the exchange still holds). An intent never acknowledged ("pending") is left out."""
    by_trader: dict[str, list[OrderRecord]] = {}
    for record in store.unfinished(venue):
        if record.status != "pending":
            by_trader.setdefault(record.trader, []).append(record)
    entries = store.last_entries(venue)
    for trader in traders:
        records = by_trader.get(trader.bot_id, [])
        last = {
            symbol: (_as_command(r), r.filled_qty)
            for (tid, symbol), r in entries.items()
            if tid == trader.bot_id
        }
        done = trader.adopt_open_orders(((_as_command(r), r.filled_qty) for r in records), last)
        cancelled = set(done.cancelled)
        for symbol, ids in done.protected.items():
            entry = last[symbol][0]
            log.warning("%s: trader %s protects its %s position with the exits its entry %s "
                        "announced (take profit %s, stop %s): the entry filled while the node "
                        "was down; sent as %s", venue, trader.bot_id, symbol,
                        entry.client_order_id, entry.take_profit, entry.stop_loss,
                        ", ".join(ids))  # fmt: skip
        for r in records:
            if r.client_order_id in cancelled:
                log.warning("%s: trader %s cancels its reduce-only %s %s %s (%s): no %s position "
                            "to close after the restart, it would act on the next one", venue,
                            trader.bot_id, r.order_type, r.side, r.symbol, r.client_order_id,
                            "long" if r.side == "sell" else "short")  # fmt: skip
                continue
            price = r.price if r.price is not None else r.trigger_price
            log.info("%s: trader %s takes back its open %s %s %s %g%s (%s)", venue,
                     trader.bot_id, r.order_type, r.side, r.symbol, r.qty - r.filled_qty,
                     f" @ {price:g}" if price is not None else "", r.client_order_id)  # fmt: skip


def _as_command(r: OrderRecord) -> SubmitOrder:
    return SubmitOrder(
        r.trader, r.venue, r.symbol, r.created_ms, r.client_order_id,
        r.side, r.order_type, r.qty, price=r.price,  # type: ignore[arg-type]
        trigger_price=r.trigger_price, reduce_only=r.reduce_only, take_profit=r.take_profit,
        stop_loss=r.stop_loss,
    )  # fmt: skip


def owners_of(
    venue: str, traders: Sequence[Trader], store: OrderStore | None
) -> dict[str, dict[str, float]]:
    """Who owns what on `venue`: each of `traders`' positions, plus, from the store, the other
    traders whose fills are there (another node sharing the store and the account, or a trader
    no longer configured)."""
    owners: dict[str, dict[str, float]] = {
        t.bot_id: {s: q for s, q in t.positions.items() if q} for t in traders
    }
    if store is not None:
        for (tid, symbol), p in store.positions(venue).items():
            if tid not in owners:  # its fills are in the store, but not one of `traders`
                owners.setdefault(f"{tid} (not on this node)", {})[symbol] = p.qty
    return owners


def differences(
    exchange: Mapping[str, float],
    owners: Mapping[str, Mapping[str, float]],
    symbols: Collection[str],
) -> dict[str, tuple[float, float, dict[str, float]]]:
    """Symbol → (exchange's position, sum the owners hold, each owner's part), for the symbols
    of `symbols` or of the exchange where the two differ."""
    held = {s for pos in owners.values() for s in pos}
    out: dict[str, tuple[float, float, dict[str, float]]] = {}
    for symbol in sorted((held & set(symbols)) | set(exchange)):
        on_exchange = exchange.get(symbol, 0.0)
        parts = {o: pos[symbol] for o, pos in owners.items() if symbol in pos}
        owned = round(sum(parts.values()), 12)
        if abs(on_exchange - owned) > 1e-9:
            out[symbol] = (on_exchange, owned, parts)
    return out


def warn_difference(
    venue: str, symbol: str, on_exchange: float, owned: float, parts: Mapping[str, float]
) -> None:
    """One WARNING: the quantities, who owns what, and the fix for the direction."""
    who = ", ".join(f"{o} {q:+g}" for o, q in parts.items()) or "none"
    if owned == 0.0 or (owned * on_exchange > 0.0 and abs(on_exchange) > abs(owned)):
        fix = ("The traders trade only what they own: close the difference on the "
               "exchange by hand, or leave it knowing no trader manages it")  # fmt: skip
    else:
        fix = ("The traders count on quantity the exchange does not hold (closed by "
               "hand or liquidated?) and size their next orders on it: trade the "
               "difference on the exchange by hand so the two agree")  # fmt: skip
    log.warning(
        "%s %s: the exchange holds %+g but the traders own %+g by the order store "
        "(%s): a difference of %+g traded outside them (by hand, by another system on "
        "this account, or a fill the store never got). %s", venue, symbol, on_exchange,
        owned, who, round(on_exchange - owned, 12), fix,
    )  # fmt: skip


def compare_positions(
    venue: str,
    exchange: Mapping[str, float],
    traders: Sequence[Trader],
    store: OrderStore | None,
    configured: Collection[str],
) -> None:
    """Warn, per symbol, where the exchange's position is not the sum of what the traders own
    (manual trades, another system on the account, a fill the store never got). The traders
    trade only what they own, so the difference stays as it is until a human acts."""
    owners = owners_of(venue, traders, store)
    held = {s for pos in owners.values() for s in pos}
    for symbol in sorted(held - set(configured)):
        log.warning(
            "%s %s: the order store says %s own(s) a position on a symbol this venue does "
            "not list in its symbols, so the exchange was not asked; add the symbol to "
            "check it", venue, symbol,
            ", ".join(f"{o} {pos[symbol]:+g}" for o, pos in owners.items() if symbol in pos),
        )  # fmt: skip
    for symbol, (on_exchange, owned, parts) in differences(exchange, owners, configured).items():
        warn_difference(venue, symbol, on_exchange, owned, parts)
