"""Config, URLs and credentials: environments, overrides, and secrets that never show."""

from __future__ import annotations

from types import SimpleNamespace

import msgspec
import pytest

from tradeyard.errors import ConfigError
from tradeyard.venues.binance.config import BinanceConfig
from tradeyard.venues.binance.urls import CCXT_SECTIONS, apply_to_ccxt, urls_for
from tradeyard.venues.common.credentials import load_credentials


def test_urls_when_prod_use_binance_hosts() -> None:
    urls = urls_for(BinanceConfig())
    assert (urls.rest, urls.ws) == ("https://fapi.binance.com", "wss://fstream.binance.com/ws")


def test_urls_when_local_use_the_given_fake_urls() -> None:
    config = BinanceConfig(
        environment="local", rest_url="http://127.0.0.1:9/", ws_url="ws://127.0.0.1:9/ws"
    )
    urls = urls_for(config)
    assert (urls.rest, urls.ws) == ("http://127.0.0.1:9", "ws://127.0.0.1:9/ws")


def test_config_when_local_without_urls_raises_naming_fields() -> None:
    with pytest.raises(ValueError, match="rest_url and ws_url"):
        BinanceConfig(environment="local")


def test_config_when_unknown_key_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="api_secret"):
        msgspec.convert({"api_secret": "abc"}, BinanceConfig)


def test_apply_to_ccxt_when_client_has_sections_replaces_values_in_place() -> None:
    client = SimpleNamespace(urls={"api": {"sapi": "https://api.binance.com/sapi/v1", "ws": {}}})
    config = BinanceConfig(environment="local", rest_url="http://h:1", ws_url="ws://h:1/ws")
    apply_to_ccxt(client, urls_for(config))
    api = client.urls["api"]
    assert api["fapiPrivateV2"] == "http://h:1/fapi/v2" and api["ws"]["linear"] == "ws://h:1/ws"
    assert api["sapi"].startswith("https://api.binance.com")  # untouched sections kept
    assert set(CCXT_SECTIONS) <= set(api)


def test_credentials_when_env_set_are_read_and_never_shown() -> None:
    config = BinanceConfig(api_key_env="K", api_secret_env="S")
    creds = load_credentials(config, "Binance", {"K": "keyABCDEF", "S": "topsecretvalue"})
    assert (creds.api_key, creds.api_secret) == ("keyABCDEF", "topsecretvalue")
    assert "topsecretvalue" not in repr(creds) + str(creds) + repr(config)


def test_credentials_when_missing_raise_naming_the_variables() -> None:
    with pytest.raises(ConfigError, match="K, S"):
        load_credentials(BinanceConfig(api_key_env="K", api_secret_env="S"), "Binance", {})
