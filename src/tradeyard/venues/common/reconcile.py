"""Reconcile on start: bring the store and the traders up to date with the exchange before the
adapter takes a new command (ARCHITECTURE.md, "Orders: never lost, never doubled").

For every unfinished order of the venue in the store (pending, new, partially filled) the
exchange is asked by client order id:
- found: its trades are published as Fills and its state as an OrderUpdate on `exec.<trader>`,
  through the adapter's `report_fill` / `report_update`, which record them and publish only what
  the store did not have yet (a fill or state seen before the crash is not published twice);
- not found and still "pending": the intent was written but the process died before the
  exchange got it. It is published `rejected` with reason "not sent before restart", so the
  trader learns the order does not exist (it is never sent late: the market has moved on);
- not found but once acknowledged: logged (the exchange no longer answers for it; left as is).

A finished order whose fills in the store add up to less than its filled quantity (the process
stopped between writing the order's final state and its last fills, which come on another
stream) has its trades fetched, and the missing fills are published the same way.

Then the exchange's open orders (with Binance's open algo orders: stops and take-profits) and
positions on the configured symbols are read: each open order the store does not know gets one
clear log line (it is not managed); each position is logged, and the node compares them with
what its traders own by the store (`runtime.restart`), warning about any difference.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from tradeyard.events import Fill, OrderUpdate
from tradeyard.venues.common.symbols import to_venue

if TYPE_CHECKING:
    from tradeyard.store import OrderRecord, OrderStore

__all__ = [
    "NOT_SENT_REASON",
    "Reconcilable",
    "ReconcileReport",
    "poll_order",
    "reconcile",
    "update_from_record",
]

log = logging.getLogger(__name__)

NOT_SENT_REASON = "not sent before restart"


class Reconcilable(Protocol):
    """What reconcile needs from an execution adapter (`CcxtExecution` has it all)."""

    @property
    def venue(self) -> str: ...
    def now_ms(self) -> int: ...
    async def find_order(self, symbol: str, client_order_id: str) -> Mapping[str, Any] | None: ...
    async def fetch_order_trades(
        self, symbol: str, venue_order_id: str
    ) -> list[Mapping[str, Any]]: ...
    async def fetch_open_orders(self, symbol: str) -> list[Mapping[str, Any]]: ...
    async def fetch_positions(self, symbols: list[str]) -> list[Mapping[str, Any]]: ...
    def order_update(self, order: Mapping[str, Any], symbol: str, trader: str) -> OrderUpdate: ...
    def fill(self, trade: Mapping[str, Any], symbol: str, trader: str, coid: str) -> Fill: ...
    def report_update(self, update: OrderUpdate) -> bool: ...
    def report_fill(self, fill: Fill) -> bool: ...


@dataclass
class ReconcileReport:
    """What one reconcile did (also logged)."""

    checked: list[str] = field(default_factory=list)
    """Client order ids of the unfinished orders asked about."""
    updated: list[str] = field(default_factory=list)
    """Orders whose newer state was published."""
    not_sent: list[str] = field(default_factory=list)
    """Intents the exchange never saw, published as rejected."""
    missing: list[str] = field(default_factory=list)
    """Acknowledged orders the exchange no longer knows (left as they are)."""
    fills: int = 0
    """Fills published (ones the store did not have)."""
    missing_fills: dict[str, int] = field(default_factory=dict)
    """Finished orders whose fills the store lacked → how many were fetched and published."""
    unknown_open_orders: list[tuple[str, str]] = field(default_factory=list)
    """(symbol, client order id or exchange id) of open orders the store does not know."""
    positions: dict[str, float] = field(default_factory=dict)
    """Symbol → signed quantity on the exchange (non-zero only)."""


def update_from_record(
    record: OrderRecord, ts: int, status: str | None = None, reason: str | None = None
) -> OrderUpdate:
    """A stored order as an OrderUpdate (optionally with a new status and reason)."""
    state = status or record.status
    return OrderUpdate(
        record.trader, record.venue, record.symbol, ts, record.client_order_id,
        "rejected" if state == "pending" else state,  # type: ignore[arg-type]
        record.side, record.order_type, record.qty,  # type: ignore[arg-type]
        filled_qty=record.filled_qty, avg_price=record.avg_price, price=record.price,
        trigger_price=record.trigger_price, reduce_only=record.reduce_only,
        reason=record.reason if reason is None else reason,
        venue_order_id=record.venue_order_id,
    )  # fmt: skip


async def reconcile(
    execution: Reconcilable, store: OrderStore, symbols: Sequence[str]
) -> ReconcileReport:
    """Reconcile `execution.venue`'s unfinished orders and the finished ones short of fills,
    then log unknown open orders and the exchange's positions. Exchange errors propagate: the
    adapter must not take commands on a store it could not reconcile."""
    venue = execution.venue
    report = ReconcileReport()
    for record in store.unfinished(venue):
        report.checked.append(record.client_order_id)
        await _reconcile_order(execution, record, report)
    for record in store.short_of_fills(venue):
        await _fetch_missing_fills(execution, record, report)
    await _survey_account(execution, store, list(symbols), report)
    log.info(
        "%s: reconciled %d unfinished order(s): %d updated, %d never sent, %d missing, "
        "%d fill(s) published", venue, len(report.checked), len(report.updated),
        len(report.not_sent), len(report.missing), report.fills,
    )  # fmt: skip
    return report


async def _reconcile_order(
    execution: Reconcilable, record: OrderRecord, report: ReconcileReport
) -> None:
    coid = record.client_order_id
    order = await execution.find_order(record.symbol, coid)
    if order is None:
        if record.status == "pending":
            log.warning("%s: order %s was written but never reached the exchange: rejected (%s)",
                        execution.venue, coid, NOT_SENT_REASON)  # fmt: skip
            update = update_from_record(record, execution.now_ms(), "rejected", NOT_SENT_REASON)
            execution.report_update(update)
            report.not_sent.append(coid)
        else:
            log.warning("%s: order %s (%s in the store) is unknown to the exchange; left as is",
                        execution.venue, coid, record.status)  # fmt: skip
            report.missing.append(coid)
        return
    status, updated, fills = await _publish_found(execution, record, order, fills_after=0.0)
    report.fills += fills
    if updated:
        log.info("%s: order %s is %s on the exchange (was %s in the store)", execution.venue,
                 coid, status, record.status)  # fmt: skip
        report.updated.append(coid)


async def _fetch_missing_fills(
    execution: Reconcilable, record: OrderRecord, report: ReconcileReport
) -> None:
    """A finished order whose fills the store does not all have (the process stopped between
    writing its final state and writing its last fills): fetch its trades, publish the missing
    ones once (a trader seeded from the store's fills adds them on top)."""
    coid = record.client_order_id
    published = 0
    for trade in await execution.fetch_order_trades(record.symbol, record.venue_order_id):
        if execution.report_fill(execution.fill(trade, record.symbol, record.trader, coid)):
            published += 1
    report.fills += published
    report.missing_fills[coid] = published
    log.warning("%s: order %s is %s with %g filled, more than its fills in the store: %d "
                "missing fill(s) fetched and published", execution.venue, coid, record.status,
                record.filled_qty, published)  # fmt: skip


async def poll_order(execution: Reconcilable, record: OrderRecord) -> tuple[str, bool, int] | None:
    """While running, ask the exchange about one open order the private stream has been quiet
    about, and publish what the stream missed (deduplicated like every update and fill).

    Returns (status on the exchange, whether its state was news, fills published), or None
    when the exchange does not know the order. Trades are fetched only when the exchange
    reports more filled than the store holds, so a quiet resting order costs one request.
    """
    order = await execution.find_order(record.symbol, record.client_order_id)
    if order is None:
        return None
    return await _publish_found(execution, record, order, fills_after=record.filled_qty)


async def _publish_found(
    execution: Reconcilable, record: OrderRecord, order: Mapping[str, Any], fills_after: float
) -> tuple[str, bool, int]:
    """Publish the fills (when more than `fills_after` is filled) and the state of `record`'s
    order as the exchange answered it: (status, state was news, fills published)."""
    coid, symbol, trader = record.client_order_id, record.symbol, record.trader
    update = execution.order_update(order, symbol, trader)
    if update.client_order_id != coid:
        update = msgspec.structs.replace(update, client_order_id=coid)
    fills = 0
    if update.filled_qty > fills_after and update.venue_order_id:
        for trade in await execution.fetch_order_trades(symbol, update.venue_order_id):
            if execution.report_fill(execution.fill(trade, symbol, trader, coid)):
                fills += 1
    return update.status, execution.report_update(update), fills


async def _survey_account(
    execution: Reconcilable, store: OrderStore, symbols: list[str], report: ReconcileReport
) -> None:
    venue = execution.venue
    for symbol in symbols:
        for order in await execution.fetch_open_orders(symbol):
            coid = str(order.get("clientOrderId") or "")
            if coid and store.order(coid) is not None:
                continue
            name = coid or f"exchange id {order.get('id')}"
            trigger = order.get("triggerPrice")
            log.warning(
                "%s: open order %s on %s (%s %s @ %s%s) is not in the order store: placed "
                "outside this node; not managed, cancel it on the exchange if unwanted", venue,
                name, symbol, order.get("side"), order.get("amount"), order.get("price"),
                f", trigger {trigger}" if trigger else "",
            )  # fmt: skip
            report.unknown_open_orders.append((symbol, name))
    if not symbols:
        return
    for position in await execution.fetch_positions(symbols):
        contracts = float(position.get("contracts") or 0.0)
        if not contracts:
            continue
        qty = -contracts if position.get("side") == "short" else contracts
        symbol = to_venue(str(position.get("symbol")))
        report.positions[symbol] = qty
        log.info("%s: position on the exchange at start: %s %+g @ %s", venue, symbol, qty,
                 position.get("entryPrice"))  # fmt: skip
