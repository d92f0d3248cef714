"""Where a study's trials live, so that processes and machines can share one study.

``--storage`` takes:

- an SQLAlchemy URL (``postgresql://user:pw@host:5432/db``, ``mysql://…``, ``sqlite:///x.db``):
  optuna's RDB storage. Several machines point at the same PostgreSQL database and work on one
  study; a study survives restarts. A plain ``postgresql://`` / ``postgres://`` URL is given the
  psycopg (3) driver when psycopg2 is not installed, so the URL people copy from a database
  console works as it is. Trials send a heartbeat, so a trial whose process was killed is marked
  failed once its heartbeat is older than the grace period, instead of staying "running" forever.
- anything else is a file path for optuna's journal storage (an append-only log file with a file
  lock): sharing across processes of one machine without a database server.

Without ``--storage`` a single process keeps the study in memory, and several processes share a
journal file in a temporary folder that is deleted at the end.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from typing import Any

from tradeyard.errors import ConfigError

__all__ = [
    "HEARTBEAT_GRACE_S",
    "HEARTBEAT_INTERVAL_S",
    "is_url",
    "mask_url",
    "normalize_url",
    "open_storage",
]

HEARTBEAT_INTERVAL_S = 10
HEARTBEAT_GRACE_S = 60


def is_url(storage: str) -> bool:
    return "://" in storage


def mask_url(storage: str) -> str:
    """The URL with any password replaced by ***, safe to print and to write to JSON."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", storage)


def normalize_url(url: str) -> str:
    """Give bare PostgreSQL URLs a driver that is installed (psycopg2 first, then psycopg 3)."""
    scheme, sep, rest = url.partition("://")
    if scheme not in ("postgresql", "postgres"):
        return url
    if importlib.util.find_spec("psycopg2") is not None:
        return f"postgresql{sep}{rest}"
    if importlib.util.find_spec("psycopg") is not None:
        return f"postgresql+psycopg{sep}{rest}"
    raise ConfigError(
        f"{mask_url(url)} needs a PostgreSQL driver: pip install 'psycopg[binary]'",
        where="--storage",
    )


def open_storage(storage: str) -> Any:
    """An optuna storage for an SQLAlchemy URL or a journal file path (module doc)."""
    import optuna

    if not is_url(storage):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        try:
            return JournalStorage(JournalFileBackend(storage))
        except OSError as e:
            raise ConfigError(
                f"cannot open journal file {storage!r}: {e.strerror or e}", where="--storage"
            ) from e
    url = normalize_url(storage)
    try:
        with warnings.catch_warnings():  # heartbeats are "experimental" in optuna; we rely on them
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                url,
                heartbeat_interval=HEARTBEAT_INTERVAL_S,
                grace_period=HEARTBEAT_GRACE_S,
                engine_kwargs={"pool_pre_ping": True} if not url.startswith("sqlite") else None,
            )
    except Exception as e:  # SQLAlchemy / driver errors come in many types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(
            f"cannot open study storage {mask_url(storage)}: {first}", where="--storage"
        ) from e
