"""Storage URLs: passwords never printed, bare PostgreSQL URLs get an installed driver."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import optuna
import pytest

from tradeyard.errors import ConfigError
from tradeyard.research.storage import is_url, mask_url, normalize_url, open_storage


def test_mask_url_when_password_given_hides_it() -> None:
    url = "postgresql://bob:s3cr3t@db.example:5432/optuna"
    assert mask_url(url) == "postgresql://bob:***@db.example:5432/optuna"


def test_mask_url_when_no_password_leaves_url_alone() -> None:
    assert mask_url("postgresql://bob@127.0.0.1:5432/db") == "postgresql://bob@127.0.0.1:5432/db"


def test_normalize_url_when_not_postgres_leaves_url_alone() -> None:
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalize_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"


@pytest.mark.skipif(
    importlib.util.find_spec("psycopg2") is not None, reason="psycopg2 is preferred when present"
)
@pytest.mark.skipif(importlib.util.find_spec("psycopg") is None, reason="needs psycopg")
def test_normalize_url_when_bare_postgres_uses_psycopg_three() -> None:
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_open_storage_when_path_gives_a_journal_file(tmp_path: Path) -> None:
    path = tmp_path / "study.journal"
    assert not is_url(str(path))
    storage = open_storage(str(path))
    assert isinstance(storage, optuna.storages.JournalStorage)
    assert path.exists()


def test_open_storage_when_journal_folder_missing_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--storage: cannot open journal file"):
        open_storage(str(tmp_path / "no" / "such" / "dir" / "x.journal"))


def test_open_storage_when_sqlite_url_gives_an_rdb_storage(tmp_path: Path) -> None:
    storage = open_storage(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(storage, optuna.storages.RDBStorage)
