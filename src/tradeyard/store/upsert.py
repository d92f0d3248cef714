"""The three writes of the store as single statements: insert-if-new (intents, fills) and the
order upsert that only moves an order *forward*.

Both SQLite and PostgreSQL speak `INSERT ... ON CONFLICT`, with a WHERE on the DO UPDATE; the
dialect's own `insert` builds it. "Forward" means: never out of a finished state, never to an
earlier state (pending < new < partially_filled < finished), and within the same state only with
more filled. So a late or repeated report (the REST answer after the stream's, a stream replay
after a restart) changes nothing, and the caller learns that from RETURNING (a row count is not
reliable across drivers: psycopg answered -1 for these inserts): it publishes an update only
when the store moved, which is what keeps each state change on the bus exactly once.

One exception: "rejected" yields to a live state the exchange reports, because the adapter
itself writes "rejected" when it cannot know (an intent not sent before a crash, a request that
timed out): if the exchange later shows the order, the exchange is right.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Insert, Table, and_, case, func, or_
from sqlalchemy.dialects import postgresql, sqlite

from tradeyard.store.schema import orders

__all__ = ["insert_if_new", "upsert_order"]


def _insert(dialect: str, table: Table) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def insert_if_new(dialect: str, table: Table) -> Insert:
    """INSERT that does nothing when the primary key exists (then it returns no row).

    Built once and executed with each row as its parameters: building a statement costs far
    more than running it (≈0.6 ms against ≈0.1 ms on SQLite), and this runs before every order."""
    key = list(table.primary_key.columns)
    return _insert(dialect, table).on_conflict_do_nothing().returning(*key)


def _rank(status: ColumnElement[Any]) -> ColumnElement[int]:
    return case(
        (status == "pending", 0), (status == "new", 1), (status == "partially_filled", 2),
        else_=3,
    )  # fmt: skip


def upsert_order(dialect: str) -> Insert:
    """Insert the order, or move the existing row forward (no row returned when it did not).
    Built once, executed with each row as its parameters (see `insert_if_new`)."""
    stmt = _insert(dialect, orders)
    new, cur = stmt.excluded, orders.c
    forward = or_(
        and_(
            _rank(cur.status) < 3,
            or_(
                _rank(new.status) > _rank(cur.status),
                and_(_rank(new.status) == _rank(cur.status), new.filled_qty > cur.filled_qty),
            ),
        ),
        # a rejection inferred here (never sent, unanswered request) yields to the exchange
        # (two comparisons, not NOT IN: an expanding IN cannot be compiled once for reuse)
        and_(cur.status == "rejected", new.status != "pending", new.status != "rejected"),
    )
    keep_if_empty = {
        name: case((getattr(new, name) != "", getattr(new, name)), else_=getattr(cur, name))
        for name in ("venue_order_id", "reason")
    }
    keep_if_null = {
        name: func.coalesce(getattr(new, name), getattr(cur, name))
        for name in ("price", "trigger_price", "avg_price")
    }
    replaced = ("trader", "venue", "symbol", "side", "order_type", "qty", "reduce_only", "status",
                "updated_ms")  # fmt: skip
    more = case((new.filled_qty > cur.filled_qty, new.filled_qty), else_=cur.filled_qty)
    set_ = {
        **{name: getattr(new, name) for name in replaced},
        "filled_qty": more,
        **keep_if_empty,
        **keep_if_null,
    }
    return stmt.on_conflict_do_update(
        index_elements=[orders.c.client_order_id], set_=set_, where=forward
    ).returning(orders.c.client_order_id)
