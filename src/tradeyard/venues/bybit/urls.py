"""Environment → REST and websocket URLs, and how to write them into a ccxt client.

The local fake server is just another environment with its URLs given in the config. ccxt
`bybit` keeps five REST bases (`spot`, `futures`, `v2`, `public`, `private`; v5 paths are
appended to them) and the websocket URLs under `urls['api']['ws']`; overrides replace values
*inside* the existing dicts (ccxt-notes.md §1). No ccxt import here: the client is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tradeyard.venues.bybit.config import BybitConfig
from tradeyard.venues.common.ws_orders import ws_orders_url_for

__all__ = [
    "PRIVATE_WS_KEYS",
    "REST_KEYS",
    "VenueUrls",
    "apply_to_ccxt",
    "ccxt_options",
    "urls_for",
]

REST_KEYS = ("spot", "futures", "v2", "public", "private")
"""ccxt bybit's REST bases; every v5 call appends `/v5/...` to one of them."""
PRIVATE_WS_KEYS = ("contract", "unified", "usdc")
"""ccxt pro bybit's private websocket entries (which one is used depends on the account mode)."""


@dataclass(frozen=True, slots=True)
class VenueUrls:
    rest: str
    """Scheme + host[:port], no trailing slash."""
    public_ws: str
    """The public linear stream, ending in /v5/public/linear."""
    private_ws: str
    """The private stream, ending in /v5/private."""


_HOSTS: dict[str, VenueUrls] = {
    "prod": VenueUrls(
        "https://api.bybit.com",
        "wss://stream.bybit.com/v5/public/linear",
        "wss://stream.bybit.com/v5/private",
    ),
    "testnet": VenueUrls(
        "https://api-testnet.bybit.com",
        "wss://stream-testnet.bybit.com/v5/public/linear",
        "wss://stream-testnet.bybit.com/v5/private",
    ),
    "demo": VenueUrls(
        "https://api-demo.bybit.com",
        "wss://stream.bybit.com/v5/public/linear",  # demo trading reads mainnet market data
        "wss://stream-demo.bybit.com/v5/private",
    ),
}


def urls_for(config: BybitConfig) -> VenueUrls:
    """The URLs of the configured environment, with the config's overrides applied."""
    base = _HOSTS.get(config.environment, VenueUrls("", "", ""))
    return VenueUrls(
        (config.rest_url or base.rest).rstrip("/"),
        (config.public_ws_url or base.public_ws).rstrip("/"),
        (config.private_ws_url or base.private_ws).rstrip("/"),
    )


WS_ORDER_URLS = {
    "prod": "wss://stream.bybit.com/v5/trade",
    "testnet": "wss://stream-testnet.bybit.com/v5/trade",
}
"""Websocket order entry of each environment (Bybit offers none for demo trading); `local` is
the fake's /v5/trade."""


def ws_orders_url(config: BybitConfig, urls: VenueUrls) -> str:
    """Where `order_transport = "websocket"` sends orders (ValueError where there is none)."""
    return ws_orders_url_for(
        config.environment, urls.private_ws.removesuffix("/v5/private") + "/v5/trade", WS_ORDER_URLS
    )


def apply_to_ccxt(exchange: Any, urls: VenueUrls) -> None:
    """Point a ccxt (pro) bybit client at `urls`, in place."""
    api = exchange.urls["api"]
    for key in REST_KEYS:
        api[key] = urls.rest
    ws = api.get("ws")
    if isinstance(ws, dict):
        ws.setdefault("public", {})["linear"] = urls.public_ws
        private = ws.setdefault("private", {})
        for key in PRIVATE_WS_KEYS:
            private[key] = urls.private_ws
    exchange.has["fetchCurrencies"] = False  # a private call the fake does not serve; not needed


def ccxt_options() -> dict[str, Any]:
    """ccxt bybit options: linear markets only, and no account-mode probe before private calls
    (a unified trading account is assumed; ccxt-notes.md §2)."""
    return {
        "fetchMarkets": {"types": ["linear"]},
        "enableUnifiedAccount": True,
        "enableUnifiedMargin": False,
    }
