"""The store: the one source of truth for orders and fills, in SQLite (default, WAL) or
PostgreSQL. The only package that knows SQL.

`open_store(url, base_dir)` → `OrderStore`: `record_intent` (before an order is sent),
`record_update` (every state change, an upsert that only moves forward), `record_fill`
(idempotent by trade id), `unfinished(venue)` (what to reconcile after a restart),
`positions(venue)` (what each trader holds by its recorded fills: what a restarted trader
starts from).
"""

from tradeyard.store.engine import DEFAULT_FILE, default_url, normalize_url
from tradeyard.store.order_store import OrderStore, open_store
from tradeyard.store.records import FINISHED, UNFINISHED, FillRecord, OrderRecord, PositionRecord

__all__ = [
    "DEFAULT_FILE",
    "FINISHED",
    "UNFINISHED",
    "FillRecord",
    "OrderRecord",
    "OrderStore",
    "PositionRecord",
    "default_url",
    "normalize_url",
    "open_store",
]
