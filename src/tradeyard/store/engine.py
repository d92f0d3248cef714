"""Open a database by URL: SQLite by default (one file, WAL), PostgreSQL when shared.

SQLite runs in WAL mode with `synchronous=FULL`: an intent must be on disk before its order goes
out, or a crash right after the send could forget an order the exchange has (the one thing the
store exists to prevent). WAL lets readers (dashboard, reports) run beside the writer. A
`busy_timeout` makes a second process wait for the lock instead of failing at once.

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


def make_engine(url: str) -> Engine:
    """An engine for `url` (already normalized); SQLite connections get WAL and FULL sync."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    db = parsed.database or ""
    if db and db != ":memory:":
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()
