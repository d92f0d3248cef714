"""Environment → REST and websocket base URLs, and how to write them into a ccxt client.

The local fake server is just another environment with its URLs given in the config. Binance's
URLs are literal (no `{hostname}`), and ccxt raises if a section it calls is missing from
`urls['api']`, so overrides replace values *inside* the existing dict (see ccxt-notes.md §1).
No ccxt import here: the client is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tradeyard.venues.binance.config import BinanceConfig
from tradeyard.venues.common.ws_orders import ws_orders_url_for

__all__ = ["CCXT_SECTIONS", "VenueUrls", "apply_to_ccxt", "urls_for"]

CCXT_SECTIONS = {
    "fapiPublic": "/fapi/v1", "fapiPrivate": "/fapi/v1", "fapiPublicV2": "/fapi/v2",
    "fapiPrivateV2": "/fapi/v2", "fapiPublicV3": "/fapi/v3", "fapiPrivateV3": "/fapi/v3",
    "fapiData": "/futures/data",
}  # fmt: skip
"""ccxt binanceusdm's REST sections → path under the base URL."""


@dataclass(frozen=True, slots=True)
class VenueUrls:
    rest: str
    """Scheme + host[:port], no trailing slash."""
    ws: str
    """Websocket base ending in /ws (ccxt rewrites it to /market/ws/<n> and /private/ws)."""


_HOSTS: dict[str, VenueUrls] = {
    "prod": VenueUrls("https://fapi.binance.com", "wss://fstream.binance.com/ws"),
    "testnet": VenueUrls("https://testnet.binancefuture.com", "wss://stream.binancefuture.com/ws"),
    "demo": VenueUrls("https://demo-fapi.binance.com", "wss://fstream.binancefuture.com/ws"),
}


def urls_for(config: BinanceConfig) -> VenueUrls:
    """The URLs of the configured environment, with the config's overrides applied."""
    base = _HOSTS.get(config.environment, VenueUrls("", ""))
    return VenueUrls(
        (config.rest_url or base.rest).rstrip("/"),
        (config.ws_url or base.ws).rstrip("/"),
    )


WS_ORDER_URLS = {
    "prod": "wss://ws-fapi.binance.com/ws-fapi/v1",
    "testnet": "wss://testnet.binancefuture.com/ws-fapi/v1",
}
"""The WS API (websocket order entry) of each environment; `local` is the fake's /ws-fapi/v1."""


def ws_orders_url(config: BinanceConfig, urls: VenueUrls) -> str:
    """Where `order_transport = "websocket"` sends orders (ValueError where there is none)."""
    return ws_orders_url_for(
        config.environment, urls.ws.removesuffix("/ws") + "/ws-fapi/v1", WS_ORDER_URLS
    )


def apply_to_ccxt(exchange: Any, urls: VenueUrls) -> None:
    """Point a ccxt (pro) binanceusdm client at `urls`, in place."""
    api = exchange.urls["api"]
    for section, path in CCXT_SECTIONS.items():
        api[section] = urls.rest + path
    api["ws"]["linear"] = urls.ws
