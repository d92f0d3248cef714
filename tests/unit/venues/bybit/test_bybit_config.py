"""Config, URLs and credentials: environments, overrides, and secrets that never show."""

from __future__ import annotations

from types import SimpleNamespace

import msgspec
import pytest

from tradeyard.errors import ConfigError
from tradeyard.venues.bybit.config import BybitConfig
from tradeyard.venues.bybit.urls import REST_KEYS, apply_to_ccxt, urls_for
from tradeyard.venues.common.credentials import load_credentials

LOCAL = {
    "rest_url": "http://127.0.0.1:9/",
    "public_ws_url": "ws://127.0.0.1:9/v5/public/linear",
    "private_ws_url": "ws://127.0.0.1:9/v5/private",
}


def test_bybit_urls_when_prod_use_bybit_hosts() -> None:
    urls = urls_for(BybitConfig())
    assert (urls.rest, urls.public_ws, urls.private_ws) == (
        "https://api.bybit.com",
        "wss://stream.bybit.com/v5/public/linear",
        "wss://stream.bybit.com/v5/private",
    )


def test_bybit_urls_when_local_use_the_given_fake_urls() -> None:
    urls = urls_for(BybitConfig(environment="local", **LOCAL))
    assert urls.rest == "http://127.0.0.1:9"
    assert urls.private_ws == "ws://127.0.0.1:9/v5/private"


def test_bybit_config_when_local_without_urls_raises_naming_fields() -> None:
    with pytest.raises(ValueError, match="rest_url, public_ws_url and private_ws_url"):
        BybitConfig(environment="local", rest_url="http://127.0.0.1:9")


def test_bybit_config_when_unknown_key_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="api_secret"):
        msgspec.convert({"api_secret": "abc"}, BybitConfig)


def test_bybit_config_when_warmup_above_rest_page_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="warmup_bars"):
        msgspec.convert({"warmup_bars": 1000}, BybitConfig)


def test_bybit_apply_to_ccxt_when_client_has_sections_replaces_values_in_place() -> None:
    ws = {"public": {"spot": "wss://stream.bybit.com/v5/public/spot"}, "private": {}}
    client = SimpleNamespace(
        urls={"api": {**{k: "https://api.{hostname}" for k in REST_KEYS}, "ws": ws}}, has={}
    )
    apply_to_ccxt(client, urls_for(BybitConfig(environment="local", **LOCAL)))
    api = client.urls["api"]
    assert all(api[k] == "http://127.0.0.1:9" for k in REST_KEYS)
    assert api["ws"]["public"]["linear"] == LOCAL["public_ws_url"]
    assert api["ws"]["public"]["spot"].startswith("wss://stream.bybit.com")  # untouched kept
    assert api["ws"]["private"]["unified"] == LOCAL["private_ws_url"]
    assert client.has["fetchCurrencies"] is False


def test_bybit_credentials_when_env_set_are_read_and_never_shown() -> None:
    config = BybitConfig(api_key_env="K", api_secret_env="S")
    creds = load_credentials(config, "Bybit", {"K": "keyABCDEF", "S": "topsecretvalue"})
    assert (creds.api_key, creds.api_secret) == ("keyABCDEF", "topsecretvalue")
    assert "topsecretvalue" not in repr(creds) + str(creds) + repr(config)


def test_bybit_credentials_when_missing_raise_naming_the_variables() -> None:
    with pytest.raises(ConfigError, match="K, S"):
        load_credentials(BybitConfig(api_key_env="K", api_secret_env="S"), "Bybit", {})
