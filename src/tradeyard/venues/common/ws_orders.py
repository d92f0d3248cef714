"""Where websocket order entry lives per environment (shared by the Binance and Bybit URLs)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ws_orders_url_for"]


def ws_orders_url_for(environment: str, local_url: str, known: Mapping[str, str]) -> str:
    """`local_url` for a local fake, else the venue's URL for `environment`; a ValueError that
    names the fix where the venue offers none (e.g. demo trading)."""
    if environment == "local":
        return local_url
    url = known.get(environment)
    if url is None:
        raise ValueError(
            f"order_transport='websocket' is not offered for environment {environment!r}: "
            "use order_transport='rest'"
        )
    return url
