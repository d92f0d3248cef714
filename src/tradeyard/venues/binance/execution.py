"""Orders from the bus to Binance, and their lifecycle back: `cmd.<venue>` → REST; user stream
→ `exec.<trader>`.

The machinery is `venues.common.execution.CcxtExecution`; this module holds Binance's hooks.
Each SubmitOrder / CancelOrder becomes its own asyncio task, so a burst of commands (ten symbols
rebalancing on one bar) goes out concurrently instead of one round trip after another. A refused
order is published as `OrderUpdate(status="rejected")` whose `reason` names the cause
(`errors.rejection_reason`, e.g. "insufficient_margin: binance -2019 Margin is insufficient.").

Which trader owns an order comes from its client order id, `<trader>-<seq>` (see
`parse.trader_from_client_order_id`), so updates of orders placed before a restart still reach
the right `exec.<trader>`. Binance allows 36 characters of `[.A-Z:/a-z0-9_-]` in that id.
Order updates are deduplicated by (client_order_id, status, filled qty), fills by trade id: the
REST answer and the user stream both report a new order. ccxt keeps the listen key alive.
After a restart an order is found by `origClientOrderId` (`find_order`, for reconcile).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ccxt
import ccxt.pro as ccxt_pro

from tradeyard.errors import VenueError
from tradeyard.events import CancelOrder, Fill, SubmitOrder
from tradeyard.venues.binance.config import BinanceConfig
from tradeyard.venues.binance.errors import from_ccxt, rejection_reason
from tradeyard.venues.binance.parse import fill_from_trade, order_update_from_order
from tradeyard.venues.binance.urls import VenueUrls, apply_to_ccxt
from tradeyard.venues.common.credentials import Credentials
from tradeyard.venues.common.execution import CcxtExecution
from tradeyard.venues.common.symbols import to_ccxt

__all__ = ["BinanceExecution", "make_trading_client"]

_CCXT_TYPES = {"market": "market", "limit": "limit", "stop": "STOP_MARKET",
               "take_profit": "TAKE_PROFIT_MARKET"}  # fmt: skip


def make_trading_client(config: BinanceConfig, urls: VenueUrls, credentials: Credentials) -> Any:
    """A keyed ccxt pro client pointed at `urls` (the secret goes nowhere else)."""
    client = ccxt_pro.binanceusdm(
        {
            "apiKey": credentials.api_key,
            "secret": credentials.api_secret,
            "enableRateLimit": config.rate_limit,
            "options": {"fetchCurrencies": False},
        }
    )
    apply_to_ccxt(client, urls)
    return client


class BinanceExecution(CcxtExecution):
    """Sends the venue's commands and publishes order updates and fills. `start()`, `close()`."""

    def order_params(self, cmd: SubmitOrder) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"clientOrderId": cmd.client_order_id}
        if cmd.reduce_only:
            params["reduceOnly"] = True
        if cmd.order_type == "limit":
            params["timeInForce"] = cmd.time_in_force
        if cmd.trigger_price is not None:
            params["triggerPrice"] = cmd.trigger_price
        return _CCXT_TYPES[cmd.order_type], params

    def cancel_params(self, client_order_id: str) -> dict[str, Any]:
        return {"origClientOrderId": client_order_id}

    async def find_order(self, symbol: str, client_order_id: str) -> Mapping[str, Any] | None:
        """GET /fapi/v1/order by `origClientOrderId` (-2013 "Order does not exist" → None)."""
        try:
            return await self._client.fetch_order(
                None, to_ccxt(symbol), {"origClientOrderId": client_order_id}
            )
        except ccxt.OrderNotFound:
            return None

    def on_cancelled(self, cmd: CancelOrder, order: Any) -> None:
        """Binance answers a cancel with the order: publish it (the stream's copy is deduped)."""
        self.report_update(order_update_from_order(order, self._venue, cmd.symbol, cmd.trader))

    def trade_client_order_id(self, trade: Mapping[str, Any]) -> str:
        info = trade.get("info") or {}
        return str(info.get("c") or "")

    def fill_from_trade(
        self, trade: Mapping[str, Any], symbol: str, trader: str, client_order_id: str
    ) -> Fill:
        return fill_from_trade(trade, self._venue, symbol, trader, client_order_id)

    def from_ccxt(self, exc: BaseException, *, where: str, client_order_id: str) -> VenueError:
        return from_ccxt(exc, where=where, client_order_id=client_order_id)

    def rejection_reason(self, err: VenueError) -> str:
        return rejection_reason(err)
