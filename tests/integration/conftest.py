"""Fixtures shared by the integration tests: a real PostgreSQL server (store, parameter search)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tradeyard.testkit.postgres import PostgresUnavailable, local_postgres


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh server per test module; skipped, saying why, only when none can start."""
    pytest.importorskip("psycopg", reason="the PostgreSQL driver: pip install 'psycopg[binary]'")
    try:
        with local_postgres() as url:
            yield url
    except PostgresUnavailable as e:
        pytest.skip(str(e))
