"""A `[[venues]]` entry's fault-handling settings reach the adapter it builds (both venues),
and bad values are refused naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeyard.bus import InProcessBus
from tradeyard.errors import ConfigError
from tradeyard.runtime import load_run_config
from tradeyard.runtime.live_venue import build_live_venue

ENV = {"K": "key", "S": "secret"}


def _config(tmp_path: Path, kind: str, extra: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(f"""
[[venues]]
name = "v"
kind = "{kind}"
environment = "testnet"
api_key_env = "K"
api_secret_env = "S"
symbols = ["BTCUSDT"]
{extra}

[[strategies]]
id = "s"
strategy = "sma_cross"

[[traders]]
id = "t"
follows = {{ s = 1.0 }}
""")
    return path


@pytest.mark.parametrize("kind", ["binanceusdm", "bybit"])
def test_venue_entry_fault_settings_reach_the_adapter(tmp_path: Path, kind: str) -> None:
    extra = (
        "order_poll_s = 7.5\nstale_after_s = 12\nrest_max_attempts = 3\n"
        "rest_max_wait_s = 40\nreconnect_max_delay_s = 9\nrest_weight_limit = 1200"
    )
    cfg, env = load_run_config(_config(tmp_path, kind, extra), environ=ENV)
    venue = build_live_venue(InProcessBus(), cfg.venues[0], env).adapter
    got = venue.config
    assert (got.order_poll_s, got.stale_after_s, got.rest_max_attempts, got.rest_max_wait_s,
            got.reconnect_max_delay_s) == (7.5, 12.0, 3, 40.0, 9.0)  # fmt: skip
    if kind == "binanceusdm":
        assert got.rest_weight_limit == 1200


def test_venue_entry_without_fault_settings_keeps_each_venues_defaults(tmp_path: Path) -> None:
    for kind, stale in (("binanceusdm", 30.0), ("bybit", 90.0)):
        cfg, env = load_run_config(_config(tmp_path, kind, ""), environ=ENV)
        got = build_live_venue(InProcessBus(), cfg.venues[0], env).adapter.config
        assert (got.stale_after_s, got.order_poll_s) == (stale, 30.0)


def test_venue_entry_bad_setting_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"order_poll_s"):
        load_run_config(_config(tmp_path, "binanceusdm", "order_poll_s = -1"), environ=ENV)
