"""The tables of the order store: one row per order (its latest state) and one per fill.

Why these keys:
- `orders.client_order_id` is the primary key because it is the one id known *before* the
  exchange answers (a trader derives it, `<trader>-<seq>`), so an intent can be written first
  and every later state of the same order lands on the same row.
- `fills` are keyed by (venue, symbol, fill_id): Binance numbers trades per symbol, so a trade id
  alone is not unique across symbols or venues; a fill seen twice (REST and stream, or again
  after a restart) still hits the same key and is stored once.
- `orders.seq` is the numeric tail of the client order id, so a restarted trader can continue
  its sequence (`max(seq)`) instead of reusing ids.

Only the store package imports SQLAlchemy.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    MetaData,
    String,
    Table,
)

__all__ = ["ADDED_COLUMNS", "fills", "metadata", "orders"]

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("client_order_id", String(64), primary_key=True),
    Column("trader", String(64), nullable=False),
    Column("seq", BigInteger, nullable=True),
    Column("venue", String(32), nullable=False),
    Column("symbol", String(32), nullable=False),
    Column("side", String(8), nullable=False),
    Column("order_type", String(16), nullable=False),
    Column("qty", Float, nullable=False),
    Column("price", Float, nullable=True),
    Column("trigger_price", Float, nullable=True),
    Column("reduce_only", Boolean, nullable=False, default=False),
    Column("status", String(20), nullable=False),
    Column("filled_qty", Float, nullable=False, default=0.0),
    Column("avg_price", Float, nullable=True),
    Column("venue_order_id", String(64), nullable=False, default=""),
    Column("reason", String(500), nullable=False, default=""),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("take_profit", Float, nullable=True),
    Column("stop_loss", Float, nullable=True),
    Index("ix_orders_venue_status", "venue", "status"),
    Index("ix_orders_trader_seq", "trader", "seq"),
)

ADDED_COLUMNS = {"orders": ("take_profit", "stop_loss")}
"""Columns added after the first release: a store created before them gets them at open
(`ALTER TABLE ... ADD COLUMN`, nullable), so an existing database keeps working."""

fills = Table(
    "fills",
    metadata,
    Column("venue", String(32), primary_key=True),
    Column("symbol", String(32), primary_key=True),
    Column("fill_id", String(64), primary_key=True),
    Column("client_order_id", String(64), nullable=False),
    Column("trader", String(64), nullable=False),
    Column("side", String(8), nullable=False),
    Column("qty", Float, nullable=False),
    Column("price", Float, nullable=False),
    Column("fee", Float, nullable=False),
    Column("liquidity", String(8), nullable=False),
    Column("realized_pnl", Float, nullable=False, default=0.0),
    Column("ts", BigInteger, nullable=False),
    Index("ix_fills_client_order_id", "client_order_id"),
)
