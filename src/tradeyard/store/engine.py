"""Open a database by URL: SQLite by default (one file, WAL), PostgreSQL when shared.

SQLite runs in WAL mode. `durability` picks its `synchronous` setting, i.e. what a committed
intent survives before its order goes out:
* "process" (default, `synchronous=NORMAL`): the commit is in the WAL file when the order is
  sent, so a crash or kill of the bot loses nothing; an OS crash or power cut may lose the last
  commits (then reconcile reports the exchange's order as unknown rather than adopting it, and
  a reused client order id is refused by the exchange: still never doubled).
* "power_loss" (`synchronous=FULL`): every commit is fsynced first; on this project's machines
  that costs about 2 ms per order (bench/kline_to_order_latency.py --durability power_loss).
WAL lets readers (dashboard, reports) run beside the writer. A `busy_timeout` makes a second
process wait for the lock instead of failing at once.

PostgreSQL is accepted as `postgresql+psycopg://user:pass@host/db` (a bare `postgresql://` is
mapped to the psycopg 3 driver, the one the project installs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tradeyard.errors import ConfigError

__all__ = ["DEFAULT_FILE", "default_url", "make_engine", "normalize_url"]

DEFAULT_FILE = "tradeyard.db"


def default_url(directory: str | Path) -> str:
    """The default store: a SQLite file `tradeyard.db` in `directory` (next to the config)."""
    return f"sqlite:///{Path(directory).expanduser().resolve() / DEFAULT_FILE}"


def normalize_url(url: str, base_dir: str | Path | None = None) -> str:
    """Check a store URL and make it concrete: `~` expands and relative SQLite paths resolve
    against `base_dir` (the config's folder), `postgresql://` gets the psycopg driver. Raises
    ConfigError naming `store.url`."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigError(
            f"store url {url!r} is not a database URL: use sqlite:///path/to/tradeyard.db or "
            "postgresql+psycopg://user:password@host/dbname",
            where="store.url",
        ) from e
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        db = parsed.database or ""
        if db and db != ":memory:":
            path = Path(db).expanduser()
            if base_dir is not None and not path.is_absolute():
                path = (Path(base_dir) / path).resolve()
            parsed = parsed.set(database=str(path))
        return parsed.render_as_string(hide_password=False)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed.render_as_string(hide_password=False)
    raise ConfigError(
        f"store url {url!r}: database {backend!r} is not supported; use sqlite:///... or "
        "postgresql+psycopg://...",
        where="store.url",
    )


SQLITE_SYNC = {"process": "NORMAL", "power_loss": "FULL"}
"""`synchronous` pragma per durability level (see the module docstring)."""


def make_engine(url: str, durability: str = "process") -> Engine:
    """An engine for `url` (already normalized); SQLite connections get WAL and the
    `synchronous` setting of `durability`."""
    if durability not in SQLITE_SYNC:
        raise ConfigError(
            f"durability {durability!r}: use one of {', '.join(SQLITE_SYNC)}",
            where="store.durability",
        )
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    db = parsed.database or ""
    if db and db != ":memory:":
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    sync = SQLITE_SYNC[durability]

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sync}")  # one of two constants above
            # No checkpoint inside a commit: it would land on whichever write crosses the
            # threshold, an order's intent among them (a spike of several ms before the send).
            # The owner checkpoints off the hot path instead (`OrderStore.checkpoint`).
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute("PRAGMA busy_timeout=5000")
        finally:
            cursor.close()

    event.listen(engine, "connect", pragmas)
    return engine
