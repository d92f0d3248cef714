"""The `[store]` section of a run config: the default file next to the config, relative paths,
and errors that name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeyard.errors import ConfigError
from tradeyard.runtime import load_run_config

ENV = {"TY_KEY": "k", "TY_SECRET": "s"}
BASE = """
[[venues]]
name = "binance"
kind = "binanceusdm"
environment = "local"
rest_url = "http://127.0.0.1:9100"
ws_url = "ws://127.0.0.1:9100/ws"
api_key_env = "TY_KEY"
api_secret_env = "TY_SECRET"
symbols = ["BTCUSDT"]

[[strategies]]
id = "trend"
strategy = "sma_cross"
"""


def _write(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "run.toml"
    path.write_text(BASE + extra)
    return path


def test_run_config_when_no_store_section_uses_tradeyard_db_next_to_config(tmp_path) -> None:
    cfg, _ = load_run_config(_write(tmp_path), environ=ENV)
    assert cfg.store.url == f"sqlite:///{(tmp_path / 'tradeyard.db').resolve()}"


def test_run_config_when_store_url_relative_resolves_against_config_folder(tmp_path) -> None:
    cfg, _ = load_run_config(
        _write(tmp_path, '\n[store]\nurl = "sqlite:///data/orders.db"\n'), environ=ENV
    )
    assert cfg.store.url == f"sqlite:///{(tmp_path / 'data' / 'orders.db').resolve()}"


def test_run_config_when_store_url_is_postgresql_keeps_it_with_psycopg(tmp_path) -> None:
    cfg, _ = load_run_config(
        _write(tmp_path, '\n[store]\nurl = "postgresql://ty:pw@127.0.0.1/ty"\n'), environ=ENV
    )
    assert cfg.store.url == "postgresql+psycopg://ty:pw@127.0.0.1/ty"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ('\n[store]\nurl = "mysql://u@h/db"\n', "not supported"),
        ('\n[store]\nurl = "orders.db"\n', "not a database URL"),
        ('\n[store]\npath = "x.db"\n', "path"),
    ],
)
def test_run_config_when_store_is_wrong_names_the_key(tmp_path, extra, words) -> None:
    with pytest.raises(ConfigError, match=words) as info:
        load_run_config(_write(tmp_path, extra), environ=ENV)
    assert "store" in str(info.value)
